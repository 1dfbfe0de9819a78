// Shape inference of LayerNormalization and BatchNormalization.
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::InferOp;

namespace {

// InferOp with a given number of node outputs (the optional ones included).
std::vector<ValueInfo> InferOutputs(const std::string& op, std::vector<ValueInfo> inputs, std::size_t outputs,
                                    std::map<std::string, Attribute> attrs = {}) {
  Node node{"norm", op, {}, {}, std::move(attrs)};
  for (std::size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back("in" + std::to_string(i));
  for (std::size_t o = 0; o < outputs; ++o) node.outputs.push_back("out" + std::to_string(o));
  const OpSchema& schema = SchemaFor(node);
  InferContext ctx(node, schema);
  ctx.inputs = std::move(inputs);
  ctx.input_values.resize(ctx.inputs.size(), nullptr);
  schema.RunInference(ctx);
  return ctx.outputs;
}

}  // namespace

TEST_CASE("LayerNormalization: Y as X, Mean and InvStdDev keep the normalized dims as 1",
          "[graph][infer][infer:LayerNormalization]") {
  const Dim b = Dim::Symbol("batch");
  auto out = InferOutputs("LayerNormalization", {F32({b, 5, 8}), F32({8}), F32({8})}, 3);
  CHECK(out[0].shape == Shape({b, 5, 8}));
  CHECK(out[1].shape == Shape({b, 5, 1}));
  CHECK(out[2].shape == Shape({b, 5, 1}));
  CHECK(out[2].dtype == DType::kF32);
  out = InferOutputs("LayerNormalization", {F32({b, 5, 8}), F32({5, 8})}, 2, {{"axis", int64_t{1}}});
  CHECK(out.size() == 2);
  CHECK(out[1].shape == Shape({b, 1, 1}));
  // Scale and B broadcast to the normalized dims.
  CHECK(InferOp("LayerNormalization", {F32({2, 5, 8}), F32({8}), F32({1, 8})}, {{"axis", int64_t{-2}}})[0].shape ==
        Shape({2, 5, 8}));
  CHECK(InferOp("LayerNormalization", {F32({2, 5, 8}), F32({1})})[0].shape == Shape({2, 5, 8}));
  CHECK(InferOp("LayerNormalization", {F32({2, 5, 8}), F32({5, 1})}, {{"axis", int64_t{1}}})[0].shape ==
        Shape({2, 5, 8}));

  CHECK_THROWS_WITH(InferOp("LayerNormalization", {F32({2, 5, 8}), F32({5})}),
                    Catch::Contains("Scale [5] does not broadcast to the normalized dims [8]"));
  CHECK_THROWS_WITH(InferOp("LayerNormalization", {F32({2, 5, 8}), F32({5, 8})}),
                    Catch::Contains("does not broadcast"));  // more dims than are normalized
  CHECK_THROWS_WITH(InferOp("LayerNormalization", {F32({2, 8}), F32({8}), F32({3})}),
                    Catch::Contains("B [3] does not broadcast"));
  CHECK_THROWS_WITH(InferOp("LayerNormalization", {F32({2, 8}), F32({8})}, {{"axis", int64_t{2}}}),
                    Catch::Contains("axis 2 is out of range for rank 2"));
  CHECK_THROWS_WITH(InferOp("LayerNormalization", {F32({}), F32({1})}), Catch::Contains("rank >= 1"));
  CHECK_THROWS_WITH(InferOp("LayerNormalization", {F32({2, 8}), F32({8})}, {{"stash_type", int64_t{11}}}),
                    Catch::Contains("stash_type 11 is not supported"));
  CHECK_THROWS_WITH(InferOp("LayerNormalization", {F32({2, 8})}), Catch::Contains("expects 2 to 3 inputs, got 1"));
  CHECK_THROWS_WITH(InferOutputs("LayerNormalization", {F32({2, 8}), F32({8})}, 4),
                    Catch::Contains("expects 1 to 3 outputs, got 4"));
  CHECK_THROWS_WITH(InferOp("LayerNormalization", {ValueInfo{"", DType::kI64, Shape({2, 8})}, F32({8})}),
                    Catch::Contains("must be f32"));
  // Unknown rank: Y too, and the statistics.
  out = InferOutputs("LayerNormalization", {ValueInfo{"", DType::kF32, Shape::UnknownRank()}, F32({8})}, 3);
  CHECK_FALSE(out[0].shape.has_rank());
  CHECK_FALSE(out[2].shape.has_rank());
}

TEST_CASE("BatchNormalization: per-channel parameters of X's dim 1",
          "[graph][infer][infer:BatchNormalization]") {
  const Dim n = Dim::Symbol("n");
  auto params = [](Dim c) { return std::vector<ValueInfo>{F32({c}), F32({c}), F32({c}), F32({c})}; };
  auto inputs = [&](std::vector<Dim> x, Dim c) {
    std::vector<ValueInfo> in = {F32(std::move(x))};
    for (ValueInfo& p : params(c)) in.push_back(p);
    return in;
  };
  CHECK(InferOp("BatchNormalization", inputs({n, 3, 4, 5}, 3))[0].shape == Shape({n, 3, 4, 5}));
  CHECK(InferOp("BatchNormalization", inputs({n, 3}, 3))[0].shape == Shape({n, 3}));
  CHECK(InferOp("BatchNormalization", inputs({n, Dim::Symbol("c"), 7}, 3))[0].shape ==
        Shape({n, Dim::Symbol("c"), 7}));
  CHECK(InferOp("BatchNormalization", inputs({2, 3, 4}, 3), {{"momentum", 0.5f}, {"epsilon", 1e-3f}})[0].dtype ==
        DType::kF32);

  // training_mode is 0 or 1 (tests/graph/batch_norm_training_inference_test.cc), naming the node.
  CHECK_THROWS_WITH(InferOp("BatchNormalization", inputs({2, 3, 4}, 3), {{"training_mode", int64_t{3}}}),
                    Catch::Contains("node 'n' (BatchNormalization): training_mode must be 0 or 1"));
  CHECK_THROWS_WITH(InferOutputs("BatchNormalization", inputs({2, 3, 4}, 3), 3),
                    Catch::Contains("running_mean and running_var are outputs of training mode only"));
  CHECK_THROWS_WITH(InferOp("BatchNormalization", inputs({2, 3, 4}, 4)),
                    Catch::Contains("scale has 4 entries for 3 channels"));
  CHECK_THROWS_WITH(InferOp("BatchNormalization", inputs({3}, 3)), Catch::Contains("rank >= 2"));
  std::vector<ValueInfo> two_d = inputs({2, 3}, 3);
  two_d[4] = F32({3, 1});
  CHECK_THROWS_WITH(InferOp("BatchNormalization", two_d), Catch::Contains("input_var must be 1-D [C]"));
  CHECK_THROWS_WITH(InferOp("BatchNormalization", {F32({2, 3}), F32({3})}), Catch::Contains("expects 5 inputs, got 2"));
}
