// layer-norm-fusion and gelu-fusion on the patterns PyTorch 1.13 exports at opset 13 (checked by
// hand against a torch.nn.TransformerEncoderLayer export; built here without torch): each runs
// fused and unfused with outputs compared and the node count checked. The fused kernels round
// differently from the op chains (one mean and variance loop; x·(1/√2) for x/√2), so outputs
// agree to float precision, not bit for bit.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "graph/builder.h"
#include "graph/op_schema.h"
#include "tests/graph/graph_test_util.h"
#include "tests/runtime/passes/pass_test_util.h"

using namespace axon;
using namespace axon::testing;
using graph::Dim;
using graph::Shape;

namespace {

Tensor Scalar(float v) { return Tensor::FromVector(std::vector<float>{v}, {}); }

struct LayerNormParts {
  bool scale = true, bias = true;
  bool commuted = false;  // the Mul and Adds with their operands swapped, as other exporters write them
  float epsilon = 1e-5f;
};

// /norm1/ReduceMean ... /norm1/Add_1 of the export, on x [batch, 5, 16] normalized over the last dim.
std::string LayerNormPattern(graph::GraphBuilder& b, const std::string& x, const LayerNormParts& p,
                             const std::string& prefix = "norm") {
  const std::map<std::string, graph::Attribute> last_axis = {{"axes", std::vector<int64_t>{-1}}};
  auto mean = b.Op("ReduceMean", {x}, last_axis);
  auto d = b.Op("Sub", {x, mean});
  auto var = b.Op("ReduceMean", {b.Op("Pow", {d, b.Weight(prefix + "_two", Scalar(2.0f))})}, last_axis);
  auto eps = b.Weight(prefix + "_eps", Scalar(p.epsilon));
  auto dev = b.Op("Sqrt", {p.commuted ? b.Op("Add", {eps, var}) : b.Op("Add", {var, eps})});
  std::string y = b.Op("Div", {d, dev});
  if (p.scale) {
    auto w = b.Weight(prefix + ".weight", RandomTensor({16}, 11, 0.5f, 1.5f));
    y = p.commuted ? b.Op("Mul", {w, y}) : b.Op("Mul", {y, w});
  }
  if (p.bias) {
    auto c = b.Weight(prefix + ".bias", RandomTensor({16}, 12, -0.5f, 0.5f));
    y = p.commuted ? b.Op("Add", {c, y}) : b.Op("Add", {y, c});
  }
  return y;
}

graph::Graph LayerNormGraph(const LayerNormParts& p) {
  graph::GraphBuilder b("layer_norm");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 5, 16}));
  b.Output(LayerNormPattern(b, x, p), "y");
  return b.Build();
}

// PyTorch's GELU: Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5); Hugging Face's: Mul(Mul(x, 0.5),
// Add(1, Erf(Mul(x, 1/√2)))).
std::string GeluPattern(graph::GraphBuilder& b, const std::string& x, bool torch_form) {
  if (torch_form) {
    auto erf = b.Op("Erf", {b.Op("Div", {x, b.Weight("sqrt2", Scalar(1.4142135623730951f))})});
    auto one_plus = b.Op("Add", {erf, b.Weight("one", Scalar(1.0f))});
    return b.Op("Mul", {b.Op("Mul", {x, one_plus}), b.Weight("half", Scalar(0.5f))});
  }
  auto erf = b.Op("Erf", {b.Op("Mul", {x, b.Weight("rsqrt2", Scalar(0.7071067811865476f))})});
  auto one_plus = b.Op("Add", {b.Weight("one", Scalar(1.0f)), erf});
  return b.Op("Mul", {b.Op("Mul", {b.Weight("half", Scalar(0.5f)), x}), one_plus});
}

}  // namespace

