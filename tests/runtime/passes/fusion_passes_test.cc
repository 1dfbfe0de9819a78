// The fusion passes (opt level 2): every fusion runs fused and unfused with outputs compared and
// the node count checked; the fused ops' own shape rules and kernels are checked against
// hand-derived values.
#include <iterator>
#include <tuple>

#include <catch2/catch.hpp>

#include "formats/axon_format.h"
#include "graph/builder.h"
#include "tests/graph/graph_test_util.h"
#include "tests/runtime/passes/pass_test_util.h"

using namespace axon;
using namespace axon::testing;
using graph::Dim;
using graph::Shape;

namespace {

using Ints = std::vector<int64_t>;

// x[batch, 8] -> Linear(16) -> Relu -> Linear(4) -> Sigmoid, as PyTorch exports it (MatMul + Add).
graph::Graph Mlp(bool weights_as_inputs) {
  graph::GraphBuilder b("mlp");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 8}));
  auto weight = [&](const std::string& name, std::vector<int64_t> shape, uint32_t seed) {
    if (!weights_as_inputs) return b.Weight(name, RandomTensor(shape, seed, -0.5f, 0.5f));
    std::vector<Dim> dims(shape.begin(), shape.end());
    return b.Input(name, DType::kF32, Shape(dims));
  };
  auto h = b.Op("Relu", {b.Op("Add", {b.Op("MatMul", {x, weight("w1", {8, 16}, 1)}), weight("b1", {16}, 2)})});
  auto y = b.Op("Sigmoid", {b.Op("Add", {weight("b2", {4}, 4), b.Op("MatMul", {h, weight("w2", {16, 4}, 3)})})});
  b.Output(y, "y");
  return b.Build();
}

// The Conv paths a fusion must hold on: pointwise (1x1, the GEMM reads X in place), depthwise
// (group = channels), im2col (3x3). Each convolves x [n, 4, 5, 5] into 4 channels, same size.
struct ConvPath {
  const char* name;
  int64_t group, kernel;

  Ints WeightShape() const { return {4, 4 / group, kernel, kernel}; }
  // Conv(x, w[, bias]) with a constant bias of seed 1 when `bias`.
  std::string Conv(graph::GraphBuilder& b, const std::string& x, const std::string& w, bool bias) const {
    std::vector<std::string> in = {x, w};
    if (bias) in.push_back(b.Weight("bias", RandomTensor({4}, 1)));
    const int64_t pad = kernel / 2;
    return b.Op("Conv", in, {{"group", group}, {"pads", Ints{pad, pad, pad, pad}}});
  }
};
constexpr ConvPath kConvPaths[] = {{"pointwise", 1, 1}, {"depthwise", 4, 3}, {"im2col", 1, 3}};

Shape ConvInputShape() { return Shape({Dim::Symbol("n"), 4, 5, 5}); }

}  // namespace

TEST_CASE("matmul-add-fusion and gemm-epilogue-fusion turn an MLP into two FusedGemms", "[passes][gemm-epilogue-fusion]") {
  const graph::Graph g = Mlp(false);
  const Optimized r = OptimizeAndCompare(g, {{"x", RandomTensor({5, 8}, 9)}});
  CHECK(r.difference == 0);  // the epilogue adds and activates as the separate ops do
  REQUIRE(r.graph.nodes.size() == 2);
  CHECK(CountOps(r.graph, "FusedGemm") == 2);
  CHECK(r.graph.nodes[1].attrs.at("activation") == graph::Attribute(std::string("Sigmoid")));
  CHECK(r.report.nodes_before == 6);
  CHECK(r.report.nodes_after == 2);
  // Level 1 fuses nothing.
  CHECK(OptimizeAndCompare(g, {{"x", RandomTensor({5, 8}, 9)}}, 1).graph.nodes.size() == 6);
}

TEST_CASE("GEMM fusions hold for weights fed as inputs (training graphs)", "[passes][gemm-epilogue-fusion]") {
  const graph::Graph g = Mlp(true);
  const std::vector<NamedTensor> in{{"x", RandomTensor({3, 8}, 1)},  {"w1", RandomTensor({8, 16}, 2)},
                                    {"b1", RandomTensor({16}, 3)},  {"w2", RandomTensor({16, 4}, 4)},
                                    {"b2", RandomTensor({4}, 5)}};
  const Optimized r = OptimizeAndCompare(g, in);
  CHECK(r.difference == 0);
  CHECK(r.graph.nodes.size() == 2);
}

