// Shape inference of Slice (values of starts/ends/axes/steps, ONNX opset 13's clamping) and
// Gather (no values needed).
#include <catch2/catch.hpp>

#include <limits>

#include "graph/ops/slice_rule.h"
#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::I64;
using axon::graph::testing::InferOp;
using axon::graph::testing::Omitted;
using axon::graph::testing::Typed;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
const Dim kB = Dim::Symbol("b");

Tensor Ints(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::FromVector(v, {n});
}

// The output shape of slicing an input of shape `in` with every index input given as a value.
Shape Sliced(std::vector<Dim> in, std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes = {},
             std::vector<int64_t> steps = {}) {
  const auto n = static_cast<int64_t>(starts.size());
  const Tensor s = Ints(starts), e = Ints(ends), a = Ints(axes), st = Ints(steps);
  std::vector<ValueInfo> inputs = {F32(std::move(in)), I64({n}), I64({n})};
  std::vector<const Tensor*> values = {nullptr, &s, &e};
  if (!axes.empty() || !steps.empty()) {
    inputs.push_back(axes.empty() ? Omitted() : I64({n}));
    values.push_back(axes.empty() ? nullptr : &a);
  }
  if (!steps.empty()) {
    inputs.push_back(I64({n}));
    values.push_back(&st);
  }
  return InferOp("Slice", inputs, {}, values)[0].shape;
}

}  // namespace

TEST_CASE("ResolveSliceAxis follows ONNX's clamping, not numpy's, for negative steps", "[graph][slice]") {
  auto count = [](int64_t dim, int64_t start, int64_t end, int64_t step) { return ResolveSliceAxis(dim, start, end, step).count; };
  auto start = [](int64_t dim, int64_t start, int64_t end, int64_t step) { return ResolveSliceAxis(dim, start, end, step).start; };
  CHECK(count(10, 2, 7, 2) == 3);          // 2 4 6
  CHECK(count(10, -3, kMax, 1) == 3);      // 7 8 9
  CHECK(start(10, -3, kMax, 1) == 7);
  CHECK(count(10, 8, 2, -2) == 3);         // 8 6 4
  CHECK(count(10, -1, kMin, -1) == 10);    // reversed
  CHECK(start(10, -1, kMin, -1) == 9);
  CHECK(count(10, kMax, kMin, -1) == 10);  // start clamped to dim - 1
  CHECK(count(10, 100, -100, -3) == 4);    // 9 6 3 0
  CHECK(count(10, 5, 5, 1) == 0);
  CHECK(count(10, 7, 2, 1) == 0);
  CHECK(count(10, 2, 7, -1) == 0);
  CHECK(count(10, 0, 10, kMax) == 1);
  CHECK(count(10, 9, -11, kMin) == 1);
  CHECK(count(0, 0, 10, 1) == 0);
  CHECK(count(0, -1, kMin, -1) == 0);
  // ONNX clamps a negative-step start into [0, dim - 1]: -20 of 10 is -10, clamped to 0, so one
  // element (numpy's x[-20::-1] is empty here).
  CHECK(count(10, -20, kMin, -1) == 1);
  CHECK(start(10, -20, kMin, -1) == 0);
  CHECK(count(10, kMin, kMax, 1) == 10);
  CHECK(count(10, kMin, kMin, 1) == 0);
}