TEST_CASE("layer-norm-fusion turns PyTorch's nine LayerNorm ops into one LayerNormalization", "[passes][layer-norm-fusion]") {
  for (const bool commuted : {false, true}) {
    INFO("operands commuted: " << commuted);
    const graph::Graph g = LayerNormGraph({.commuted = commuted});
    REQUIRE(g.nodes.size() == 9);
    const std::vector<NamedTensor> in = {{"x", RandomTensor({3, 5, 16}, 1, -3.0f, 3.0f)}};
    const Optimized r = OptimizeAndCompare(g, in);
    CHECK(r.difference < 2e-6);
    REQUIRE(r.graph.nodes.size() == 1);
    const graph::Node& norm = r.graph.nodes[0];
    CHECK(norm.op_type == "LayerNormalization");
    CHECK(norm.inputs == std::vector<std::string>{"x", "norm.weight", "norm.bias"});
    CHECK(norm.outputs[0] == "y");
    CHECK(norm.attrs.at("axis") == graph::Attribute(int64_t{2}));
    CHECK(norm.attrs.at("epsilon") == graph::Attribute(1e-5f));
    // Switched off, elementwise-fusion merges what it can instead: more nodes, same outputs.
    const Optimized off = OptimizeAndCompare(g, in, 2, {.disabled_passes = {"layer-norm-fusion"}});
    CHECK(CountOps(off.graph, "LayerNormalization") == 0);
    CHECK(off.graph.nodes.size() > 1);
    CHECK(off.difference == 0);
  }
}

TEST_CASE("layer-norm-fusion without the affine ops, and where the pattern is broken", "[passes][layer-norm-fusion]") {
  const std::vector<NamedTensor> in = {{"x", RandomTensor({2, 5, 16}, 3, -2.0f, 2.0f)}};
  // No Mul and no Add (elementwise_affine=False): a Scale of ones is added, no B.
  const Optimized bare = OptimizeAndCompare(LayerNormGraph({.scale = false, .bias = false, .epsilon = 1e-3f}), in);
  CHECK(bare.difference < 2e-6);
  REQUIRE(bare.graph.nodes.size() == 1);
  CHECK(bare.graph.nodes[0].op_type == "LayerNormalization");
  REQUIRE(bare.graph.nodes[0].inputs.size() == 2);
  const Tensor& ones = bare.graph.initializers.at(bare.graph.nodes[0].inputs[1]);
  CHECK(ones.shape() == std::vector<int64_t>{16});
  CHECK(ones.ToFloatVector() == std::vector<float>(16, 1.0f));
  CHECK(bare.graph.nodes[0].attrs.at("epsilon") == graph::Attribute(1e-3f));
  // A scale without a bias.
  const Optimized scaled = OptimizeAndCompare(LayerNormGraph({.bias = false}), in);
  CHECK(scaled.difference < 2e-6);
  REQUIRE(scaled.graph.nodes.size() == 1);
  CHECK(scaled.graph.nodes[0].inputs.size() == 2);

  // The centred value read a third time (a graph output too): it must stay, so nothing fuses.
  {
    graph::GraphBuilder b("shared_centre");
    auto x = b.Input("x", DType::kF32, Shape({2, 5, 16}));
    auto y = LayerNormPattern(b, x, {});
    b.Output(y, "y");
    graph::Graph g = b.Build();
    const std::string centred = g.nodes[1].outputs[0];  // the Sub
    g.outputs.push_back(g.value_info.at(centred));
    const Optimized r = OptimizeAndCompare(g, in);
    CHECK(r.difference == 0);
    CHECK(CountOps(r.graph, "LayerNormalization") == 0);
  }
  // Squared by another exponent (not a variance): not a LayerNorm.
  {
    graph::GraphBuilder b("cube");
    auto x = b.Input("x", DType::kF32, Shape({2, 5, 16}));
    const std::map<std::string, graph::Attribute> last_axis = {{"axes", std::vector<int64_t>{-1}}};
    auto d = b.Op("Sub", {x, b.Op("ReduceMean", {x}, last_axis)});
    auto var = b.Op("ReduceMean", {b.Op("Pow", {d, b.Weight("three", Scalar(3.0f))})}, last_axis);
    b.Output(b.Op("Div", {d, b.Op("Sqrt", {b.Op("Add", {var, b.Weight("eps", Scalar(1e-5f))})})}), "y");
    const Optimized r = OptimizeAndCompare(b.Build(), in);
    CHECK(CountOps(r.graph, "LayerNormalization") == 0);
  }
  // An ε of shape [1, 1, 1, 1] broadcasts the result to rank 4: not LayerNormalization's shape.
  {
    graph::GraphBuilder b("rank_four_eps");
    auto x = b.Input("x", DType::kF32, Shape({2, 5, 16}));
    const std::map<std::string, graph::Attribute> last_axis = {{"axes", std::vector<int64_t>{-1}}};
    auto d = b.Op("Sub", {x, b.Op("ReduceMean", {x}, last_axis)});
    auto var = b.Op("ReduceMean", {b.Op("Pow", {d, b.Weight("two", Scalar(2.0f))})}, last_axis);
    auto eps = b.Weight("eps", Tensor::FromVector(std::vector<float>{1e-5f}, {1, 1, 1, 1}));
    b.Output(b.Op("Div", {d, b.Op("Sqrt", {b.Op("Add", {var, eps})})}), "y");
    const Optimized r = OptimizeAndCompare(b.Build(), in);
    CHECK(CountOps(r.graph, "LayerNormalization") == 0);
    CHECK(r.difference == 0);
  }
}

