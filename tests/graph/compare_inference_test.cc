// Shape and dtype inference of Equal, Less, Greater, Not and Where.
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::I64;
using axon::graph::testing::InferOp;
using axon::graph::testing::Typed;

TEST_CASE("comparisons broadcast and give bool", "[graph][infer][infer:Equal][infer:Less][infer:Greater]") {
  for (const char* op : {"Equal", "Less", "Greater"}) {
    INFO(op);
    const ValueInfo y = InferOp(op, {F32({2, 1, 4}), F32({3, 1})})[0];
    CHECK(y.dtype == DType::kBool);
    CHECK(y.shape == Shape({2, 3, 4}));
    CHECK(InferOp(op, {I64({Dim::Symbol("n")}), I64({})})[0].shape == Shape({Dim::Symbol("n")}));
    CHECK(InferOp(op, {Typed(DType::kI32, {5}), Typed(DType::kI32, {5})})[0].dtype == DType::kBool);
    CHECK_THROWS_WITH(InferOp(op, {F32({2}), I64({2})}), Catch::Contains("must have one dtype, got f32 and i64"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2, 3}), F32({4})}), Catch::Contains("cannot be broadcast"));
  }
  // Bools can be equal, not ordered.
  CHECK(InferOp("Equal", {Typed(DType::kBool, {2}), Typed(DType::kBool, {1})})[0].shape == Shape({2}));
  CHECK_THROWS_WITH(InferOp("Less", {Typed(DType::kBool, {2}), Typed(DType::kBool, {2})}), Catch::Contains("must be numbers"));
}

TEST_CASE("Not takes and gives bool of the same shape", "[graph][infer][infer:Not]") {
  const ValueInfo y = InferOp("Not", {Typed(DType::kBool, {Dim::Symbol("b"), 3})})[0];
  CHECK(y.dtype == DType::kBool);
  CHECK(y.shape == Shape({Dim::Symbol("b"), 3}));
  CHECK_THROWS_WITH(InferOp("Not", {F32({3})}), Catch::Contains("input X must be bool, got f32"));
}

TEST_CASE("Where broadcasts condition, X and Y together", "[graph][infer][infer:Where]") {
  const ValueInfo y = InferOp("Where", {Typed(DType::kBool, {4, 1, 1}), I64({3, 1}), I64({5})})[0];
  CHECK(y.dtype == DType::kI64);
  CHECK(y.shape == Shape({4, 3, 5}));
  CHECK(InferOp("Where", {Typed(DType::kBool, {}), F32({2}), F32({})})[0].shape == Shape({2}));
  CHECK_THROWS_WITH(InferOp("Where", {F32({2}), F32({2}), F32({2})}), Catch::Contains("condition must be bool"));
  CHECK_THROWS_WITH(InferOp("Where", {Typed(DType::kBool, {2}), F32({2}), I64({2})}), Catch::Contains("one dtype"));
  CHECK_THROWS_WITH(InferOp("Where", {Typed(DType::kBool, {3}), F32({2}), F32({2})}), Catch::Contains("cannot be broadcast"));
}
