#include <catch2/catch.hpp>

#include "graph/builder.h"
#include "graph/default_passes.h"
#include "graph/passes/dead_node_elimination.h"
#include "graph/rewrite.h"

using namespace axon;
using namespace axon::graph;

namespace {

// Makes the readers of one Identity read its input instead, per run, leaving the Identity for
// dead-node elimination: the two passes need each other and several rounds to finish.
class BypassOneIdentity final : public Pass {
 public:
  std::string_view Name() const override { return "bypass-one-identity"; }
  bool Run(Graph& graph) override {
    GraphEditor e(graph);
    for (const Node& node : graph.nodes) {
      if (node.op_type != "Identity" || e.IsUnused(node.outputs[0]) || e.IsGraphOutput(node.outputs[0])) continue;
      e.ReplaceAllUses(node.outputs[0], node.inputs[0]);
      return true;
    }
    return false;
  }
};

// Always claims a change: a pipeline must stop it.
class NeverDone final : public Pass {
 public:
  std::string_view Name() const override { return "never-done"; }
  bool Run(Graph&) override { return true; }
};

// Breaks the graph: a pipeline must say which pass did.
class Vandal final : public Pass {
 public:
  std::string_view Name() const override { return "vandal"; }
  bool Run(Graph& graph) override {
    graph.nodes[0].inputs[0] = "gone";
    return true;
  }
};

// x -> Identity -> Identity -> Identity -> Relu -> y
Graph IdentityChain() {
  GraphBuilder b("chain");
  std::string v = b.Input("x", DType::kF32, Shape({2, 3}));
  for (int i = 0; i < 3; ++i) v = b.Op("Identity", {v});
  b.Output(b.Op("Relu", {v}), "y");
  return b.Build();
}

std::vector<std::unique_ptr<Pass>> Passes(std::unique_ptr<Pass> a, std::unique_ptr<Pass> b = nullptr) {
  std::vector<std::unique_ptr<Pass>> passes;
  passes.push_back(std::move(a));
  if (b) passes.push_back(std::move(b));
  return passes;
}

}  // namespace

TEST_CASE("a pipeline runs its passes to a fixed point and reports what fired", "[graph][pass_pipeline]") {
  Graph g = IdentityChain();
  PassPipeline p(Passes(std::make_unique<DeadNodeElimination>()));
  p.Add(std::make_unique<BypassOneIdentity>());
  const PipelineReport r = p.Run(g);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op_type == "Relu");
  CHECK(g.nodes[0].inputs[0] == "x");
  CHECK(r.nodes_before == 4);
  CHECK(r.nodes_after == 1);
  // Each round elimination removes what the bypass of the round before left unused; the last
  // round changes nothing.
  CHECK(r.rounds == 5);
  REQUIRE(r.passes.size() == 2);
  CHECK(r.passes[0].name == "dead-node-elimination");
  CHECK(r.passes[0].runs == 5);
  CHECK(r.passes[0].changes == 3);
  CHECK(r.passes[0].node_delta == -3);
  CHECK(r.passes[1].name == "bypass-one-identity");
  CHECK(r.passes[1].runs == 5);
  CHECK(r.passes[1].changes == 3);
  CHECK(r.passes[1].node_delta == 0);
  CHECK(g.value_info.at("y").shape == Shape({2, 3}));

  const std::string text = r.ToString();
  CHECK_THAT(text, Catch::Contains("dead-node-elimination") && Catch::Contains("-3"));
  CHECK_THAT(text, Catch::Contains("4 -> 1 nodes in 5 rounds"));
}

TEST_CASE("a pass can be switched off by name", "[graph][pass_pipeline]") {
  Graph g = IdentityChain();
  PassPipeline p(Passes(std::make_unique<BypassOneIdentity>(), std::make_unique<NeverDone>()));
  CHECK(p.Names() == std::vector<std::string>{"bypass-one-identity", "never-done"});
  p.Disable("never-done");
  CHECK_FALSE(p.IsEnabled("never-done"));
  CHECK(p.IsEnabled("bypass-one-identity"));
  const PipelineReport r = p.Run(g);
  CHECK_FALSE(r.passes[1].enabled);
  CHECK(r.passes[1].runs == 0);
  CHECK_THAT(r.ToString(), Catch::Contains("never-done") && Catch::Contains("(disabled)"));

  p.Disable("bypass-one-identity");
  Graph untouched = IdentityChain();
  const PipelineReport none = p.Run(untouched);
  CHECK(none.nodes_after == 4);
  // Nothing ran: the summary says so rather than "4 -> 4 nodes in 1 round".
  CHECK_THAT(none.ToString(), Catch::Contains("no pass ran: 4 nodes, unchanged") && !Catch::Contains("round"));

  CHECK_THROWS_WITH(p.Disable("bypass"),
                    Catch::Contains("unknown pass 'bypass'") && Catch::Contains("bypass-one-identity, never-done"));
}

TEST_CASE("a pipeline that does not converge is an error naming the pass", "[graph][pass_pipeline]") {
  Graph g = IdentityChain();
  PassPipeline p(Passes(std::make_unique<BypassOneIdentity>(), std::make_unique<NeverDone>()));
  p.set_max_rounds(5);
  CHECK_THROWS_WITH(p.Run(g), Catch::Contains("did not reach a fixed point in 5 rounds") &&
                                   Catch::Contains("still changing the graph: never-done"));
  CHECK_THROWS(p.set_max_rounds(0));
}

TEST_CASE("a pass that breaks the graph is named", "[graph][pass_pipeline]") {
  Graph g = IdentityChain();
  PassPipeline p(Passes(std::make_unique<Vandal>()));
  CHECK_THROWS_WITH(p.Run(g), Catch::StartsWith("pass 'vandal' left a graph that does not verify") &&
                                   Catch::Contains("'gone' is not defined"));
}

TEST_CASE("a pass name is in a pipeline at most once", "[graph][pass_pipeline]") {
  PassPipeline p(DefaultPasses(1));
  CHECK_THROWS_WITH(p.Add(std::move(DefaultPasses(1).front())), Catch::Contains("'identity-elimination' is in the pipeline twice"));
}

TEST_CASE("default passes by optimisation level", "[graph][pass_pipeline]") {
  CHECK(DefaultPasses(0).empty());
  const std::vector<std::string> cleanup{"identity-elimination", "constant-folding", "common-subexpression-elimination",
                                         "dead-node-elimination"};
  CHECK(DefaultPipeline(1).Names() == cleanup);
  const std::vector<std::string> level2 = DefaultPipeline(2).Names();
  CHECK(std::vector<std::string>(level2.begin(), level2.begin() + 4) == cleanup);
  CHECK(DefaultPipeline(3).Names() == level2);
  CHECK_THROWS_WITH(DefaultPasses(-1), Catch::Contains("must be >= 0"));
  Graph g = IdentityChain();
  const PipelineReport r = DefaultPipeline(0).Run(g);
  CHECK(r.passes.empty());
  CHECK(r.rounds == 1);
  CHECK(r.nodes_after == 4);
}