TEST_CASE("gelu-fusion turns the exported x·0.5·(1 + erf(x/√2)) into one Gelu", "[passes][gelu-fusion]") {
  for (const bool torch_form : {true, false}) {
    INFO("PyTorch's form: " << torch_form);
    graph::GraphBuilder b("gelu");
    auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 64}));
    b.Output(GeluPattern(b, x, torch_form), "y");
    const graph::Graph g = b.Build();
    REQUIRE(g.nodes.size() == 5);
    const std::vector<NamedTensor> in = {{"x", RandomTensor({4, 64}, 5, -6.0f, 6.0f)}};
    const Optimized r = OptimizeAndCompare(g, in);
    CHECK(r.difference < 1e-6);
    REQUIRE(r.graph.nodes.size() == 1);
    CHECK(r.graph.nodes[0].op_type == "Gelu");
    CHECK(r.graph.nodes[0].inputs == std::vector<std::string>{"x"});
    CHECK(r.graph.nodes[0].outputs[0] == "y");
    CHECK(r.report.nodes_before == 5);
    CHECK(r.report.nodes_after == 1);
    const Optimized off = OptimizeAndCompare(g, in, 2, {.disabled_passes = {"gelu-fusion"}});
    CHECK(CountOps(off.graph, "Gelu") == 0);
    CHECK(off.difference == 0);
  }
  // A wrong constant (x/2 instead of x/√2) is not GELU.
  graph::GraphBuilder b("not_gelu");
  auto x = b.Input("x", DType::kF32, Shape({4, 8}));
  auto erf = b.Op("Erf", {b.Op("Div", {x, b.Weight("two", Scalar(2.0f))})});
  b.Output(b.Op("Mul", {b.Op("Mul", {x, b.Op("Add", {erf, b.Weight("one", Scalar(1.0f))})}), b.Weight("half", Scalar(0.5f))}), "y");
  CHECK(CountOps(OptimizeAndCompare(b.Build(), {{"x", RandomTensor({4, 8}, 6)}}).graph, "Gelu") == 0);
  // A rank-0 x with [1]-shaped constants: the chain's result is [1], Gelu's would be [].
  graph::GraphBuilder s0("scalar_gelu");
  auto x0 = s0.Input("x", DType::kF32, Shape(std::vector<Dim>{}));
  auto one = [&](const char* name, float v) { return s0.Weight(name, Tensor::FromVector(std::vector<float>{v}, {1})); };
  auto erf0 = s0.Op("Erf", {s0.Op("Div", {x0, one("sqrt2", 1.4142135623730951f)})});
  s0.Output(s0.Op("Mul", {s0.Op("Mul", {x0, s0.Op("Add", {erf0, one("one", 1.0f)})}), one("half", 0.5f)}), "y");
  const Optimized scalar = OptimizeAndCompare(s0.Build(), {{"x", Tensor::FromVector(std::vector<float>{0.75f}, {})}});
  CHECK(CountOps(scalar.graph, "Gelu") == 0);
  CHECK(scalar.difference == 0);
}