TEST_CASE("Slice shapes from starts, ends, axes and steps values", "[graph][infer][infer:Slice]") {
  CHECK(Sliced({10, 4}, {2}, {7}) == Shape({5, 4}));
  CHECK(Sliced({10, 4}, {1, -3}, {kMax, kMax}) == Shape({9, 3}));
  CHECK(Sliced({10, 4}, {0}, {2}, {-1}) == Shape({10, 2}));
  CHECK(Sliced({10, 4}, {-1, 8}, {kMin, 2}, {1, 0}, {-1, -2}) == Shape({3, 4}));
  CHECK(Sliced({10, 4}, {0}, {kMax}, {}, {3}) == Shape({4, 4}));  // axes omitted, steps given
  CHECK(Sliced({kB, 4}, {0}, {2}, {1}) == Shape({kB, 2}));         // unsliced dims keep their symbols
  CHECK(Sliced({kB, 4}, {0}, {2}) == Shape({Dim(), 4}));           // a sliced unknown dim stays unknown
  CHECK(Sliced({3}, {5}, {9}) == Shape({0}));
  // Values not known: the rank is, and the dims of axes that are not sliced.
  CHECK(InferOp("Slice", {F32({10, 4}), I64({1}), I64({1})})[0].shape == Shape({Dim(), 4}));
  CHECK(InferOp("Slice", {F32({10, 4}), I64({1}), I64({1}), I64({1})})[0].shape == Shape({Dim(), Dim()}));
  const Tensor axes = Ints({1});
  CHECK(InferOp("Slice", {F32({10, 4}), I64({1}), I64({1}), I64({1})}, {}, {nullptr, nullptr, nullptr, &axes})[0].shape ==
        Shape({10, Dim()}));
  // i32 indices work alike.
  const Tensor s32 = Tensor::FromVector(std::vector<int32_t>{-2}, {1}), e32 = Tensor::FromVector(std::vector<int32_t>{100}, {1});
  CHECK(InferOp("Slice", {I64({6}), Typed(DType::kI32, {1}), Typed(DType::kI32, {1})}, {}, {nullptr, &s32, &e32})[0].shape ==
        Shape({2}));
  CHECK_THROWS_WITH(Sliced({10}, {0}, {1}, {}, {0}), Catch::Contains("has a 0"));
  CHECK_THROWS_WITH(Sliced({10, 4}, {0, 0}, {1, 1}, {1, -1}), Catch::Contains("twice"));
  CHECK_THROWS_WITH(Sliced({10, 4}, {0}, {1}, {2}), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(Sliced({10}, {0, 0}, {1, 1}), Catch::Contains("2 axes sliced for an input of rank 1"));
  CHECK_THROWS_WITH(InferOp("Slice", {F32({10}), I64({1}), I64({2})}), Catch::Contains("ends has 2 entries, starts 1"));
  CHECK_THROWS_WITH(InferOp("Slice", {F32({10}), I64({1}), Typed(DType::kI32, {1})}), Catch::Contains("ends must be i64"));
  CHECK_THROWS_WITH(InferOp("Slice", {F32({10}), F32({1}), F32({1})}), Catch::Contains("starts must be i64 or i32"));
  CHECK_THROWS_WITH(InferOp("Slice", {F32({10}), I64({1, 1}), I64({1})}), Catch::Contains("must be 1-D"));
}

TEST_CASE("Gather inserts the indices' shape at the axis", "[graph][infer][infer:Gather]") {
  CHECK(InferOp("Gather", {F32({5, 4, 3}), I64({2, 6})})[0].shape == Shape({2, 6, 4, 3}));
  CHECK(InferOp("Gather", {F32({5, 4, 3}), I64({2})}, {{"axis", int64_t{1}}})[0].shape == Shape({5, 2, 3}));
  CHECK(InferOp("Gather", {F32({5, 4, 3}), I64({})}, {{"axis", int64_t{-1}}})[0].shape == Shape({5, 4}));
  // Shape -> Gather(scalar index): a scalar dim, as PyTorch's exports do.
  const ValueInfo dim = InferOp("Gather", {I64({4}), Typed(DType::kI32, {})})[0];
  CHECK(dim.dtype == DType::kI64);
  CHECK(dim.shape == Shape(std::vector<Dim>{}));
  CHECK(InferOp("Gather", {F32({kB, 3}), I64({kB})}, {{"axis", int64_t{1}}})[0].shape == Shape({kB, kB}));
  CHECK_FALSE(InferOp("Gather", {F32({5}), ValueInfo{"", DType::kI64, Shape::UnknownRank()}})[0].shape.has_rank());
  CHECK_THROWS_WITH(InferOp("Gather", {F32({5}), F32({2})}), Catch::Contains("indices must be i64 or i32, got f32"));
  CHECK_THROWS_WITH(InferOp("Gather", {F32({}), I64({2})}), Catch::Contains("at least one dim"));
  CHECK_THROWS_WITH(InferOp("Gather", {F32({5}), I64({2})}, {{"axis", int64_t{1}}}), Catch::Contains("out of range"));
}
