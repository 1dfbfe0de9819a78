#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "graph/builder.h"
#include "graph/rewrite.h"
#include "graph/verifier.h"

using namespace axon;
using namespace axon::graph;

namespace {

// x[2,3] -> Relu -> r -> Add(r, bias[3]) -> y (the graph output)
//       \-> Tanh -> t -> Mul(t, r) -> m    (read by nothing)
Graph TwoBranches() {
  GraphBuilder b("two_branches");
  const std::string x = b.Input("x", DType::kF32, Shape({2, 3}));
  const std::string bias = b.Weight("bias", Tensor::FromVector(std::vector<float>{1, 2, 3}, {3}));
  const std::string r = b.Op("Relu", {x}, {}, "relu");
  b.Output(b.Op("Add", {r, bias}, {}, "add"), "y");
  const std::string t = b.Op("Tanh", {x}, {}, "tanh");
  b.Op("Mul", {t, r}, {}, "mul");
  return b.Build();
}

std::set<std::string> AllNames(const Graph& g) {
  std::set<std::string> names;
  for (const ValueInfo& v : g.inputs) names.insert(v.name);
  for (const ValueInfo& v : g.outputs) names.insert(v.name);
  for (const auto& [name, t] : g.initializers) names.insert(name);
  for (const Node& n : g.nodes) {
    names.insert(n.inputs.begin(), n.inputs.end());
    names.insert(n.outputs.begin(), n.outputs.end());
  }
  names.erase("");
  return names;
}

// The editor's indices, however it kept them up to date, equal those of an editor built afresh.
void CheckIndexIsCurrent(const GraphEditor& e) {
  Graph& g = const_cast<Graph&>(e.graph());
  const GraphEditor fresh(g);
  for (const std::string& v : AllNames(g)) {
    INFO("value " << v);
    const ValueSource a = e.SourceOf(v), b = fresh.SourceOf(v);
    CHECK(a.kind == b.kind);
    CHECK(a.node == b.node);
    CHECK(a.output == b.output);
    CHECK(e.Consumers(v) == fresh.Consumers(v));
    CHECK(e.IsGraphOutput(v) == fresh.IsGraphOutput(v));
  }
  for (std::size_t n = 0; n < g.nodes.size(); ++n) CHECK(e.FindNode(g.nodes[n].name) == n);
}

std::size_t IndexOf(const Graph& g, const std::string& node_name) {
  for (std::size_t n = 0; n < g.nodes.size(); ++n)
    if (g.nodes[n].name == node_name) return n;
  FAIL("no node " << node_name);
  return 0;
}

}  // namespace

TEST_CASE("the editor indexes producers, consumers and graph outputs", "[graph][rewrite]") {
  Graph g = TwoBranches();
  GraphEditor e(g);
  CHECK(e.SourceOf("x").kind == ValueSource::Kind::kGraphInput);
  CHECK(e.IsGraphInput("x"));
  CHECK(e.SourceOf("bias").kind == ValueSource::Kind::kInitializer);
  CHECK(e.SourceOf("nope").kind == ValueSource::Kind::kUndefined);
  CHECK_FALSE(e.IsDefined("nope"));
  const std::string r = g.nodes[IndexOf(g, "relu")].outputs[0];
  CHECK(e.SourceOf(r).kind == ValueSource::Kind::kNode);
  CHECK(e.Producer(r) == &g.nodes[IndexOf(g, "relu")]);
  CHECK(e.Producer("x") == nullptr);
  CHECK(e.Consumers(r) == std::vector<Use>{{IndexOf(g, "add"), 0}, {IndexOf(g, "mul"), 1}});
  CHECK(e.Consumers("x").size() == 2);
  CHECK(e.IsGraphOutput("y"));
  CHECK_FALSE(e.IsGraphOutput(r));
  CHECK(e.IsUnused(g.nodes[IndexOf(g, "mul")].outputs[0]));
  CHECK_FALSE(e.IsUnused("y"));
  CHECK(e.FindNode("tanh") == IndexOf(g, "tanh"));
  CHECK_FALSE(e.FindNode("nope").has_value());
}

TEST_CASE("UniqueName never collides with a value, node, initializer or earlier name", "[graph][rewrite]") {
  Graph g = TwoBranches();
  GraphEditor e(g);
  CHECK(e.UniqueName("fresh") == "fresh");
  CHECK(e.UniqueName("fresh") == "fresh_1");
  CHECK(e.UniqueName("x") == "x_1");        // graph input
  CHECK(e.UniqueName("y") == "y_1");        // graph output
  CHECK(e.UniqueName("bias") == "bias_1");  // initializer
  CHECK(e.UniqueName("relu") == "relu_1");  // node
  CHECK(e.UniqueName("") == "value");

  // A removed node's names stay taken, so a stale name held by a caller never means a new thing.
  e.RemoveNodes({IndexOf(g, "tanh"), IndexOf(g, "mul")});
  CHECK(e.UniqueName("mul") == "mul_1");
  const std::set<std::string> before = AllNames(g);
  for (int i = 0; i < 3; ++i) CHECK_FALSE(before.count(e.UniqueName("Relu")));
}