TEST_CASE("gelu-fusion turns the tanh form 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) into Gelu(approximate=tanh)",
          "[passes][gelu-fusion]") {
  // PyTorch's export of approximate='tanh' (x·(x·x), constants first) and Hugging Face's NewGELU
  // (Pow(x, 3), 0.5·x first).
  auto tanh_gelu = [](graph::GraphBuilder& b, const std::string& x, bool torch_form, float kappa) {
    auto k = b.Weight("kappa", Scalar(kappa));
    auto beta = b.Weight("beta", Scalar(0.7978845608028654f));
    auto one = b.Weight("one", Scalar(1.0f));
    auto half = b.Weight("half", Scalar(0.5f));
    if (torch_form) {
      auto cube = b.Op("Mul", {x, b.Op("Mul", {x, x})});
      auto inner = b.Op("Mul", {beta, b.Op("Add", {x, b.Op("Mul", {k, cube})})});
      return b.Op("Mul", {half, b.Op("Mul", {x, b.Op("Add", {one, b.Op("Tanh", {inner})})})});
    }
    auto cube = b.Op("Pow", {x, b.Weight("three", Scalar(3.0f))});
    auto inner = b.Op("Mul", {b.Op("Add", {x, b.Op("Mul", {cube, k})}), beta});
    return b.Op("Mul", {b.Op("Mul", {half, x}), b.Op("Add", {one, b.Op("Tanh", {inner})})});
  };
  for (const bool torch_form : {true, false}) {
    INFO("PyTorch's form: " << torch_form);
    graph::GraphBuilder b("gelu_tanh");
    auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 64}));
    b.Output(tanh_gelu(b, x, torch_form, 0.044715f), "y");
    const graph::Graph g = b.Build();
    REQUIRE(g.nodes.size() == (torch_form ? 9u : 8u));
    const std::vector<NamedTensor> in = {{"x", RandomTensor({4, 64}, 5, -6.0f, 6.0f)}};
    const Optimized r = OptimizeAndCompare(g, in);
    // |Δ|/(1 + |y|): the unfused 1 + tanh u cancels for x << 0, so the two differ at float precision.
    CHECK(r.difference < 1e-6);
    REQUIRE(r.graph.nodes.size() == 1);
    CHECK(r.graph.nodes[0].op_type == "Gelu");
    CHECK(r.graph.nodes[0].attrs.at("approximate") == graph::Attribute(std::string("tanh")));
    CHECK(r.graph.nodes[0].inputs == std::vector<std::string>{"x"});
    CHECK(r.graph.nodes[0].outputs[0] == "y");
    const Optimized off = OptimizeAndCompare(g, in, 2, {.disabled_passes = {"gelu-fusion"}});
    CHECK(CountOps(off.graph, "Gelu") == 0);
  }
  // Another coefficient than 0.044715 is not GELU.
  graph::GraphBuilder b("not_gelu_tanh");
  auto x = b.Input("x", DType::kF32, Shape({4, 8}));
  b.Output(tanh_gelu(b, x, true, 0.05f), "y");
  CHECK(CountOps(OptimizeAndCompare(b.Build(), {{"x", RandomTensor({4, 8}, 6)}}).graph, "Gelu") == 0);
}

TEST_CASE("an encoder's feed-forward block: LayerNorm, Linear, GELU, Linear, residual, LayerNorm", "[passes][layer-norm-fusion][gelu-fusion]") {
  graph::GraphBuilder b("ffn");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 5, 16}));
  auto h = LayerNormPattern(b, x, {}, "norm1");
  auto up = b.Op("Add", {b.Weight("b1", RandomTensor({32}, 21)), b.Op("MatMul", {h, b.Weight("w1", RandomTensor({16, 32}, 22, -0.3f, 0.3f))})});
  auto act = GeluPattern(b, up, true);
  auto down = b.Op("Add", {b.Weight("b2", RandomTensor({16}, 23)), b.Op("MatMul", {act, b.Weight("w2", RandomTensor({32, 16}, 24, -0.3f, 0.3f))})});
  b.Output(LayerNormPattern(b, b.Op("Add", {h, down}), {}, "norm2"), "y");
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(g, {{"x", RandomTensor({2, 5, 16}, 25)}});
  CHECK(r.difference < 1e-5);
  CHECK(CountOps(r.graph, "LayerNormalization") == 2);
  CHECK(CountOps(r.graph, "Gelu") == 1);
  // Each Linear is one FusedGemm over batch·5 rows with its bias; the second takes the residual too.
  CHECK(CountOps(r.graph, "MatMul") == 0);
  CHECK(CountOps(r.graph, "FusedGemm") == 2);
  CHECK(r.graph.nodes.size() == 5);
}

