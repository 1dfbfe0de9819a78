// layer-norm-fusion and gelu-fusion on the patterns PyTorch 1.13 exports at opset 13 (checked by
// hand against a torch.nn.TransformerEncoderLayer export; built here without torch): each runs
// fused and unfused with outputs compared and the node count checked. The fused kernels round
// differently from the op chains (one mean and variance loop; x·(1/√2) for x/√2), so outputs
// agree to float precision, not bit for bit.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "graph/builder.h"
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
  CHECK(CountOps(r.graph, "MatMul") == 2);
  // The first bias Add stays (read by the Gelu), the second and the residual become one FusedElementwise.
  CHECK(CountOps(r.graph, "FusedElementwise") == 1);
  CHECK(r.graph.nodes.size() == 7);
}
