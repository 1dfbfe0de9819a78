// Shape inference of Resize: scales or sizes, read as values, decide the output shape.
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::InferOp;

namespace {

ValueInfo I64(std::vector<Dim> dims) { return ValueInfo{"", DType::kI64, Shape(std::move(dims))}; }
using Attrs = std::map<std::string, Attribute>;

Shape WithScales(std::vector<Dim> x, std::vector<float> scales, Attrs attrs = {}) {
  const auto n = static_cast<int64_t>(scales.size());
  const Tensor s = Tensor::FromVector(scales, {n});
  return InferOp("Resize", {F32(std::move(x)), F32({0}), F32({n})}, std::move(attrs), {nullptr, nullptr, &s})[0].shape;
}

Shape WithSizes(std::vector<Dim> x, std::vector<int64_t> sizes) {
  const auto n = static_cast<int64_t>(sizes.size());
  const Tensor s = Tensor::FromVector(sizes, {n});
  return InferOp("Resize", {F32(std::move(x)), F32({0}), F32({0}), I64({n})}, {}, {nullptr, nullptr, nullptr, &s})[0].shape;
}

}  // namespace

TEST_CASE("Resize output shapes from scales (floored) or sizes", "[graph][infer][infer:Resize]") {
  CHECK(WithScales({1, 3, 4, 5}, {1, 1, 2, 2}) == Shape({1, 3, 8, 10}));
  CHECK(WithScales({1, 1, 3, 4}, {1, 1, 0.5f, 0.6f}) == Shape({1, 1, 1, 2}));
  CHECK(WithScales({Dim::Symbol("n"), 3, 4}, {1, 1, 1.5f}) == Shape({Dim(), 3, 6}));
  CHECK(WithSizes({1, 2, 5, 7}, {1, 2, 8, 3}) == Shape({1, 2, 8, 3}));
  CHECK(WithSizes({Dim::Symbol("n"), 7}, {4, 20}) == Shape({4, 20}));
  // scales or sizes computed at run time: only the rank is known.
  CHECK(InferOp("Resize", {F32({1, 3, 4, 5}), F32({0}), F32({4})})[0].shape == Shape({Dim(), Dim(), Dim(), Dim()}));
  CHECK(InferOp("Resize", {F32({1, 3, 4, 5}), F32({0}), F32({0}), I64({4})})[0].shape.rank() == 4);
  CHECK(WithScales({2, 8}, {1, 2}, {{"mode", std::string("linear")}, {"coordinate_transformation_mode", std::string("align_corners")}}) ==
        Shape({2, 16}));
}

TEST_CASE("Resize refuses bad scales and sizes, and cubic clearly", "[graph][infer][infer:Resize]") {
  CHECK_THROWS_WITH(WithScales({1, 3, 4}, {1, 2}), Catch::Contains("scales has 2 values for an input of rank 3"));
  CHECK_THROWS_WITH(WithScales({1, 3, 4}, {1, 0, 2}), Catch::Contains("must be > 0"));
  CHECK_THROWS_WITH(WithScales({1, 3, 4}, {1, -1, 2}), Catch::Contains("must be > 0"));
  CHECK_THROWS_WITH(WithSizes({1, 3, 4}, {1, 3}), Catch::Contains("sizes has 2 values"));
  CHECK_THROWS_WITH(WithSizes({1, 3, 4}, {1, -3, 4}), Catch::Contains("is not a size"));
  CHECK_THROWS_WITH(WithSizes({1, 0, 4}, {1, 3, 4}), Catch::Contains("cannot be resized from an empty dim"));
  CHECK_THROWS_WITH(InferOp("Resize", {F32({1, 3}), F32({0}), F32({2}), I64({2})}), Catch::Contains("not both"));
  CHECK_THROWS_WITH(InferOp("Resize", {F32({1, 3})}), Catch::Contains("needs scales or sizes"));
  CHECK_THROWS_WITH(InferOp("Resize", {F32({1, 3}), F32({0}), I64({2})}), Catch::Contains("scales must be f32"));
  CHECK_THROWS_WITH(InferOp("Resize", {F32({1, 3}), F32({0}), F32({2, 1})}), Catch::Contains("scales must be 1-D"));
  try {
    WithScales({1, 3, 4}, {1, 1, 2}, {{"mode", std::string("cubic")}});
    FAIL("cubic accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnsupported);
    CHECK_THAT(e.what(), Catch::Contains("mode cubic is not supported") && Catch::Contains("node 'n' (Resize)"));
  }
  CHECK_THROWS_WITH(WithScales({1, 3, 4}, {1, 1, 2}, {{"coordinate_transformation_mode", std::string("tf_crop_and_resize")}}),
                    Catch::Contains("tf_crop_and_resize is not supported"));
  CHECK_THROWS_WITH(WithScales({1, 3, 4}, {1, 1, 2}, {{"coordinate_transformation_mode", std::string("center")}}),
                    Catch::Contains("not an ONNX mode"));
  CHECK_THROWS_WITH(WithScales({1, 3, 4}, {1, 1, 2}, {{"nearest_mode", std::string("round")}}), Catch::Contains("nearest_mode 'round'"));
  CHECK_THROWS_WITH(WithScales({1, 3, 4}, {1, 1, 2}, {{"mode", std::string("bilinear")}}), Catch::Contains("must be nearest, linear or cubic"));
}