namespace {

// /self_attn/Div_1 ... /self_attn/MatMul_2 of the export: q [heads, L, d] scaled by 1/√d, kt
// [heads, d, S], v [heads, S, dv].
graph::Graph AttentionGraph(const char* scaling) {
  graph::GraphBuilder b("attention");
  auto q = b.Input("q", DType::kF32, Shape({Dim::Symbol("heads"), 10, 8}));
  auto kt = b.Input("kt", DType::kF32, Shape({Dim::Symbol("heads"), 8, 12}));
  auto v = b.Input("v", DType::kF32, Shape({Dim::Symbol("heads"), 12, 6}));
  std::string scaled = q;
  if (std::string(scaling) == "div") scaled = b.Op("Div", {q, b.Weight("sqrt_d", Scalar(2.828427f))});
  if (std::string(scaling) == "mul") scaled = b.Op("Mul", {b.Weight("rsqrt_d", Scalar(0.35355338f)), q});
  if (std::string(scaling) == "both") scaled = b.Op("Div", {q, b.Weight("sqrt_d", Scalar(2.828427f))});
  std::string scores = b.Op("MatMul", {scaled, kt});
  // Attention as written by hand and exported: the scores scaled, (Q·Kt)/√d.
  if (std::string(scaling) == "scores-div" || std::string(scaling) == "both")
    scores = b.Op("Div", {scores, b.Weight("scores_sqrt_d", Scalar(2.828427f))});
  if (std::string(scaling) == "scores-mul") scores = b.Op("Mul", {scores, b.Weight("scores_rsqrt_d", Scalar(0.35355338f))});
  auto p = b.Op("Softmax", {scores}, {{"axis", int64_t{-1}}});
  b.Output(b.Op("MatMul", {p, v}), "y");
  return b.Build();
}

}  // namespace

TEST_CASE("attention-fusion turns Softmax(Q·Kt/√d)·V into one FusedAttention", "[passes][attention-fusion]") {
  const std::vector<NamedTensor> in = {{"q", RandomTensor({3, 10, 8}, 31)},
                                       {"kt", RandomTensor({3, 8, 12}, 32)},
                                       {"v", RandomTensor({3, 12, 6}, 33)}};
  for (const char* scaling : {"div", "mul", "none", "scores-div", "scores-mul", "both"}) {
    INFO(scaling);
    const graph::Graph g = AttentionGraph(scaling);
    const Optimized r = OptimizeAndCompare(g, in);
    CHECK(r.difference < 2e-6);  // scale·(Q·Kt) in the GEMM where the graph divides Q first
    REQUIRE(r.graph.nodes.size() == 1);
    const graph::Node& fused = r.graph.nodes[0];
    CHECK(fused.op_type == "FusedAttention");
    CHECK(fused.inputs == std::vector<std::string>{"q", "kt", "v"});
    CHECK(fused.outputs[0] == "y");
    const float scale = std::get<float>(fused.attrs.at("scale"));
    const double expected = std::string(scaling) == "none" ? 1.0 : std::string(scaling) == "both" ? 1 / 8.0 : 1 / std::sqrt(8.0);
    CHECK(scale == Approx(expected).epsilon(1e-6));
    CHECK(OptimizeAndCompare(g, in, 2, {.disabled_passes = {"attention-fusion"}}).graph.nodes.size() == g.nodes.size());
  }
  // Softmax over another axis is not attention; nor are probabilities read twice.
  graph::GraphBuilder b("other_axis");
  auto q = b.Input("q", DType::kF32, Shape({3, 10, 8}));
  auto kt = b.Input("kt", DType::kF32, Shape({3, 8, 12}));
  auto v = b.Input("v", DType::kF32, Shape({3, 12, 6}));
  auto p = b.Op("Softmax", {b.Op("MatMul", {q, kt})}, {{"axis", int64_t{1}}});
  b.Output(b.Op("MatMul", {p, v}), "y");
  auto p2 = b.Op("Softmax", {b.Op("MatMul", {q, kt})});
  b.Output(b.Op("MatMul", {p2, v}), "y2");
  b.Output(p2, "p2");
  // Nor are scaled scores read elsewhere: the scaling must stay, and so the pattern.
  auto scaled_scores = b.Op("Div", {b.Op("MatMul", {q, kt}), b.Weight("sqrt_d", Scalar(2.828427f))});
  b.Output(b.Op("MatMul", {b.Op("Softmax", {scaled_scores}), v}), "y3");
  b.Output(scaled_scores, "scores");
  const Optimized kept = OptimizeAndCompare(b.Build(), in);
  CHECK(kept.difference == 0);
  CHECK(CountOps(kept.graph, "FusedAttention") == 0);
}