TEST_CASE("AddNode appends a node with fresh names and keeps the indices current", "[graph][rewrite]") {
  Graph g = TwoBranches();
  GraphEditor e(g);
  const Node& s = e.AddNode("Sigmoid", {"y"});
  CHECK(s.name == "Sigmoid");
  CHECK(s.outputs == std::vector<std::string>{"Sigmoid:0"});
  CHECK(e.Producer("Sigmoid:0") == &g.nodes.back());
  CHECK(e.Consumers("y") == std::vector<Use>{{g.nodes.size() - 1, 0}});
  CheckIndexIsCurrent(e);

  CHECK(e.AddNode("Relu", {"x"}, 1, {}, "relu").name == "relu_1");
  CheckIndexIsCurrent(e);
  REQUIRE_NOTHROW(Verify(g));

  SECTION("an undefined input is refused") {
    CHECK_THROWS_WITH(e.AddNode("Relu", {"nope"}), Catch::Contains("'nope' is not defined"));
  }
  SECTION("a given node must not reuse a name") {
    CHECK_THROWS_WITH(e.AddNode(Node{"relu", "Relu", {"x"}, {"fresh"}, {}}), Catch::Contains("'relu'"));
    CHECK_THROWS_WITH(e.AddNode(Node{"fresh", "Relu", {"x"}, {"y"}, {}}), Catch::Contains("output name 'y' is taken"));
    CHECK(e.AddNode(Node{"fresh", "Relu", {"x"}, {"fresh:0"}, {}}).name == "fresh");
    CheckIndexIsCurrent(e);
  }
  SECTION("node names and value names are separate namespaces, as in ONNX") {
    CHECK(e.AddNode(Node{"y", "Relu", {"x"}, {"from_y"}, {}}).name == "y");  // named like a value
    CHECK(e.AddNode(Node{"own", "Relu", {"x"}, {"own"}, {}}).outputs[0] == "own");  // like its own output
    CHECK(e.AddNode(Node{"n3", "Relu", {"x"}, {"relu"}, {}}).outputs[0] == "relu");  // a value named like a node
    CHECK_THROWS_WITH(e.AddNode(Node{"own", "Relu", {"x"}, {"other"}, {}}), Catch::Contains("'own': the name is taken"));
    CHECK_THROWS_WITH(e.AddNode(Node{"n4", "Relu", {"x"}, {"own"}, {}}), Catch::Contains("output name 'own' is taken"));
    CheckIndexIsCurrent(e);
    REQUIRE_NOTHROW(Verify(g));
  }
}

TEST_CASE("ReplaceAllUses rewires every reader", "[graph][rewrite]") {
  Graph g = TwoBranches();
  GraphEditor e(g);
  const std::string r = g.nodes[IndexOf(g, "relu")].outputs[0];
  const std::string t = g.nodes[IndexOf(g, "tanh")].outputs[0];
  CHECK(e.ReplaceAllUses(r, t) == t);
  CHECK(g.nodes[IndexOf(g, "add")].inputs[0] == t);
  CHECK(g.nodes[IndexOf(g, "mul")].inputs == std::vector<std::string>{t, t});
  CHECK(e.Consumers(r).empty());
  CHECK(e.Consumers(t).size() == 3);
  CheckIndexIsCurrent(e);
  REQUIRE_NOTHROW(Verify(g));
}

