// Shape and dtype inference of the ops gradient rules emit (graph/ops/backward.cc).
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::I64;
using axon::graph::testing::InferOp;

TEST_CASE("SumTo gives Like's shape, symbolic dims included, and refuses a Like that does not broadcast",
          "[graph][infer][infer:SumTo]") {
  const Dim batch = Dim::Symbol("batch");
  CHECK(InferOp("SumTo", {F32({batch, 3, 4}), F32({4})})[0].shape == Shape({4}));
  CHECK(InferOp("SumTo", {F32({batch, 3, 4}), F32({3, 1})})[0].shape == Shape({3, 1}));
  CHECK(InferOp("SumTo", {F32({batch, 3}), F32({batch, 3})})[0].shape == Shape({batch, 3}));
  CHECK(InferOp("SumTo", {F32({2, 3}), F32({})})[0].shape == Shape(std::vector<Dim>{}));
  CHECK(InferOp("SumTo", {F32({2, 3}), F32({3})})[0].dtype == DType::kF32);
  CHECK_THROWS_WITH(InferOp("SumTo", {F32({2, 3}), F32({2})}), Catch::Contains("does not broadcast"));
  CHECK_THROWS_WITH(InferOp("SumTo", {F32({3}), F32({2, 3})}), Catch::Contains("does not broadcast"));
  CHECK_THROWS_WITH(InferOp("SumTo", {I64({3}), F32({3})}), Catch::Contains("must be f32"));
}

TEST_CASE("activation gradients keep dY's shape and need two f32 inputs of one shape",
          "[graph][infer][infer:ReluGrad][infer:LeakyReluGrad][infer:SigmoidGrad][infer:TanhGrad]"
          "[infer:SoftmaxGrad][infer:LogSoftmaxGrad]") {
  const Dim batch = Dim::Symbol("batch");
  for (const char* op : {"ReluGrad", "LeakyReluGrad", "SigmoidGrad", "TanhGrad", "SoftmaxGrad", "LogSoftmaxGrad"}) {
    INFO(op);
    const auto out = InferOp(op, {F32({batch, 5}), F32({batch, 5})});
    CHECK(out[0].shape == Shape({batch, 5}));
    CHECK(out[0].dtype == DType::kF32);
    CHECK_THROWS_WITH(InferOp(op, {F32({2, 5}), F32({2, 4})}), Catch::Contains("one shape"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2, 5}), I64({2, 5})}), Catch::Contains("must be f32"));
  }
  CHECK_THROWS_WITH(InferOp("SoftmaxGrad", {F32({2, 5}), F32({2, 5})}, {{"axis", int64_t{2}}}),
                    Catch::Contains("axis"));
  CHECK_THROWS_WITH(InferOp("LogSoftmaxGrad", {F32({}), F32({})}), Catch::Contains("rank >= 1"));
}

TEST_CASE("GatherGrad gives Like's shape and checks dY against Gather's output", "[graph][infer][infer:GatherGrad]") {
  const Dim batch = Dim::Symbol("batch");
  CHECK(InferOp("GatherGrad", {F32({batch, 7, 2}), I64({batch, 7}), F32({100, 2})})[0].shape == Shape({100, 2}));
  CHECK(InferOp("GatherGrad", {F32({3, 5}), I64({5}), F32({3, 9})}, {{"axis", int64_t{1}}})[0].shape == Shape({3, 9}));
  CHECK_THROWS_WITH(InferOp("GatherGrad", {F32({3, 4}), I64({5}), F32({3, 9})}, {{"axis", int64_t{1}}}),
                    Catch::Contains("not Gather's output"));
  CHECK_THROWS_WITH(InferOp("GatherGrad", {F32({5, 9}), F32({5}), F32({3, 9})}), Catch::Contains("indices must be"));
}

TEST_CASE("MaxPoolGrad and AveragePoolGrad give X's shape", "[graph][infer][infer:MaxPoolGrad][infer:AveragePoolGrad]") {
  const Dim batch = Dim::Symbol("batch");
  const std::map<std::string, Attribute> attrs = {{"kernel_shape", std::vector<int64_t>{2, 2}}};
  for (const char* op : {"MaxPoolGrad", "AveragePoolGrad"}) {
    INFO(op);
    CHECK(InferOp(op, {F32({batch, 3, 2, 2}), F32({batch, 3, 4, 5})}, attrs)[0].shape == Shape({batch, 3, 4, 5}));
    CHECK_THROWS_WITH(InferOp(op, {F32({1, 3, 2}), F32({1, 3, 4, 5})}, attrs), Catch::Contains("differ in rank"));
    CHECK_THROWS_WITH(InferOp(op, {F32({1, 3, 2, 2}), F32({1, 3, 4, 5})}), Catch::Contains("kernel_shape"));
  }
}

TEST_CASE("ConvWeightGrad gives W's shape", "[graph][infer][infer:ConvWeightGrad]") {
  const Dim batch = Dim::Symbol("batch");
  CHECK(InferOp("ConvWeightGrad", {F32({batch, 4, 3, 3}), F32({batch, 3, 5, 5}), F32({4, 3, 3, 3})})[0].shape ==
        Shape({4, 3, 3, 3}));
  CHECK_THROWS_WITH(InferOp("ConvWeightGrad", {F32({1, 4, 3}), F32({1, 3, 5, 5}), F32({4, 3, 3, 3})}),
                    Catch::Contains("one rank"));
}

TEST_CASE("SliceGrad gives Like's shape", "[graph][infer][infer:SliceGrad]") {
  const Dim batch = Dim::Symbol("batch");
  const auto idx = I64({2});
  CHECK(InferOp("SliceGrad", {F32({batch, 3}), F32({batch, 9}), idx, idx})[0].shape == Shape({batch, 9}));
  CHECK(InferOp("SliceGrad", {F32({2, 3}), F32({4, 9}), idx, idx, idx, idx})[0].shape == Shape({4, 9}));
  CHECK_THROWS_WITH(InferOp("SliceGrad", {F32({3}), F32({4, 9}), idx, idx}), Catch::Contains("differ in rank"));
  CHECK_THROWS_WITH(InferOp("SliceGrad", {F32({3, 3}), F32({4, 9}), F32({2}), idx}), Catch::Contains("starts must be i64 or i32"));
}