TEST_CASE("gemm-epilogue-fusion folds a residual Add and an activation", "[passes][gemm-epilogue-fusion]") {
  graph::GraphBuilder b("residual");
  auto x = b.Input("x", DType::kF32, Shape({6, 5}));
  auto skip = b.Input("skip", DType::kF32, Shape({6, 7}));
  auto w = b.Weight("w", RandomTensor({7, 5}, 1));
  auto c = b.Weight("c", RandomTensor({7}, 2));
  auto y = b.Op("Gemm", {x, w, c}, {{"transB", int64_t{1}}, {"beta", 0.5f}});
  b.Output(b.Op("Tanh", {b.Op("Add", {skip, y})}), "y");
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(g, {{"x", RandomTensor({6, 5}, 3)}, {"skip", RandomTensor({6, 7}, 4)}});
  CHECK(r.difference < 1e-6);
  REQUIRE(r.graph.nodes.size() == 1);
  const graph::Node& fused = r.graph.nodes[0];
  CHECK(fused.op_type == "FusedGemm");
  CHECK(fused.inputs == std::vector<std::string>{"x", "w", "c", "skip"});
  CHECK(fused.outputs[0] == "y");
  // A product read twice stays as it is.
  graph::GraphBuilder b2("shared");
  auto x2 = b2.Input("x", DType::kF32, Shape({2, 3}));
  auto p = b2.Op("MatMul", {x2, b2.Weight("w", RandomTensor({3, 3}, 5))});
  b2.Output(b2.Op("Mul", {b2.Op("Relu", {p}), p}), "y");
  const Optimized shared = OptimizeAndCompare(b2.Build(), {{"x", RandomTensor({2, 3}, 6)}});
  CHECK(CountOps(shared.graph, "FusedGemm") == 0);
  CHECK(CountOps(shared.graph, "MatMul") == 1);
}

TEST_CASE("matmul-add-fusion: a transformer's 3-D Linear becomes one FusedGemm with its bias", "[passes][gemm-epilogue-fusion]") {
  // x [batch, seq, 8] · w [8, 12] + b [12] -> Relu -> · w2 [12, 8] + b2 [1, 8] + x: PyTorch's
  // export of two Linear layers and a residual on a [batch, seq, d] activation.
  graph::GraphBuilder b("linear3d");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), Dim::Symbol("seq"), 8}));
  auto h = b.Op("Add", {b.Op("MatMul", {x, b.Weight("w", RandomTensor({8, 12}, 1, -0.5f, 0.5f))}), b.Weight("b", RandomTensor({12}, 2))});
  h = b.Op("Relu", {h});
  auto y = b.Op("Add", {b.Weight("b2", RandomTensor({1, 8}, 4)), b.Op("MatMul", {h, b.Weight("w2", RandomTensor({12, 8}, 3, -0.5f, 0.5f))})});
  b.Output(b.Op("Add", {y, x}), "y");
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(g, {{"x", RandomTensor({2, 7, 8}, 5)}});
  CHECK(r.difference == 0);  // the same GEMM over batch·seq rows, bias and residual added in its epilogue
  CHECK(r.report.nodes_before == 6);
  REQUIRE(r.graph.nodes.size() == 2);
  CHECK(CountOps(r.graph, "FusedGemm") == 2);
  for (const graph::Node& n : r.graph.nodes) {
    CHECK(n.inputs.size() == (n.inputs[0] == "x" ? 3u : 4u));  // the second has the residual x as R
    if (n.inputs[0] == "x") CHECK(n.attrs.at("activation") == graph::Attribute(std::string("Relu")));
  }
  // The shape rule: rows fold, C must be a row, R must be Y's shape.
  using graph::testing::F32;
  using graph::testing::InferOp;
  CHECK(InferOp("FusedGemm", {F32({2, 7, 8}), F32({8, 12}), F32({12})}, {})[0].shape == Shape({2, 7, 12}));
  CHECK(InferOp("FusedGemm", {F32({2, 7, 8}), F32({12, 8}), F32({1, 12})}, {{"transB", int64_t{1}}})[0].shape ==
        Shape({2, 7, 12}));
  CHECK_THROWS_WITH(InferOp("FusedGemm", {F32({2, 7, 8}), F32({8, 12}), F32({7, 12})}, {}),
                    Catch::Contains("must be a scalar or a row of 12"));
  CHECK_THROWS_WITH(InferOp("FusedGemm", {F32({2, 8, 7}), F32({8, 12})}, {{"transA", int64_t{1}}}),
                    Catch::Contains("cannot be transposed"));
  CHECK_THROWS_WITH(InferOp("FusedGemm", {F32({2, 7, 8}), F32({8, 12}), F32({12}), F32({14, 12})}, {}),
                    Catch::Contains("must have Y's shape"));
}