TEST_CASE("ReplaceAllUses keeps a graph output's name", "[graph][rewrite]") {
  Graph g = TwoBranches();
  GraphEditor e(g);
  const std::size_t add = IndexOf(g, "add");

  SECTION("a node output takes the name: no node is added") {
    const std::string s = e.AddNode("Sigmoid", {g.nodes[IndexOf(g, "relu")].outputs[0]}).outputs[0];
    const std::size_t nodes = g.nodes.size();
    CHECK(e.ReplaceAllUses("y", s) == "y");
    CHECK(g.nodes.size() == nodes);
    CHECK(g.outputs[0].name == "y");
    CHECK(e.Producer("y")->op_type == "Sigmoid");
    CHECK_FALSE(e.IsDefined(s));
    // The old producer's output got a fresh name and is read by nothing.
    const std::string freed = g.nodes[add].outputs[0];
    CHECK(freed != "y");
    CHECK(e.IsUnused(freed));
    CheckIndexIsCurrent(e);
    REQUIRE_NOTHROW(Verify(g));
  }
  SECTION("readers of the old output follow the replacement") {
    e.AddNode("Relu", {"y"}, 1, {}, "reader");
    const std::string s = e.AddNode("Sigmoid", {"x"}).outputs[0];
    CHECK(e.ReplaceAllUses("y", s) == "y");
    CHECK(g.nodes[IndexOf(g, "reader")].inputs[0] == "y");
    CHECK(e.Producer("y")->op_type == "Sigmoid");
    CheckIndexIsCurrent(e);
    REQUIRE_NOTHROW(Verify(g));
  }
  SECTION("a graph input cannot be renamed: an Identity copies it") {
    CHECK(e.ReplaceAllUses("y", "x") == "x");
    CHECK(e.Producer("y")->op_type == "Identity");
    CHECK(e.Producer("y")->inputs == std::vector<std::string>{"x"});
    CHECK(e.IsUnused(g.nodes[add].outputs[0]));
    CheckIndexIsCurrent(e);
    REQUIRE_NOTHROW(Verify(g));
    CHECK(g.outputs[0].shape == Shape({2, 3}));
  }
  SECTION("another graph output keeps its own name: an Identity copies it") {
    const std::string z = g.nodes[IndexOf(g, "mul")].outputs[0];
    g.outputs.push_back(ValueInfo{z, DType::kF32, Shape({2, 3})});
    e.Refresh();
    CHECK(e.ReplaceAllUses("y", z) == z);
    CHECK(e.Producer("y")->op_type == "Identity");
    CHECK(e.Producer(z)->op_type == "Mul");
    CheckIndexIsCurrent(e);
    REQUIRE_NOTHROW(Verify(g));
  }
}

TEST_CASE("ReplaceAllUses refuses edits that would break the graph", "[graph][rewrite]") {
  Graph g = TwoBranches();
  const Graph original = g;
  GraphEditor e(g);
  const std::string r = g.nodes[IndexOf(g, "relu")].outputs[0];
  const std::string m = g.nodes[IndexOf(g, "mul")].outputs[0];
  CHECK_THROWS_WITH(e.ReplaceAllUses(r, m), Catch::Contains("cycle"));
  CHECK_THROWS_WITH(e.ReplaceAllUses("x", r), Catch::Contains("cycle"));
  CHECK_THROWS_WITH(e.ReplaceAllUses(r, "nope"), Catch::Contains("'nope' is not defined"));
  g.outputs.push_back(ValueInfo{"x", DType::kF32, Shape({2, 3})});
  e.Refresh();
  CHECK_THROWS_WITH(e.ReplaceAllUses("x", r), Catch::Contains("cannot replace graph output 'x'"));
  g.outputs.pop_back();
  CHECK(g.nodes.size() == original.nodes.size());
  for (std::size_t n = 0; n < g.nodes.size(); ++n) CHECK(g.nodes[n].inputs == original.nodes[n].inputs);
}

TEST_CASE("RemoveNodes removes only nodes nothing else reads", "[graph][rewrite]") {
  Graph g = TwoBranches();
  GraphEditor e(g);
  CHECK_THROWS_WITH(e.RemoveNode(IndexOf(g, "relu")), Catch::Contains("is read by node 'add' (Add)"));
  CHECK_THROWS_WITH(e.RemoveNode(IndexOf(g, "add")), Catch::Contains("is a graph output"));
  CHECK_THROWS_WITH(e.RemoveNode(IndexOf(g, "tanh")), Catch::Contains("is read by node 'mul' (Mul)"));
  CHECK_THROWS(e.RemoveNode(g.nodes.size()));
  CHECK(g.nodes.size() == 4);

  // Removed together, a node and its only reader go; later nodes move down and stay indexed.
  e.RemoveNodes({IndexOf(g, "mul"), IndexOf(g, "tanh"), IndexOf(g, "mul")});
  CHECK(g.nodes.size() == 2);
  CHECK_FALSE(e.FindNode("tanh").has_value());
  CHECK(e.Consumers("x") == std::vector<Use>{{IndexOf(g, "relu"), 0}});
  CheckIndexIsCurrent(e);
  REQUIRE_NOTHROW(Verify(g));
}

