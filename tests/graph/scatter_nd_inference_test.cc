// Shape inference of ScatterND: data's shape and dtype out; indices, updates and reduction checked.
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::I64;
using axon::graph::testing::InferOp;
using axon::graph::testing::Typed;

TEST_CASE("ScatterND makes data's shape and dtype; updates are indices.shape[:-1] + data.shape[k:]",
          "[graph][infer][infer:ScatterND]") {
  // k = 1: whole rows of a [4, 5] matrix, 3 of them.
  auto out = InferOp("ScatterND", {F32({4, 5}), I64({3, 1}), F32({3, 5})});
  CHECK(out[0].shape == Shape({4, 5}));
  CHECK(out[0].dtype == DType::kF32);
  // k = rank: single elements, indices [2, 2, 2] -> updates [2, 2].
  CHECK(InferOp("ScatterND", {Typed(DType::kBool, {4, 5}), I64({2, 2, 2}), Typed(DType::kBool, {2, 2})})[0].dtype ==
        DType::kBool);
  // Symbolic dims are taken to fit (the plan checks the concrete ones).
  const Dim b = Dim::Symbol("b");
  CHECK(InferOp("ScatterND", {F32({b, 8}), I64({b, 1}), F32({b, 8})})[0].shape == Shape({b, 8}));
  CHECK(InferOp("ScatterND", {I64({6}), I64({2, 1}), I64({2})}, {{"reduction", std::string("add")}})[0].dtype ==
        DType::kI64);
  CHECK(InferOp("ScatterND", {F32({6}), I64({2, 1}), F32({2})}, {{"reduction", std::string("mul")}})[0].shape ==
        Shape({6}));
}

TEST_CASE("ScatterND refuses mismatched updates, long index tuples, bad dtypes and reductions",
          "[graph][infer][infer:ScatterND]") {
  CHECK_THROWS_WITH(InferOp("ScatterND", {F32({4, 5}), I64({3, 1}), F32({3, 4})}),
                    Catch::Contains("updates [3,4] must be [3,5]"));
  CHECK_THROWS_WITH(InferOp("ScatterND", {F32({4, 5}), I64({3, 1}), F32({5})}), Catch::Contains("must be [3,5]"));
  CHECK_THROWS_WITH(InferOp("ScatterND", {F32({4, 5}), I64({3, 3}), F32({3})}),
                    Catch::Contains("index tuples have 3 entries") && Catch::Contains("more than data's rank 2"));
  CHECK_THROWS_WITH(InferOp("ScatterND", {F32({4}), Typed(DType::kI32, {1, 1}), F32({1})}),
                    Catch::Contains("indices must be i64, got i32"));
  CHECK_THROWS_WITH(InferOp("ScatterND", {F32({4}), I64({1, 1}), I64({1})}),
                    Catch::Contains("updates must have data's dtype f32, got i64"));
  CHECK_THROWS_WITH(InferOp("ScatterND", {F32({4}), I64({1, 1}), F32({1})}, {{"reduction", std::string("max")}}),
                    Catch::Contains("reduction must be none, add or mul, got 'max'"));
  CHECK_THROWS_WITH(InferOp("ScatterND", {Typed(DType::kBool, {4}), I64({1, 1}), Typed(DType::kBool, {1})},
                            {{"reduction", std::string("add")}}),
                    Catch::Contains("reduction add needs numeric data, got bool"));
  CHECK_THROWS_WITH(InferOp("ScatterND", {F32({}), I64({1, 0}), F32({1})}), Catch::Contains("data must have at least one dim"));
}