TEST_CASE("matmul-add-fusion leaves a 3-D MatMul whose Add is no row bias", "[passes][gemm-epilogue-fusion]") {
  // [seq, e] varies by row of the folded GEMM's batch·seq rows: not an epilogue bias.
  graph::GraphBuilder b("linear3d_bias2d");
  auto x = b.Input("x", DType::kF32, Shape({3, 7, 8}));
  b.Output(b.Op("Add", {b.Op("MatMul", {x, b.Weight("w", RandomTensor({8, 12}, 1))}), b.Weight("b", RandomTensor({7, 12}, 2))}), "y");
  const Optimized r = OptimizeAndCompare(b.Build(), {{"x", RandomTensor({3, 7, 8}, 5)}});
  CHECK(r.difference == 0);
  CHECK(CountOps(r.graph, "MatMul") == 1);
  CHECK(CountOps(r.graph, "FusedGemm") == 0);
}

TEST_CASE("transpose-folding moves Transposes into GEMM flags and cancels pairs", "[passes][transpose-folding]") {
  graph::GraphBuilder b("transposes");
  auto x = b.Input("x", DType::kF32, Shape({4, 3}));   // used as xᵀ: [3, 4]
  auto w = b.Input("w", DType::kF32, Shape({5, 4}));   // used as wᵀ: [4, 5]
  auto z = b.Input("z", DType::kF32, Shape({2, 3, 4}));
  auto xt = b.Op("Transpose", {x}, {{"perm", Ints{1, 0}}});
  auto wt = b.Op("Transpose", {w}, {{"perm", Ints{1, 0}}});
  b.Output(b.Op("MatMul", {xt, wt}), "y");
  auto once = b.Op("Transpose", {z}, {{"perm", Ints{1, 2, 0}}});
  b.Output(b.Op("Relu", {b.Op("Transpose", {once}, {{"perm", Ints{2, 0, 1}}})}), "back");
  auto twice = b.Op("Transpose", {b.Op("Transpose", {z}, {{"perm", Ints{1, 0, 2}}})}, {{"perm", Ints{0, 2, 1}}});
  b.Output(twice, "composed");
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(
      g, {{"x", RandomTensor({4, 3}, 1)}, {"w", RandomTensor({5, 4}, 2)}, {"z", RandomTensor({2, 3, 4}, 3)}});
  CHECK(r.difference == 0);
  // Gemm(x, w, transA, transB), Relu(z), one Transpose of z with the composed permutation.
  CHECK(r.graph.nodes.size() == 3);
  CHECK(CountOps(r.graph, "Transpose") == 1);
  for (const graph::Node& n : r.graph.nodes) {
    if (n.op_type == "Gemm") CHECK(n.inputs == std::vector<std::string>{"x", "w"});
    if (n.op_type == "Relu") CHECK(n.inputs[0] == "z");
    if (n.op_type == "Transpose") CHECK(n.attrs.at("perm") == graph::Attribute(Ints{1, 2, 0}));
  }
}

