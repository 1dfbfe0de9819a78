// Graph outputs whose declared shape disagrees with the computed one: torch.onnx.export's MaxPool
// with ceil_mode declares 5x5 (ONNX's shape inference of opsets before 19, which counts a window
// that starts in the right padding) where PyTorch, ONNX Runtime and Axon compute 4x4. Stale dims
// give way with a warning; a different dtype or rank is refused.
#include <catch2/catch.hpp>

#include "tests/formats/onnx/onnx_test_util.h"

using namespace axon;
using namespace axon::onnx_test;
using Catch::Matchers::Contains;

namespace {

formats::onnx_import::ImportResult Imported(const OnnxModel& m) {
  const std::string b = m.Bytes();
  return formats::onnx_import::Import(b.data(), b.size(), kTestOrigin);
}

}  // namespace

TEST_CASE("a graph output declared with stale dims gets the computed ones, with a warning", "[onnx][import]") {
  const OnnxModel m = TorchCeilMaxPool({1, 1, 5, 5});
  const auto result = Imported(m);
  REQUIRE(result.warnings.size() == 1);
  CHECK_THAT(result.warnings[0], Contains("test.onnx: graph output 'y' of node '/MaxPool' (MaxPool) is declared [1,1,5,5] "
                                          "but computed as [1,1,4,4]; using the computed shape"));
  CHECK(result.model.graph.outputs.at(0).shape.ToString() == "[1,1,4,4]");

  // Windows start at -1, 1, 3, 5 along each axis (one at 7 would start in the right padding):
  // each holds rows/cols {0}, {1,2}, {3,4}, {5,6}, whose max is the last, so with x[i][j] = 7i + j
  // the output is 7 r[a] + r[b] for r = 0, 2, 4, 6.
  Session s = m.Load();
  std::vector<float> x(49);
  for (int i = 0; i < 49; ++i) x[i] = static_cast<float>(i);
  const Tensor y = s.Run({{"x", Tensor::View(x.data(), {1, 1, 7, 7})}})[0];
  CHECK(y.shape() == std::vector<int64_t>{1, 1, 4, 4});
  std::vector<float> expected;
  for (int a : {0, 2, 4, 6})
    for (int b : {0, 2, 4, 6}) expected.push_back(static_cast<float>(7 * a + b));
  CHECK(Floats(y) == expected);
}

TEST_CASE("graph output declarations that agree with the computed shape import without warnings", "[onnx][import]") {
  for (const std::vector<Dim>& declared :
       {std::vector<Dim>{1, 1, 4, 4}, std::vector<Dim>{std::string("n"), 1, std::monostate{}, 4}}) {
    const auto result = Imported(TorchCeilMaxPool(declared));
    CHECK(result.warnings.empty());
  }
}

TEST_CASE("a graph output declared with another rank or dtype is refused naming its node", "[onnx][import]") {
  SECTION("rank") {
    const OnnxModel m = TorchCeilMaxPool({1, 5, 5});
    CHECK_THAT(ErrorOf([&] { Imported(m); }, ErrorCode::kInvalidFile),
               Contains("test.onnx: graph output 'y' of node '/MaxPool' (MaxPool) is declared [1,5,5] but computed as "
                        "[1,1,4,4] (ranks differ)"));
  }
  SECTION("dtype") {
    const OnnxModel m = TorchCeilMaxPool({1, 1, 4, 4}, kInt64);
    CHECK_THAT(ErrorOf([&] { Imported(m); }, ErrorCode::kInvalidFile),
               Contains("graph output 'y' of node '/MaxPool' (MaxPool) is declared i64 but computed as f32"));
  }
  SECTION("a graph input listed as an output keeps its declaration, which must agree") {
    OnnxModel m(13);
    m.Input("x", kFloat, {2, 3});
    m.Node("Relu", {"x"}, {"y"});
    m.Output("y");
    m.Output("x", kFloat, {2, 4});
    CHECK(Imported(m).warnings.empty());
    CHECK_THAT(ErrorOf([&] { m.Load(); }, ErrorCode::kInvalidModel),
               Contains("graph output 'x' is declared [2,4] but computed as [2,3]"));
  }
}
