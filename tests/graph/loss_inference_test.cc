// Shape and dtype inference of the loss ops and their gradient ops (graph/ops/loss.cc).
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::I64;
using axon::graph::testing::InferOp;
using axon::graph::testing::InferOpOutputs;
using axon::graph::testing::Omitted;
using axon::graph::testing::Typed;

namespace {

const Shape kScalar(std::vector<Dim>{});

std::map<std::string, Attribute> Reduction(const char* r) { return {{"reduction", std::string(r)}}; }

}  // namespace

TEST_CASE("pointwise losses reduce to a scalar, or keep the input's shape with reduction none",
          "[graph][infer][infer:MSELoss][infer:BCELoss][infer:BCEWithLogitsLoss]") {
  const Dim batch = Dim::Symbol("batch");
  for (const char* op : {"MSELoss", "BCELoss", "BCEWithLogitsLoss"}) {
    INFO(op);
    CHECK(FindOpSchema(op)->since_version() == 3);
    CHECK(InferOp(op, {F32({batch, 3}), F32({batch, 3})})[0].shape == kScalar);
    CHECK(InferOp(op, {F32({batch, 3}), F32({batch, 3})}, Reduction("sum"))[0].shape == kScalar);
    const auto none = InferOp(op, {F32({batch, 3}), F32({4, 3})}, Reduction("none"));
    CHECK(none[0].shape == Shape({4, 3}));  // the target's known dim fills in the symbolic one
    CHECK(none[0].dtype == DType::kF32);
    CHECK(InferOp(op, {F32({}), F32({})}, Reduction("none"))[0].shape == kScalar);
    CHECK_THROWS_WITH(InferOp(op, {F32({2, 3}), F32({2, 4})}), Catch::Contains("the target must have the input's shape"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2, 3}), F32({6})}), Catch::Contains("differ in rank"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2}), I64({2})}), Catch::Contains("must be f32"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2}), F32({2})}, Reduction("average")),
                      Catch::Contains("reduction must be \"mean\", \"sum\" or \"none\", got \"average\""));
  }
}

TEST_CASE("pointwise loss gradients have the input's shape and take dLoss of the loss's shape",
          "[graph][infer][infer:MSELossGrad][infer:BCELossGrad][infer:BCEWithLogitsLossGrad]") {
  for (const char* op : {"MSELossGrad", "BCELossGrad", "BCEWithLogitsLossGrad"}) {
    INFO(op);
    CHECK(FindOpSchema(op)->since_version() == 3);
    CHECK(InferOp(op, {F32({}), F32({4, 3}), F32({4, 3})})[0].shape == Shape({4, 3}));
    CHECK(InferOp(op, {F32({4, 3}), F32({4, 3}), F32({4, 3})}, Reduction("none"))[0].shape == Shape({4, 3}));
    CHECK_THROWS_WITH(InferOp(op, {F32({4, 3}), F32({4, 3}), F32({4, 3})}),
                      Catch::Contains("dLoss must have the loss output's shape"));
    CHECK_THROWS_WITH(InferOp(op, {F32({}), F32({4, 3}), F32({4, 3})}, Reduction("none")),
                      Catch::Contains("dLoss must have the loss output's shape"));
    CHECK_THROWS_WITH(InferOp(op, {F32({}), F32({4, 3}), F32({3, 4})}), Catch::Contains("the target must"));
  }
}

TEST_CASE("class losses take [N, C, d...] scores, [N, d...] labels and optional [C] weights",
          "[graph][infer][infer:SoftmaxCrossEntropyLoss][infer:NegativeLogLikelihoodLoss]") {
  const Dim n = Dim::Symbol("n");
  for (const char* op : {"SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss"}) {
    INFO(op);
    CHECK(FindOpSchema(op)->since_version() == 3);
    CHECK(InferOp(op, {F32({n, 10}), I64({n})})[0].shape == kScalar);
    CHECK(InferOp(op, {F32({n, 10}), Typed(DType::kI32, {n}), F32({10})}, Reduction("sum"))[0].shape == kScalar);
    CHECK(InferOp(op, {F32({n, 10, 4, 5}), I64({2, 4, 5}), Omitted()}, Reduction("none"))[0].shape ==
          Shape({2, 4, 5}));
    CHECK(InferOp(op, {F32({n, 10}), I64({n})}, {{"ignore_index", int64_t{-1}}})[0].dtype == DType::kF32);
    CHECK_THROWS_WITH(InferOp(op, {F32({8}), I64({8})}), Catch::Contains("rank >= 2"));
    CHECK_THROWS_WITH(InferOp(op, {F32({8, 3}), I64({7})}), Catch::Contains("labels must have the scores' shape"));
    CHECK_THROWS_WITH(InferOp(op, {F32({8, 3, 2}), I64({8})}), Catch::Contains("differ in rank"));
    CHECK_THROWS_WITH(InferOp(op, {F32({8, 3}), F32({8})}), Catch::Contains("labels must be i64 or i32, got f32"));
    CHECK_THROWS_WITH(InferOp(op, {F32({8, 3}), I64({8}), F32({4})}), Catch::Contains("one entry per class"));
    CHECK_THROWS_WITH(InferOp(op, {F32({8, 3}), I64({8}), F32({3, 1})}), Catch::Contains("weights must be 1-D"));
    CHECK_THROWS_WITH(InferOp(op, {F32({8, 3}), I64({8})}, {{"ignore_index", 1.0f}}), Catch::Contains("must be int"));
  }
  // SoftmaxCrossEntropyLoss's optional second output is log_softmax of the scores.
  const auto both = InferOpOutputs("SoftmaxCrossEntropyLoss", {F32({n, 10, 3}), I64({n, 3})}, 2);
  CHECK(both[0].shape == kScalar);
  CHECK(both[1].shape == Shape({n, 10, 3}));
  CHECK(both[1].dtype == DType::kF32);
  CHECK_THROWS_WITH(InferOpOutputs("NegativeLogLikelihoodLoss", {F32({2, 3}), I64({2})}, 2),
                    Catch::Contains("expects 1 outputs, got 2"));
}

TEST_CASE("class loss gradients have the scores' shape",
          "[graph][infer][infer:SoftmaxCrossEntropyLossGrad][infer:NegativeLogLikelihoodLossGrad]") {
  for (const char* op : {"SoftmaxCrossEntropyLossGrad", "NegativeLogLikelihoodLossGrad"}) {
    INFO(op);
    CHECK(FindOpSchema(op)->since_version() == 3);
    CHECK(InferOp(op, {F32({}), F32({4, 3, 2}), I64({4, 2})})[0].shape == Shape({4, 3, 2}));
    CHECK(InferOp(op, {F32({4, 2}), F32({4, 3, 2}), I64({4, 2}), F32({3})}, Reduction("none"))[0].shape ==
          Shape({4, 3, 2}));
    CHECK_THROWS_WITH(InferOp(op, {F32({4}), F32({4, 3}), I64({4})}),
                      Catch::Contains("dLoss must have the loss output's shape"));
    CHECK_THROWS_WITH(InferOp(op, {F32({3}), F32({4, 3}), I64({4})}, Reduction("none")),
                      Catch::Contains("dLoss must have the loss output's shape"));
  }
}
