// Property: random small graphs of elementwise and GEMM ops give the same outputs at every
// optimisation level (the fusions and clean-ups change how values are computed, never what).
#include <catch2/catch.hpp>

#include <random>

#include "graph/builder.h"
#include "tests/runtime/passes/pass_test_util.h"

using namespace axon;
using namespace axon::testing;
using graph::Dim;
using graph::Shape;

namespace {

struct Value {
  std::string name;
  int64_t cols;
};

// A graph on x [rows, 4]: a random mix of MatMul/Gemm (constant or input weights, transposes),
// bias and residual Adds, activations, unary math, broadcast binaries, Identities and repeated
// subexpressions; one or two outputs.
graph::Graph RandomGraph(std::mt19937& rng, int64_t rows, std::vector<NamedTensor>& feeds) {
  graph::GraphBuilder b("random");
  std::vector<Value> values{{b.Input("x", DType::kF32, Shape({rows, 4})), 4}};
  feeds = {{"x", RandomTensor({rows, 4}, rng())}};
  int weights = 0;
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  auto weight = [&](std::vector<int64_t> shape) {
    std::string name = std::to_string(weights++);
    name.insert(0, 1, 'w');  // not "w" + ...: GCC 12 warns (-Wrestrict) on that falsely
    if (pick(3) == 0) {  // a weight fed as an input, as training feeds parameters
      std::vector<Dim> dims(shape.begin(), shape.end());
      feeds.emplace_back(name, RandomTensor(shape, rng(), -0.6f, 0.6f));
      return b.Input(name, DType::kF32, Shape(dims));
    }
    return b.Weight(name, RandomTensor(shape, rng(), -0.6f, 0.6f));
  };
  const int ops = 4 + pick(10);
  for (int i = 0; i < ops; ++i) {
    const Value v = values[static_cast<std::size_t>(pick(static_cast<int>(values.size())))];
    const Value& last = values.back();
    switch (pick(9)) {
      case 0: {  // MatMul, maybe through a Transpose of the weight
        const int64_t n = 2 + pick(6);
        std::string w = weight({v.cols, n});
        if (pick(2)) w = b.Op("Transpose", {b.Op("Transpose", {w}, {{"perm", std::vector<int64_t>{1, 0}}})});
        values.push_back({b.Op("MatMul", {v.name, w}), n});
        break;
      }
      case 1: {  // Gemm with transB and maybe a bias
        const int64_t n = 2 + pick(6);
        std::vector<std::string> in{v.name, weight({n, v.cols})};
        if (pick(2)) in.push_back(weight({n}));
        values.push_back({b.Op("Gemm", in, {{"transB", int64_t{1}}}), n});
        break;
      }
      case 2:
        values.push_back({b.Op("Add", {v.name, weight({v.cols})}), v.cols});
        break;
      case 3: {
        const char* acts[] = {"Relu", "Sigmoid", "Tanh", "Neg", "Abs", "Softplus", "HardSwish"};
        values.push_back({b.Op(acts[pick(7)], {v.name}), v.cols});
        break;
      }
      case 4:
        values.push_back({b.Op("LeakyRelu", {v.name}, {{"alpha", 0.1f * static_cast<float>(1 + pick(5))}}), v.cols});
        break;
      case 5: {  // a binary op of two values of one shape (a residual after a product), or with a scalar
        const char* bins[] = {"Add", "Sub", "Mul"};
        const std::string other = last.cols == v.cols && pick(2) ? last.name : weight({});
        values.push_back({b.Op(bins[pick(3)], {v.name, other}), v.cols});
        break;
      }
      case 6:
        values.push_back({b.Op("Identity", {v.name}), v.cols});
        break;
      case 7:  // the same subexpression twice, combined
        values.push_back({b.Op("Mul", {b.Op("Sigmoid", {v.name}), b.Op("Sigmoid", {v.name})}), v.cols});
        break;
      case 8:  // a constant subgraph
        values.push_back({b.Op("Add", {v.name, b.Op("Tanh", {b.Op("Mul", {weight({v.cols}), weight({})})})}), v.cols});
        break;
    }
  }
  b.Output(values.back().name, "y");
  if (values.size() > 2 && pick(2)) b.Output(values[values.size() / 2].name, "mid");
  return b.Build();
}

}  // namespace

TEST_CASE("random elementwise/GEMM graphs give the same outputs at every opt level", "[passes][property]") {
  std::mt19937 rng(20261128);
  int fused = 0;
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<NamedTensor> feeds;
    const int64_t rows = 1 + static_cast<int64_t>(rng() % 9);
    const graph::Graph g = RandomGraph(rng, rows, feeds);
    INFO("trial " << trial);
    for (int level = 1; level <= 2; ++level) {
      const Optimized r = OptimizeAndCompare(g, feeds, level);
      CHECK(r.difference <= 1e-6);
      CHECK(r.graph.nodes.size() <= g.nodes.size());
      if (level == 2) fused += r.report.nodes_after < r.report.nodes_before;
    }
  }
  CHECK(fused > 30);  // the generator does make graphs the passes change
}