TEST_CASE("transpose-folding: a cancelling pair from a graph input to a graph output becomes one Identity",
          "[passes][transpose-folding]") {
  graph::GraphBuilder b("transpose_pair_to_output");
  auto z = b.Input("z", DType::kF32, Shape({2, 3, 4}));
  auto once = b.Op("Transpose", {z}, {{"perm", Ints{1, 2, 0}}});
  b.Output(b.Op("Transpose", {once}, {{"perm", Ints{2, 0, 1}}}), "same");
  const Optimized r = OptimizeAndCompare(b.Build(), {{"z", RandomTensor({2, 3, 4}, 3)}});
  CHECK(r.difference == 0);
  // The output cannot be renamed to the input z, so a copy stays: one node, not two Transposes.
  REQUIRE(r.graph.nodes.size() == 1);
  CHECK(r.graph.nodes[0].op_type == "Identity");
  CHECK(r.graph.nodes[0].inputs == std::vector<std::string>{"z"});
  CHECK(r.graph.nodes[0].attrs.empty());
}

TEST_CASE("elementwise-fusion runs an 8-op chain with broadcast operands as one node", "[passes][elementwise-fusion]") {
  graph::GraphBuilder b("chain");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("n"), 100}));
  auto bias = b.Weight("bias", RandomTensor({100}, 1));
  auto s = b.Weight("s", Tensor::FromVector(std::vector<float>{0.5f}, {}));
  auto v = b.Op("Add", {b.Op("Mul", {x, s}), bias});
  v = b.Op("Sigmoid", {v});
  v = b.Op("Mul", {v, x});  // x read twice: a tree, not only a chain
  v = b.Op("Sub", {s, v});
  v = b.Op("Abs", {v});
  v = b.Op("Sqrt", {v});
  v = b.Op("LeakyRelu", {b.Op("Neg", {v})}, {{"alpha", 0.25f}});
  auto column = b.Input("column", DType::kF32, Shape({Dim::Symbol("n"), 1}));  // [n, 1]: not a repeat
  b.Output(b.Op("Add", {v, column}), "y");
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(g, {{"x", RandomTensor({7, 100}, 2)}, {"column", RandomTensor({7, 1}, 3)}});
  CHECK(r.difference == 0);  // the same functors as the single-op kernels: bit for bit
  REQUIRE(r.graph.nodes.size() == 2);
  CHECK(CountOps(r.graph, "FusedElementwise") == 1);
  CHECK(r.report.nodes_before == 10);

  // Saved and loaded, the fused graph runs the same.
  graph::Model m;
  m.graph = r.graph;
  graph::Model back = formats::ParseModel(formats::SerializeModel(m).data(), formats::SerializeModel(m).size(), "fused");
  const std::vector<NamedTensor> in{{"x", RandomTensor({3, 100}, 4)}, {"column", RandomTensor({3, 1}, 5)}};
  CHECK(MaxRelativeDifference(RunGraph(back.graph, in), RunGraph(g, in)) == 0);
}

TEST_CASE("FusedElementwise shape rule", "[infer:FusedElementwise]") {
  using graph::testing::F32;
  using graph::testing::InferOp;
  const std::map<std::string, graph::Attribute> add_relu{
      {"ops", std::vector<std::string>{"Add", "Relu"}}, {"operands", Ints{2, 0, 1, 2, 2, -1}}, {"params", std::vector<float>(4, 0)}};
  CHECK(InferOp("FusedElementwise", {F32({Dim::Symbol("n"), 3}), F32({3})}, add_relu)[0].shape == Shape({Dim::Symbol("n"), 3}));
  CHECK(InferOp("FusedElementwise", {F32({1, 3}), F32({4, 3})}, add_relu)[0].shape == Shape({4, 3}));
  CHECK_THROWS_WITH(InferOp("FusedElementwise", {F32({4, 1}), F32({4, 3})}, add_relu),
                    Catch::Contains("input 0 [4,1] is neither the output's shape [4,3] nor a trailing part of it"));
  auto bad = add_relu;
  bad["operands"] = Ints{2, 0, 3, 2, 2, -1};
  CHECK_THROWS_WITH(InferOp("FusedElementwise", {F32({3}), F32({3})}, bad), Catch::Contains("register 3 is read before it is written"));
  bad = add_relu;
  bad["ops"] = std::vector<std::string>{"Add", "Softmax"};
  CHECK_THROWS_WITH(InferOp("FusedElementwise", {F32({3}), F32({3})}, bad), Catch::Contains("not an op FusedElementwise runs"));
}