TEST_CASE("SetInput rewires one reading", "[graph][rewrite]") {
  Graph g = TwoBranches();
  GraphEditor e(g);
  const std::size_t mul = IndexOf(g, "mul");
  e.SetInput(mul, 1, "x");
  CHECK(g.nodes[mul].inputs[1] == "x");
  CheckIndexIsCurrent(e);
  e.SetInput(mul, 0, "x");
  CHECK(e.Consumers("x").size() == 4);  // relu, tanh and both of mul's inputs
  CheckIndexIsCurrent(e);
  CHECK_THROWS_WITH(e.SetInput(IndexOf(g, "relu"), 0, "y"), Catch::Contains("cycle"));
  CHECK_THROWS_WITH(e.SetInput(mul, 0, "nope"), Catch::Contains("not defined"));
  REQUIRE_NOTHROW(Verify(g));
}

TEST_CASE("initializers are added under fresh names and removed only when unread", "[graph][rewrite]") {
  Graph g = TwoBranches();
  GraphEditor e(g);
  const std::string w = e.AddInitializer("bias", Tensor::FromVector(std::vector<float>{0}, {1}));
  CHECK(w == "bias_1");
  CHECK(e.SourceOf(w).kind == ValueSource::Kind::kInitializer);
  CHECK_THROWS_WITH(e.RemoveInitializer("bias"), Catch::Contains("read by node 'add' (Add)"));
  CHECK_THROWS_WITH(e.RemoveInitializer("x"), Catch::Contains("no initializer named 'x'"));
  e.RemoveInitializer(w);
  CHECK_FALSE(g.IsInitializer(w));
  CHECK_FALSE(e.IsDefined(w));
  CheckIndexIsCurrent(e);
}

TEST_CASE("InferShapes after an edit gives the edited graph's shapes", "[graph][rewrite]") {
  Graph g = TwoBranches();
  GraphEditor e(g);
  const std::size_t mul = IndexOf(g, "mul");
  const std::string m = g.nodes[mul].outputs[0];
  const std::string t = g.nodes[IndexOf(g, "tanh")].outputs[0];
  CHECK(g.value_info.at(m).shape == Shape({2, 3}));

  // Broadcasting against a [4,1,3] weight widens m; a new Transpose of it gets its own shape.
  e.SetInput(mul, 1, e.AddInitializer("w", Tensor::Zeros(DType::kF32, {4, 1, 3})));
  const std::string tr = e.AddNode("Transpose", {m}).outputs[0];
  e.InferShapes();
  CHECK(g.value_info.at(m).shape == Shape({4, 2, 3}));
  CHECK(g.value_info.at(tr).shape == Shape({3, 2, 4}));

  // Values of removed nodes leave value_info.
  e.RemoveNodes({IndexOf(g, "Transpose"), mul, IndexOf(g, "tanh")});
  e.InferShapes();
  CHECK(g.value_info.count(m) == 0);
  CHECK(g.value_info.count(t) == 0);
  CHECK(g.value_info.at("y").shape == Shape({2, 3}));
}

TEST_CASE("SetInput past the last input fills the gap with omitted inputs", "[graph][rewrite]") {
  GraphBuilder b("gemm");
  const std::string x = b.Input("x", DType::kF32, Shape({2, 3}));
  b.Output(b.Op("Gemm", {x, b.Weight("w", Tensor::Zeros(DType::kF32, {3, 4}))}, {}, "gemm"), "y");
  Graph g = b.Build();
  GraphEditor e(g);
  e.SetInput(0, 3, "");
  CHECK(g.nodes[0].inputs.size() == 2);  // omitting an absent input changes nothing
  e.SetInput(0, 2, e.AddInitializer("c", Tensor::Zeros(DType::kF32, {4})));
  CHECK(g.nodes[0].inputs == std::vector<std::string>{x, "w", "c"});
  CheckIndexIsCurrent(e);
  REQUIRE_NOTHROW(Verify(g));
}

TEST_CASE("edits may be given names that live in the graph they change", "[graph][rewrite]") {
  Graph g = TwoBranches();
  GraphEditor e(g);
  // Both arguments are strings inside graph.nodes: the edit renames one and appends a node.
  e.AddNode("Sigmoid", {"x"});
  const std::size_t add = IndexOf(g, "add");
  CHECK(e.ReplaceAllUses(g.nodes[add].outputs[0], g.nodes.back().outputs[0]) == "y");
  CHECK(e.Producer("y")->op_type == "Sigmoid");
  e.RemoveNode(IndexOf(g, "add"));
  const std::size_t mul = IndexOf(g, "mul");
  e.SetInput(mul, 1, g.nodes[mul].inputs[0]);
  e.RemoveInitializer(g.initializers.begin()->first);
  CHECK(g.initializers.empty());
  CheckIndexIsCurrent(e);
  REQUIRE_NOTHROW(Verify(g));
}
