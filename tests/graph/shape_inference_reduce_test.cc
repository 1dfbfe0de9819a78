// Shape inference of ReduceSum, ReduceMean and ReduceMax.
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::InferOp;

namespace {

ValueInfo I64(std::vector<Dim> dims) { return ValueInfo{"", DType::kI64, Shape(std::move(dims))}; }

Shape SumShape(std::vector<Dim> in, std::vector<int64_t> axes, int64_t keepdims = 1, int64_t noop = 0) {
  const Tensor value = Tensor::FromVector(axes, {static_cast<int64_t>(axes.size())});
  return InferOp("ReduceSum", {F32(std::move(in)), I64({static_cast<int64_t>(axes.size())})},
                 {{"keepdims", keepdims}, {"noop_with_empty_axes", noop}}, {nullptr, &value})[0].shape;
}

}  // namespace

TEST_CASE("ReduceSum reads its axes input's value", "[graph][infer][infer:ReduceSum]") {
  CHECK(SumShape({2, 3, 4}, {1}) == Shape({2, 1, 4}));
  CHECK(SumShape({2, 3, 4}, {1}, 0) == Shape({2, 4}));
  CHECK(SumShape({2, 3, 4}, {-1, 0}, 0) == Shape({3}));
  CHECK(SumShape({2, 3, 4}, {}, 0) == Shape(std::vector<Dim>{}));     // empty: all
  CHECK(SumShape({2, 3, 4}, {}, 1) == Shape({1, 1, 1}));
  CHECK(SumShape({2, 3, 4}, {}, 0, 1) == Shape({2, 3, 4}));           // noop_with_empty_axes
  CHECK(SumShape({Dim::Symbol("b"), 0, 4}, {1}, 0) == Shape({Dim::Symbol("b"), 4}));
  CHECK(SumShape({Dim::Symbol("b"), 0, 4}, {1}) == Shape({Dim::Symbol("b"), 1, 4}));
  CHECK(SumShape({}, {}) == Shape(std::vector<Dim>{}));
  // No axes input at all: every dim.
  CHECK(InferOp("ReduceSum", {F32({2, 3})})[0].shape == Shape({1, 1}));
  CHECK(InferOp("ReduceSum", {F32({2, 3})}, {{"keepdims", int64_t{0}}})[0].shape == Shape(std::vector<Dim>{}));
  CHECK(InferOp("ReduceSum", {I64({2, 3})})[0].dtype == DType::kI64);

  CHECK_THROWS_WITH(SumShape({2, 3}, {2}), Catch::Contains("axis 2 is out of range for rank 2"));
  CHECK_THROWS_WITH(SumShape({2, 3}, {-3}), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(SumShape({2, 3}, {1, -1}), Catch::Contains("axes name dim 1 twice") && Catch::Contains("(ReduceSum)"));
  CHECK_THROWS_WITH(SumShape({2, 3}, {0}, 2), Catch::Contains("keepdims must be 0 or 1"));
  CHECK_THROWS_WITH(SumShape({2, 3}, {0}, 1, -1), Catch::Contains("noop_with_empty_axes must be 0 or 1"));
  CHECK_THROWS_WITH(InferOp("ReduceSum", {F32({2}), F32({1})}), Catch::Contains("axes must be i64"));
  CHECK_THROWS_WITH(InferOp("ReduceSum", {F32({2}), I64({1, 1})}), Catch::Contains("axes must be 1-D"));
  CHECK_THROWS_WITH(InferOp("ReduceSum", {ValueInfo{"", DType::kBool, Shape({2})}}),
                    Catch::Contains("must be f32 or i64"));
  CHECK_THROWS_WITH(InferOp("ReduceSum", {F32({2})}, {{"axes", std::vector<int64_t>{0}}}),
                    Catch::Contains("unknown attribute 'axes'"));  // opset 13: an input, not an attribute
}

TEST_CASE("ReduceSum with axes known only at run time", "[graph][infer][infer:ReduceSum]") {
  // keepdims: the rank stays, a dim of 1 stays 1, the others are unknown until the run.
  CHECK(InferOp("ReduceSum", {F32({2, 1, 4}), I64({1})})[0].shape == Shape({Dim(), 1, Dim()}));
  // keepdims 0: the count of axes gives the rank.
  CHECK(InferOp("ReduceSum", {F32({2, 1, 4}), I64({2})}, {{"keepdims", int64_t{0}}})[0].shape == Shape({Dim()}));
  CHECK_FALSE(InferOp("ReduceSum", {F32({2, 1, 4}), I64({Dim()})}, {{"keepdims", int64_t{0}}})[0].shape.has_rank());
  CHECK_THROWS_WITH(InferOp("ReduceSum", {F32({2}), I64({3})}, {{"keepdims", int64_t{0}}}),
                    Catch::Contains("axes has 3 entries for an input of rank 1"));
  // An axes input of length 0 is empty whatever its value.
  CHECK(InferOp("ReduceSum", {F32({2, 3}), I64({0})}, {{"noop_with_empty_axes", int64_t{1}}})[0].shape == Shape({2, 3}));
  CHECK_FALSE(InferOp("ReduceSum", {ValueInfo{"", DType::kF32, Shape::UnknownRank()}, I64({1})})[0].shape.has_rank());
}

TEST_CASE("ReduceMean and ReduceMax take axes as an attribute (opset 17)", "[graph][infer][infer:ReduceMean][infer:ReduceMax]") {
  for (const char* op : {"ReduceMean", "ReduceMax"}) {
    INFO(op);
    CHECK(InferOp(op, {F32({2, 3, 4})}, {{"axes", std::vector<int64_t>{1}}})[0].shape == Shape({2, 1, 4}));
    CHECK(InferOp(op, {F32({2, 3, 4})}, {{"axes", std::vector<int64_t>{-1, 0}}, {"keepdims", int64_t{0}}})[0].shape ==
          Shape({3}));
    CHECK(InferOp(op, {F32({2, 3, 4})})[0].shape == Shape({1, 1, 1}));  // no axes: all
    CHECK(InferOp(op, {F32({2, 3, 4})}, {{"axes", std::vector<int64_t>{}}, {"keepdims", int64_t{0}}})[0].shape ==
          Shape(std::vector<Dim>{}));
    CHECK(InferOp(op, {F32({Dim::Symbol("n"), 3})}, {{"axes", std::vector<int64_t>{1}}})[0].shape ==
          Shape({Dim::Symbol("n"), 1}));
    CHECK_THROWS_WITH(InferOp(op, {F32({2, 3})}, {{"axes", std::vector<int64_t>{0, -2}}}), Catch::Contains("twice"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2, 3})}, {{"axes", std::vector<int64_t>{5}}}), Catch::Contains("out of range"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2, 3})}, {{"noop_with_empty_axes", int64_t{1}}}),
                      Catch::Contains("unknown attribute"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2}), F32({1})}), Catch::Contains("expects 1 inputs, got 2"));
  }
  CHECK(InferOp("ReduceMax", {I64({2, 3})}, {{"axes", std::vector<int64_t>{1}}})[0].dtype == DType::kI64);
  CHECK_THROWS_WITH(InferOp("ReduceMean", {I64({2, 3})}), Catch::Contains("must be f32"));
}