TEST_CASE("FusedElementwise kernel: a program with periodic and scalar inputs", "[kernel:FusedElementwise]") {
  // y = relu(x·s + b) - x over [3, 1100] (sub-blocks of 512 cut the bias period 1100 apart).
  graph::GraphBuilder b("program");
  auto x = b.Input("x", DType::kF32, Shape({3, 1100}));
  auto s = b.Input("s", DType::kF32, Shape({1}));
  auto bias = b.Input("b", DType::kF32, Shape({1100}));
  b.Output(b.Op("FusedElementwise", {x, s, bias},
                {{"ops", std::vector<std::string>{"Mul", "Add", "Relu", "Sub"}},
                 {"operands", Ints{3, 0, 1, 3, 3, 2, 3, 3, -1, 4, 3, 0}},
                 {"params", std::vector<float>(8, 0)}}),
           "y");
  const Tensor tx = RandomTensor({3, 1100}, 1), ts = RandomTensor({1}, 2), tb = RandomTensor({1100}, 3);
  const Tensor y = RunGraph(b.Build(), {{"x", tx}, {"s", ts}, {"b", tb}})[0];
  for (int64_t i = 0; i < 3 * 1100; ++i) {
    const float xv = tx.data<float>()[i];
    const float t = xv * ts.data<float>()[0] + tb.data<float>()[i % 1100];
    REQUIRE(y.data<float>()[i] == (t > 0 ? t : 0.0f) - xv);
  }
}

TEST_CASE("FusedGemm shape rule", "[infer:FusedGemm]") {
  using graph::testing::F32;
  using graph::testing::InferOp;
  CHECK(InferOp("FusedGemm", {F32({4, 3}), F32({5, 3}), F32({5}), F32({4, 5})}, {{"transB", int64_t{1}}, {"activation", std::string("Relu")}})[0].shape ==
        Shape({4, 5}));
  CHECK_THROWS_WITH(InferOp("FusedGemm", {F32({4, 3}), F32({3, 5}), F32({5}), F32({4, 4})}), Catch::Contains("must have Y's shape [4,5]"));
  CHECK_THROWS_WITH(InferOp("FusedGemm", {F32({4, 3}), F32({3, 5})}, {{"activation", std::string("Gelu")}}),
                    Catch::Contains("activation must be"));
}

TEST_CASE("FusedGemm kernel: bias, residual and activation by hand", "[kernel:FusedGemm]") {
  // A = [[1, 2], [3, 4]], B = I·2, C = [1, -10], R = [[0, 0], [0, 1]]:
  // A·B + C + R = [[3, -6], [7, -1]]; Relu -> [[3, 0], [7, 0]].
  graph::GraphBuilder b("fused");
  auto a = b.Input("a", DType::kF32, Shape({2, 2}));
  auto r = b.Input("r", DType::kF32, Shape({2, 2}));
  auto w = b.Weight("w", Tensor::FromVector(std::vector<float>{2, 0, 0, 2}, {2, 2}));
  auto c = b.Weight("c", Tensor::FromVector(std::vector<float>{1, -10}, {2}));
  b.Output(b.Op("FusedGemm", {a, w, c, r}, {{"activation", std::string("Relu")}}), "y");
  const Tensor y = RunGraph(b.Build(), {{"a", Tensor::FromVector(std::vector<float>{1, 2, 3, 4}, {2, 2})},
                                        {"r", Tensor::FromVector(std::vector<float>{0, 0, 0, 1}, {2, 2})}})[0];
  CHECK(y.ToFloatVector() == std::vector<float>{3, 0, 7, 0});
}

