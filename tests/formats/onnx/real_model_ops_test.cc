// Op patterns that real exported models (bench/compare_models and torchvision's other models)
// showed the importer, as small ONNX graphs: what torchvision's Swin Transformer exports at opset
// 13 for its window padding (Mod on a shape value) and its shifted-window attention mask.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/formats/onnx/onnx_test_util.h"

using namespace axon;
using namespace axon::onnx_test;

namespace {

void ScalarI64(OnnxModel& m, const std::string& name, int64_t v) {
  auto* t = m.g().add_initializer();
  t->set_name(name);
  t->set_data_type(kInt64);
  t->add_int64_data(v);
}

}  // namespace

TEST_CASE("Swin's window padding: (7 - W mod 7) mod 7 from the input's shape pads W to a multiple of 7",
          "[onnx][import][real_models]") {
  // pad = (7 - Shape(x)[1] % 7) % 7; y = Pad(x, [0, 0, 0, pad]): what F.pad(x, (0, pad)) exports.
  OnnxModel m(13);
  m.Input("x", kFloat, {1, std::string("w")});
  ScalarI64(m, "one", 1);
  ScalarI64(m, "seven", 7);
  m.WeightI64("zeros", {0, 0, 0});
  m.WeightI64("axes", {0});
  m.Node("Shape", {"x"}, {"shape"});
  m.Node("Gather", {"shape", "one"}, {"w"});
  m.Node("Mod", {"w", "seven"}, {"w_mod"});
  m.Node("Sub", {"seven", "w_mod"}, {"rest"});
  m.Node("Mod", {"rest", "seven"}, {"pad"});
  m.Node("Unsqueeze", {"pad", "axes"}, {"pad1"});
  AttrInt(m.Node("Concat", {"zeros", "pad1"}, {"pads"}), "axis", 0);
  m.Node("Pad", {"x", "pads"}, {"y"});
  m.Output("y");
  Session s = m.Load();
  // W = 5 pads 2 zeros, W = 7 none, W = 8 six.
  for (const auto& [w, padded] : std::vector<std::pair<int64_t, int64_t>>{{5, 7}, {7, 7}, {8, 14}}) {
    INFO("W = " << w);
    std::vector<float> x(static_cast<std::size_t>(w));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i + 1);
    const auto out = s.Run({{"x", Tensor::View(x.data(), {1, w})}});
    REQUIRE(out[0].shape() == std::vector<int64_t>{1, padded});
    std::vector<float> expected(x);
    expected.resize(static_cast<std::size_t>(padded), 0.0f);
    CHECK(Floats(out[0]) == expected);
  }
}

TEST_CASE("ONNX Mod imports with its fmod attribute: Python's remainder on integers, C's fmod on floats",
          "[onnx][import][real_models]") {
  OnnxModel m(13);
  m.Input("a", kInt64, {4});
  m.Input("f", kFloat, {3});
  m.WeightI64("b", {3, -3, 3, -3});
  m.Weight("d", {3}, {2.0f, -2.0f, 0.75f});
  m.Node("Mod", {"a", "b"}, {"python"});
  AttrInt(m.Node("Mod", {"a", "b"}, {"c"}), "fmod", 1);
  AttrInt(m.Node("Mod", {"f", "d"}, {"fmod"}), "fmod", 1);
  m.Output("python");
  m.Output("c");
  m.Output("fmod");
  Session s = m.Load();
  std::vector<int64_t> a = {7, 7, -7, -7};
  std::vector<float> f = {5.5f, -5.5f, 2.0f};
  const auto out = s.Run({{"a", Tensor::View(a.data(), {4})}, {"f", Tensor::View(f.data(), {3})}});
  CHECK(std::vector<int64_t>(out[0].data<int64_t>(), out[0].data<int64_t>() + 4) == std::vector<int64_t>{1, -2, 2, -1});
  CHECK(std::vector<int64_t>(out[1].data<int64_t>(), out[1].data<int64_t>() + 4) == std::vector<int64_t>{1, 1, -1, -1});
  CHECK(Floats(out[2]) == std::vector<float>{1.5f, -1.5f, 0.5f});

  // A float Mod without fmod=1 is invalid ONNX; the error names the node and says why.
  OnnxModel bad(13);
  bad.Input("f", kFloat, {3});
  bad.Node("Mod", {"f", "f"}, {"y"}, "mod");
  bad.Output("y");
  CHECK_THROWS_WITH(bad.Load(), Catch::Contains("mod") && Catch::Contains("needs fmod=1"));
}

TEST_CASE("Swin's attention mask: ScatterND writes region numbers into a constant zero mask; opset 16's add",
          "[onnx][import][real_models]") {
  // img_mask[h0:h1, w0:w1] = cnt exports as ScatterND of a [rows, cols, 1] update block at the
  // region's [row, col] index tuples; here a [3, 3] mask with region 1 at rows 1..2, cols 2..2.
  for (int64_t opset : {13, 16}) {
    INFO("opset " << opset);
    OnnxModel m(opset);
    m.Input("x", kFloat, {3, 3});
    auto* idx = m.g().add_initializer();
    idx->set_name("idx");
    idx->set_data_type(kInt64);
    for (int64_t d : {2, 1, 2}) idx->add_dims(d);
    for (int64_t v : {1, 2, 2, 2}) idx->add_int64_data(v);
    m.Weight("region", {2, 1}, {1.0f, 1.0f});
    auto& scatter = m.Node("ScatterND", {"x", "idx", "region"}, {"y"});
    if (opset == 16) AttrString(scatter, "reduction", "add");
    m.Output("y");
    Session s = m.Load();
    std::vector<float> x(9, opset == 16 ? 5.0f : 0.0f);
    const auto out = s.Run({{"x", Tensor::View(x.data(), {3, 3})}});
    const float base = opset == 16 ? 5.0f : 0.0f, hit = opset == 16 ? 6.0f : 1.0f;
    CHECK(Floats(out[0]) == std::vector<float>{base, base, base, base, base, hit, base, base, hit});
  }
}