TEST_CASE("FusedAttention: shape rule and kernel by hand", "[infer:FusedAttention][kernel:FusedAttention]") {
  using graph::testing::F32;
  using graph::testing::InferOp;
  CHECK(InferOp("FusedAttention", {F32({2, 4, 10, 8}), F32({2, 4, 8, 12}), F32({2, 4, 12, 6})})[0].shape ==
        Shape({2, 4, 10, 6}));
  CHECK_THROWS_WITH(InferOp("FusedAttention", {F32({2, 10, 8}), F32({2, 7, 12}), F32({2, 12, 6})}),
                    Catch::Contains("must share d"));
  CHECK_THROWS_WITH(InferOp("FusedAttention", {F32({2, 10, 8}), F32({2, 8, 12}), F32({2, 11, 6})}),
                    Catch::Contains("must share S"));
  CHECK_THROWS_WITH(InferOp("FusedAttention", {F32({2, 10, 8}), F32({3, 8, 12}), F32({2, 12, 6})}),
                    Catch::Contains("cannot be broadcast"));
  // Leading dims broadcast as the fused MatMuls' do: [2, 1] with [1, 4] with [1, 1].
  CHECK(InferOp("FusedAttention", {F32({2, 1, 10, 8}), F32({1, 4, 8, 12}), F32({1, 1, 12, 6})})[0].shape ==
        Shape({2, 4, 10, 6}));
  {  // FLOPs count the broadcast batch: 8 slices of 10·12·(2·8 + 2·6 + 4)
    const graph::OpSchema& schema = *graph::FindOpSchema("FusedAttention");
    graph::Node node;
    node.op_type = "FusedAttention";
    const graph::AttrReader attrs(node, schema);
    const std::vector<std::vector<int64_t>> ins = {{2, 1, 10, 8}, {1, 4, 8, 12}, {1, 1, 12, 6}}, outs = {{2, 4, 10, 6}};
    CHECK(schema.EstimateFlops({ins, outs, attrs}) == 8.0 * 10 * 12 * (2 * 8 + 2 * 6 + 4));
  }

  // One query row [1, 0], scale 2, keys as columns [1, 0] and [0, 1]: scores [2, 0], softmax
  // [e²/(e²+1), 1/(e²+1)]; V rows [1, 10] and [3, 20].
  graph::GraphBuilder b("attention_by_hand");
  auto q = b.Input("q", DType::kF32, Shape({1, 1, 2}));
  auto kt = b.Weight("kt", Tensor::FromVector(std::vector<float>{1, 0, 0, 1}, {1, 2, 2}));
  auto v = b.Weight("v", Tensor::FromVector(std::vector<float>{1, 10, 3, 20}, {1, 2, 2}));
  b.Output(b.Op("FusedAttention", {q, kt, v}, {{"scale", 2.0f}}), "y");
  const Tensor y = RunGraph(b.Build(), {{"q", Tensor::FromVector(std::vector<float>{1, 0}, {1, 1, 2})}})[0];
  const double p0 = std::exp(2.0) / (std::exp(2.0) + 1), p1 = 1 - p0;
  CHECK(y.data<float>()[0] == Approx(p0 * 1 + p1 * 3).epsilon(1e-6));
  CHECK(y.data<float>()[1] == Approx(p0 * 10 + p1 * 20).epsilon(1e-6));
  // Longer than one block of query rows (kAttentionRowBlock = 32), against the unfused ops.
  graph::GraphBuilder big("attention_blocks");
  auto bq = big.Input("q", DType::kF32, Shape({2, 70, 16}));
  auto bkt = big.Input("kt", DType::kF32, Shape({2, 16, 40}));
  auto bv = big.Input("v", DType::kF32, Shape({2, 40, 5}));
  big.Output(big.Op("FusedAttention", {bq, bkt, bv}), "y");
  graph::GraphBuilder ref("attention_ops");
  auto rq = ref.Input("q", DType::kF32, Shape({2, 70, 16}));
  auto rkt = ref.Input("kt", DType::kF32, Shape({2, 16, 40}));
  auto rv = ref.Input("v", DType::kF32, Shape({2, 40, 5}));
  ref.Output(ref.Op("MatMul", {ref.Op("Softmax", {ref.Op("MatMul", {rq, rkt})}), rv}), "y");
  const std::vector<NamedTensor> in = {{"q", RandomTensor({2, 70, 16}, 41)},
                                       {"kt", RandomTensor({2, 16, 40}, 42)},
                                       {"v", RandomTensor({2, 40, 5}, 43)}};
  CHECK(MaxRelativeDifference(RunGraph(big.Build(), in), RunGraph(ref.Build(), in)) < 1e-6);
}