TEST_CASE("conv-batchnorm-folding folds an inference BatchNormalization into the Conv", "[passes][conv-batchnorm-folding]") {
  auto build = [](bool bias, bool weight_as_input) {
    graph::GraphBuilder b("conv_bn");
    auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("n"), 3, 6, 6}));
    std::vector<std::string> conv_in{x, weight_as_input ? b.Input("w", DType::kF32, Shape({4, 3, 3, 3}))
                                                        : b.Weight("w", RandomTensor({4, 3, 3, 3}, 1))};
    if (bias) conv_in.push_back(b.Weight("cb", RandomTensor({4}, 2)));
    auto y = b.Op("Conv", conv_in, {{"pads", Ints{1, 1, 1, 1}}});
    auto bn = b.Op("BatchNormalization", {y, b.Weight("scale", RandomTensor({4}, 3, 0.5f, 2.0f)), b.Weight("beta", RandomTensor({4}, 4)),
                                          b.Weight("mean", RandomTensor({4}, 5)), b.Weight("var", RandomTensor({4}, 6, 0.1f, 3.0f))},
                   {{"epsilon", 1e-3f}});
    b.Output(b.Op("Relu", {bn}), "y");
    return b.Build();
  };
  for (bool bias : {false, true}) {
    const Optimized r = OptimizeAndCompare(build(bias, false), {{"x", RandomTensor({2, 3, 6, 6}, 7)}});
    CHECK(r.difference < 1e-5);
    CHECK(r.graph.nodes.size() == 1);  // FusedConv (the Relu taken by conv-activation-fusion)
    CHECK(CountOps(r.graph, "BatchNormalization") == 0);
    CHECK(r.graph.initializers.size() == 2);  // the folded weight and bias only
  }
  // A weight fed as an input (training) is left alone.
  const Optimized fed = OptimizeAndCompare(build(true, true), {{"x", RandomTensor({1, 3, 6, 6}, 8)}, {"w", RandomTensor({4, 3, 3, 3}, 9)}});
  CHECK(fed.difference == 0);
  CHECK(CountOps(fed.graph, "BatchNormalization") == 1);
}

TEST_CASE("conv-activation-fusion: Conv + activation on every Conv path", "[passes][conv-activation-fusion]") {
  const char* activations[] = {"Relu", "Sigmoid", "Tanh"};  // one a path
  for (std::size_t i = 0; i < std::size(kConvPaths); ++i) {
    const ConvPath& c = kConvPaths[i];
    INFO(c.name);
    graph::GraphBuilder b("conv_act");
    auto x = b.Input("x", DType::kF32, ConvInputShape());
    const Ints w_shape = c.WeightShape();
    auto w = b.Input("w", DType::kF32, Shape(std::vector<Dim>(w_shape.begin(), w_shape.end())));  // fed, as in training
    b.Output(b.Op(activations[i], {c.Conv(b, x, w, true)}), "y");
    const Optimized r = OptimizeAndCompare(b.Build(), {{"x", RandomTensor({2, 4, 5, 5}, 2)}, {"w", RandomTensor(w_shape, 3)}});
    CHECK(r.difference == 0);
    REQUIRE(r.graph.nodes.size() == 1);
    CHECK(r.graph.nodes[0].op_type == "FusedConv");
  }
}

TEST_CASE("conv-activation-fusion: Conv + Clip(0, 6) becomes Relu6 on every Conv path, bit for bit", "[passes][conv-activation-fusion]") {
  for (const ConvPath& c : kConvPaths) {
    INFO(c.name);
    // MobileNetV2's Conv + ReLU6, with inputs of magnitude ~8 so that both bounds clip.
    graph::GraphBuilder b("conv_relu6");
    auto x = b.Input("x", DType::kF32, ConvInputShape());
    auto y = c.Conv(b, x, b.Weight("w", RandomTensor(c.WeightShape(), 3)), true);
    auto lo = b.Weight("lo", Tensor::FromVector(std::vector<float>{0.0f}, {}));
    auto hi = b.Weight("hi", Tensor::FromVector(std::vector<float>{6.0f}, {}));
    b.Output(b.Op("Clip", {y, lo, hi}), "y");
    Tensor input = RandomTensor({2, 4, 5, 5}, 2);
    for (int64_t i = 0; i < input.size(); ++i) input.data<float>()[i] *= 8.0f;
    const Optimized r = OptimizeAndCompare(b.Build(), {{"x", input}});
    CHECK(r.difference == 0);  // the epilogue clips by Clip's compares
    REQUIRE(r.graph.nodes.size() == 1);
    CHECK(r.graph.nodes[0].op_type == "FusedConv");
    CHECK(std::get<std::string>(r.graph.nodes[0].attrs.at("activation")) == "Relu6");
  }
  // Other bounds stay a Clip of their own: 5, a -0 lower bound (negatives become -0), bounds fed at run time.
  for (const auto& [lo_value, hi_value, fed] : {std::tuple{0.0f, 5.0f, false}, std::tuple{-0.0f, 6.0f, false}, std::tuple{0.0f, 6.0f, true}}) {
    graph::GraphBuilder b("conv_clip");
    auto x = b.Input("x", DType::kF32, Shape({1, 4, 5, 5}));
    auto y = b.Op("Conv", {x, b.Weight("w", RandomTensor({4, 4, 1, 1}, 5))});
    auto lo = fed ? b.Input("lo", DType::kF32, Shape({})) : b.Weight("lo", Tensor::FromVector(std::vector<float>{lo_value}, {}));
    auto hi = b.Weight("hi", Tensor::FromVector(std::vector<float>{hi_value}, {}));
    b.Output(b.Op("Clip", {y, lo, hi}), "y");
    std::vector<NamedTensor> inputs = {{"x", RandomTensor({1, 4, 5, 5}, 6)}};
    if (fed) inputs.push_back({"lo", Tensor::FromVector(std::vector<float>{lo_value}, {})});
    const Optimized r = OptimizeAndCompare(b.Build(), inputs);
    CHECK(r.difference == 0);
    CHECK(CountOps(r.graph, "Clip") == 1);
  }
}

