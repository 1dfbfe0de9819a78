// Shape and dtype inference of Dropout (graph/ops/dropout.cc).
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::I64;
using axon::graph::testing::InferOp;

TEST_CASE("Dropout keeps X's shape, takes an optional i64 Seed of two and a ratio from 0 up to 1",
          "[graph][infer][infer:Dropout]") {
  const Dim batch = Dim::Symbol("batch");
  CHECK(InferOp("Dropout", {F32({batch, 5})})[0].shape == Shape({batch, 5}));
  const auto out = InferOp("Dropout", {F32({batch, 3, 4}), I64({2})}, {{"ratio", 0.25f}});
  CHECK(out[0].shape == Shape({batch, 3, 4}));
  CHECK(out[0].dtype == DType::kF32);
  CHECK(InferOp("Dropout", {F32({3})}, {{"ratio", 0.0f}})[0].shape == Shape({3}));
  CHECK_THROWS_WITH(InferOp("Dropout", {F32({3})}, {{"ratio", 1.0f}}), Catch::Contains("outside [0, 1)"));
  CHECK_THROWS_WITH(InferOp("Dropout", {F32({3})}, {{"ratio", -0.1f}}), Catch::Contains("outside [0, 1)"));
  CHECK_THROWS_WITH(InferOp("Dropout", {F32({3}), F32({2})}), Catch::Contains("Seed must be i64"));
  CHECK_THROWS_WITH(InferOp("Dropout", {F32({3}), I64({3})}), Catch::Contains("Seed must be [2]"));
  CHECK_THROWS_WITH(InferOp("Dropout", {I64({3})}), Catch::Contains("must be f32"));
}
