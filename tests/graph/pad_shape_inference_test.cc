// Shape inference of Pad: the pads input's value decides the output shape.
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::InferOp;

namespace {

ValueInfo I64(std::vector<Dim> dims) { return ValueInfo{"", DType::kI64, Shape(std::move(dims))}; }

Shape PadShape(std::vector<Dim> x, std::vector<int64_t> pads, std::string mode = "constant") {
  const Tensor p = Tensor::FromVector(pads, {static_cast<int64_t>(pads.size())});
  return InferOp("Pad", {F32(std::move(x)), I64({static_cast<int64_t>(pads.size())})}, {{"mode", mode}}, {nullptr, &p})[0].shape;
}

}  // namespace

TEST_CASE("Pad output shapes from the pads value, negative pads crop", "[graph][infer][infer:Pad]") {
  CHECK(PadShape({1, 3, 4, 5}, {0, 0, 1, 2, 0, 0, 3, 4}) == Shape({1, 3, 8, 11}));
  CHECK(PadShape({4, 5}, {-1, 2, 0, -3}) == Shape({3, 4}));
  CHECK(PadShape({4, 5}, {0, 0, 0, 0}, "reflect") == Shape({4, 5}));
  CHECK(PadShape({4, 5}, {3, 0, 3, 0}, "edge") == Shape({10, 5}));
  CHECK(PadShape({Dim::Symbol("n"), 5}, {0, 1, 0, 1}) == Shape({Dim::Symbol("n"), 7}));
  CHECK(PadShape({Dim::Symbol("n"), 5}, {1, 1, 1, 1}) == Shape({Dim(), 7}));
  CHECK(PadShape({4, 5}, {-4, 0, 0, 0}) == Shape({0, 5}));
  // Any dtype: it moves data.
  const Tensor p = Tensor::FromVector(std::vector<int64_t>{1, 2}, {2});
  const auto out = InferOp("Pad", {I64({3}), I64({2})}, {}, {nullptr, &p});
  CHECK(out[0].dtype == DType::kI64);
  CHECK(out[0].shape == Shape({6}));
  // Pads unknown until the run: only the rank is known.
  CHECK(InferOp("Pad", {F32({2, 3}), I64({4})})[0].shape == Shape({Dim(), Dim()}));
  // With a constant value of the data's dtype.
  CHECK(InferOp("Pad", {F32({2, 3}), I64({4}), F32({})})[0].shape.rank() == 2);
}

TEST_CASE("Pad refuses bad pads, modes and constant values", "[graph][infer][infer:Pad]") {
  CHECK_THROWS_WITH(PadShape({4, 5}, {1, 1}), Catch::Contains("must have 2 x rank = 4 values"));
  CHECK_THROWS_WITH(PadShape({4, 5}, {-5, 0, 0, 0}), Catch::Contains("crop more than"));
  CHECK_THROWS_WITH(PadShape({4, 5}, {0, 0, 0, 0}, "wrap"), Catch::Contains("wrap came with opset 19"));
  CHECK_THROWS_WITH(PadShape({4, 5}, {0, 0, 0, 0}, "mirror"), Catch::Contains("must be constant, reflect or edge"));
  CHECK_THROWS_WITH(PadShape({0, 5}, {1, 0, 0, 0}, "reflect"), Catch::Contains("no elements left"));
  CHECK_THROWS_WITH(PadShape({2, 5}, {-2, 0, 1, 0}, "edge"), Catch::Contains("no elements left"));
  CHECK_THROWS_WITH(PadShape({4, 5}, {int64_t{1} << 62, 0, 0, 0}), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(InferOp("Pad", {F32({2, 3}), F32({4})}), Catch::Contains("pads must be i64"));
  CHECK_THROWS_WITH(InferOp("Pad", {F32({2, 3}), I64({2, 2})}), Catch::Contains("pads must be 1-D"));
  CHECK_THROWS_WITH(InferOp("Pad", {F32({2, 3}), I64({4}), I64({})}), Catch::Contains("constant_value must have the data's dtype"));
  CHECK_THROWS_WITH(InferOp("Pad", {F32({2, 3}), I64({4}), F32({2})}), Catch::Contains("must be a scalar"));
  CHECK_THROWS_WITH(InferOp("Pad", {F32({2, 3}), I64({3})}), Catch::Contains("must have 2 x rank"));
}