TEST_CASE("conv-residual-fusion: Conv + residual Add (+ Relu) on every Conv path, bit for bit", "[passes][conv-residual-fusion]") {
  // Relu and bias on the pointwise and depthwise paths, neither on im2col.
  for (const ConvPath& c : kConvPaths) {
    INFO(c.name);
    const bool relu_and_bias = c.kernel == 1 || c.group > 1;
    // ResNet's block end: Relu(Conv(h) + skip), skip a graph input here.
    graph::GraphBuilder b("conv_residual");
    auto x = b.Input("x", DType::kF32, ConvInputShape());
    auto skip = b.Input("skip", DType::kF32, ConvInputShape());
    auto sum = b.Op("Add", {skip, c.Conv(b, x, b.Weight("w", RandomTensor(c.WeightShape(), 3)), relu_and_bias)});
    b.Output(relu_and_bias ? b.Op("Relu", {sum}) : sum, "y");
    const Optimized r = OptimizeAndCompare(b.Build(), {{"x", RandomTensor({2, 4, 5, 5}, 2)}, {"skip", RandomTensor({2, 4, 5, 5}, 4)}});
    CHECK(r.difference == 0);  // the epilogue adds as the Add does, after the bias, before the Relu
    REQUIRE(r.graph.nodes.size() == 1);
    const graph::Node& fused = r.graph.nodes[0];
    CHECK(fused.op_type == "FusedConv");
    REQUIRE(fused.inputs.size() == 4);
    CHECK(fused.inputs[2] == (relu_and_bias ? "bias" : ""));
    CHECK(fused.inputs[3] == "skip");
    CHECK(fused.outputs[0] == "y");
    CHECK(fused.attrs.count("activation") == (relu_and_bias ? 1u : 0u));
  }
  // The Conv's output read twice stays as it is; so does an Add that broadcasts.
  graph::GraphBuilder b("kept");
  auto x = b.Input("x", DType::kF32, Shape({1, 4, 5, 5}));
  auto y = b.Op("Conv", {x, b.Weight("w", RandomTensor({4, 4, 1, 1}, 5))});
  b.Output(b.Op("Add", {y, b.Weight("row", RandomTensor({5}, 6))}), "broadcast");
  auto y2 = b.Op("Conv", {x, b.Weight("w2", RandomTensor({4, 4, 1, 1}, 7))});
  b.Output(b.Op("Add", {y2, x}), "sum");
  b.Output(y2, "conv");
  const Optimized r = OptimizeAndCompare(b.Build(), {{"x", RandomTensor({1, 4, 5, 5}, 8)}});
  CHECK(r.difference == 0);
  CHECK(CountOps(r.graph, "FusedConv") == 0);
}

