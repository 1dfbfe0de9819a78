#include <catch2/catch.hpp>

#include "graph/builder.h"
#include "graph/passes/dead_node_elimination.h"
#include "graph/verifier.h"

using namespace axon;
using namespace axon::graph;

namespace {

std::vector<std::string> NodeNames(const Graph& g) {
  std::vector<std::string> names;
  for (const Node& n : g.nodes) names.push_back(n.name);
  return names;
}

// x -> Gemm(w1, b1) -> Relu -> y (the output)
//  \-> Gemm(w2) -> Tanh -> Mul(., relu) -> (nothing)   the dead branch
// plus "spare", an initializer no node reads.
Graph WithDeadBranch() {
  GraphBuilder b("dead_branch");
  const std::string x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 3}));
  const std::string h = b.Op("Gemm", {x, b.Weight("w1", Tensor::Zeros(DType::kF32, {3, 4})),
                                      b.Weight("b1", Tensor::Zeros(DType::kF32, {4}))}, {}, "fc1");
  b.Output(b.Op("Relu", {h}, {}, "relu"), "y");
  const std::string d = b.Op("Gemm", {x, b.Weight("w2", Tensor::Zeros(DType::kF32, {3, 4}))}, {}, "fc2");
  b.Op("Mul", {b.Op("Tanh", {d}, {}, "tanh"), "y"}, {}, "mul");
  b.Weight("spare", Tensor::Zeros(DType::kF32, {2}));
  return b.Build();
}

}  // namespace

TEST_CASE("dead-node elimination removes a dead branch and its weights", "[graph][passes][dead_node_elimination]") {
  Graph g = WithDeadBranch();
  const std::vector<ValueInfo> outputs = g.outputs;
  DeadNodeElimination pass;
  CHECK(pass.Name() == "dead-node-elimination");
  CHECK(pass.Run(g));
  CHECK(NodeNames(g) == std::vector<std::string>{"fc1", "relu"});
  CHECK(g.IsInitializer("w1"));
  CHECK(g.IsInitializer("b1"));
  CHECK_FALSE(g.IsInitializer("w2"));  // only the dead Gemm read it
  CHECK(g.IsInitializer("spare"));     // no node ever read it: the file's business
  REQUIRE(g.outputs.size() == outputs.size());
  CHECK(g.outputs[0].name == outputs[0].name);
  CHECK(g.outputs[0].shape == outputs[0].shape);
  REQUIRE_NOTHROW(Verify(g));
  CHECK(g.value_info.at("y").shape == Shape({Dim::Symbol("batch"), 4}));

  CHECK_FALSE(pass.Run(g));  // nothing left to do
}

TEST_CASE("dead-node elimination keeps a graph without dead nodes as it is", "[graph][passes][dead_node_elimination]") {
  GraphBuilder b("live");
  const std::string x = b.Input("x", DType::kF32, Shape({2, 3}));
  const std::string r = b.Op("Relu", {x});
  b.Output(b.Op("Add", {r, b.Op("Tanh", {r})}), "y");
  b.Output(x, "x");  // an input that is also an output has no producer to keep
  Graph g = b.Build();
  const std::vector<std::string> before = NodeNames(g);
  CHECK_FALSE(DeadNodeElimination().Run(g));
  CHECK(NodeNames(g) == before);
}

TEST_CASE("dead-node elimination keeps nodes an output is computed from through several steps",
          "[graph][passes][dead_node_elimination]") {
  GraphBuilder b("deep");
  std::string v = b.Input("x", DType::kF32, Shape({2}));
  for (int i = 0; i < 5; ++i) v = b.Op(i % 2 ? "Relu" : "Tanh", {v});
  b.Output(v, "y");
  b.Op("Sigmoid", {"x"}, {}, "unused");
  Graph g = b.Build();
  CHECK(DeadNodeElimination().Run(g));
  CHECK(g.nodes.size() == 5);
  REQUIRE_NOTHROW(Verify(g));
}