TEST_CASE("FusedConv shape rule", "[infer:FusedConv]") {
  using graph::testing::F32;
  using graph::testing::InferOp;
  CHECK(InferOp("FusedConv", {F32({1, 3, 8, 8}), F32({5, 3, 3, 3})}, {{"activation", std::string("Relu")}})[0].shape ==
        Shape({1, 5, 6, 6}));
  CHECK_THROWS_WITH(InferOp("FusedConv", {F32({1, 3, 8, 8}), F32({5, 3, 3, 3})}, {{"activation", std::string("Gelu")}}),
                    Catch::Contains("activation must be"));
  // R, the residual, has Y's shape.
  CHECK(InferOp("FusedConv", {F32({1, 3, 8, 8}), F32({5, 3, 3, 3}), F32({5}), F32({1, 5, 6, 6})}, {})[0].shape ==
        Shape({1, 5, 6, 6}));
  CHECK_THROWS_WITH(InferOp("FusedConv", {F32({1, 3, 8, 8}), F32({5, 3, 3, 3}), F32({5}), F32({1, 5, 6, 1})}, {}),
                    Catch::Contains("R [1,5,6,1] must have Y's shape [1,5,6,6]"));
}

TEST_CASE("FusedConv kernel: bias and activation by hand", "[kernel:FusedConv]") {
  // 1x1 conv, 2 channels in, 2 out: y0 = x0 - x1 + 0.5, y1 = 2·x1 - 1; Relu.
  graph::GraphBuilder b("fused_conv");
  auto x = b.Input("x", DType::kF32, Shape({1, 2, 1, 2}));
  auto w = b.Weight("w", Tensor::FromVector(std::vector<float>{1, -1, 0, 2}, {2, 2, 1, 1}));
  auto bias = b.Weight("b", Tensor::FromVector(std::vector<float>{0.5f, -1}, {2}));
  b.Output(b.Op("FusedConv", {x, w, bias}, {{"activation", std::string("Relu")}}), "y");
  // x0 = [1, 0], x1 = [3, 0.25]: y0 = [-1.5, 0.25] -> [0, 0.25]; y1 = [5, -0.5] -> [5, 0].
  const Tensor y = RunGraph(b.Build(), {{"x", Tensor::FromVector(std::vector<float>{1, 0, 3, 0.25f}, {1, 2, 1, 2})}})[0];
  CHECK(y.ToFloatVector() == std::vector<float>{0, 0.25f, 5, 0});
  // With R = [1, -1, -6, 2] added before the Relu: [-0.5, -0.75] -> [0, 0]; [-1, 1.5] -> [0, 1.5].
  graph::GraphBuilder b2("fused_conv_residual");
  auto x2 = b2.Input("x", DType::kF32, Shape({1, 2, 1, 2}));
  auto r2 = b2.Input("r", DType::kF32, Shape({1, 2, 1, 2}));
  auto w2 = b2.Weight("w", Tensor::FromVector(std::vector<float>{1, -1, 0, 2}, {2, 2, 1, 1}));
  auto bias2 = b2.Weight("b", Tensor::FromVector(std::vector<float>{0.5f, -1}, {2}));
  b2.Output(b2.Op("FusedConv", {x2, w2, bias2, r2}, {{"activation", std::string("Relu")}}), "y");
  const Tensor y2 = RunGraph(b2.Build(), {{"x", Tensor::FromVector(std::vector<float>{1, 0, 3, 0.25f}, {1, 2, 1, 2})},
                                          {"r", Tensor::FromVector(std::vector<float>{1, -1, -6, 2}, {1, 2, 1, 2})}})[0];
  CHECK(y2.ToFloatVector() == std::vector<float>{0, 0, 0, 1.5f});
  // Relu6: x1 = [3, 4] instead: y1 = [5, 7] -> [5, 6].
  graph::GraphBuilder b3("fused_conv_relu6");
  auto x3 = b3.Input("x", DType::kF32, Shape({1, 2, 1, 2}));
  auto w3 = b3.Weight("w", Tensor::FromVector(std::vector<float>{1, -1, 0, 2}, {2, 2, 1, 1}));
  auto bias3 = b3.Weight("b", Tensor::FromVector(std::vector<float>{0.5f, -1}, {2}));
  b3.Output(b3.Op("FusedConv", {x3, w3, bias3}, {{"activation", std::string("Relu6")}}), "y");
  const Tensor y3 = RunGraph(b3.Build(), {{"x", Tensor::FromVector(std::vector<float>{1, 0, 3, 4}, {1, 2, 1, 2})}})[0];
  // y0 = [1 - 3 + 0.5, 0 - 4 + 0.5] = [-1.5, -3.5] -> [0, 0].
  CHECK(y3.ToFloatVector() == std::vector<float>{0, 0, 5, 6});
}
