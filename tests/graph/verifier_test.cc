#include <catch2/catch.hpp>

#include "graph/builder.h"
#include "graph/verifier.h"

using namespace axon;
using namespace axon::graph;

namespace {

// x[2,3] -> Relu -> r -> Add(r, bias[3]) -> y
Graph SmallGraph() {
  Graph g;
  g.name = "small";
  g.inputs = {ValueInfo{"x", DType::kF32, Shape({2, 3})}};
  g.initializers["bias"] = Tensor::FromVector(std::vector<float>{1, 2, 3}, {3});
  g.nodes = {Node{"relu", "Relu", {"x"}, {"r"}, {}}, Node{"add", "Add", {"r", "bias"}, {"y"}, {}}};
  g.outputs = {ValueInfo{"y", DType::kF32, Shape({2, 3})}};
  return g;
}

}  // namespace

TEST_CASE("a well-formed graph verifies and gets its shapes", "[graph][verifier]") {
  Graph g = SmallGraph();
  REQUIRE_NOTHROW(Verify(g));
  CHECK(g.value_info.at("r").shape == Shape({2, 3}));
  CHECK(g.value_info.at("y").dtype == DType::kF32);
}

TEST_CASE("the verifier rejects each kind of broken graph", "[graph][verifier]") {
  Graph g = SmallGraph();
  SECTION("duplicate node names") {
    g.nodes[1].name = "relu";
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("node name 'relu' is used twice"));
  }
  SECTION("a value defined twice") {
    g.nodes[1].outputs = {"r"};
    g.outputs[0].name = "r";
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("value 'r' is defined more than once"));
  }
  SECTION("an undefined input") {
    g.nodes[1].inputs[1] = "nope";
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("node 'add' (Add): input 1 'nope' is not defined"));
  }
  SECTION("an undefined graph output") {
    g.outputs[0].name = "z";
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("graph output 'z' is not defined"));
  }
  SECTION("a cycle") {
    g.nodes[0].inputs = {"y"};
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("cycle"));
  }
  SECTION("an unknown op") {
    g.nodes[0].op_type = "Frobnicate";
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("node 'relu' (Frobnicate): unknown op type"));
  }
  SECTION("inconsistent shapes") {
    g.initializers["bias"] = Tensor::FromVector(std::vector<float>{1, 2}, {2});
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("node 'add' (Add)") && Catch::Contains("cannot be broadcast"));
  }
  SECTION("wrong dtype") {
    g.initializers["bias"] = Tensor::FromVector(std::vector<int64_t>{1, 2, 3}, {3});
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("node 'add' (Add)") && Catch::Contains("same dtype") &&
                                     Catch::Contains("f32 and i64"));
  }
  SECTION("a declared output shape that disagrees") {
    g.outputs[0].shape = Shape({3, 2});
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("declared [3,2] but computed as [2,3]"));
  }
  SECTION("an attribute out of range") {
    g.nodes.push_back(Node{"sm", "Softmax", {"y"}, {"s"}, {{"axis", int64_t{5}}}});
    g.outputs[0].name = "s";
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("node 'sm' (Softmax): axis 5 is out of range for rank 2"));
  }
  SECTION("wrong arity") {
    g.nodes[0].inputs.push_back("bias");
    CHECK_THROWS_WITH(Verify(g), Catch::Contains("expects 1 inputs, got 2"));
  }
}

TEST_CASE("unnamed nodes verify, and messages name them by op and output", "[graph][verifier]") {
  Graph g = SmallGraph();
  g.nodes[0].name = g.nodes[1].name = "";  // several unnamed nodes are not duplicates
  REQUIRE_NOTHROW(Verify(g));
  CHECK(g.nodes[0].Describe() == "unnamed node (Relu) producing 'r'");
  g.initializers["bias"] = Tensor::FromVector(std::vector<float>{1, 2}, {2});
  CHECK_THROWS_WITH(Verify(g), Catch::Contains("unnamed node (Add) producing 'y'") && Catch::Contains("cannot be broadcast"));
  g.nodes[1].outputs = {"r"};
  CHECK_THROWS_WITH(Verify(g), Catch::Contains("value 'r' is defined more than once (again by unnamed node (Add)"));
}

TEST_CASE("the builder makes a verified graph with symbolic batch", "[graph][builder]") {
  GraphBuilder b("mlp");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 3}));
  auto w = b.Weight("w", Tensor::Zeros(DType::kF32, {3, 2}));
  auto y = b.Op("Softmax", {b.Op("MatMul", {x, w})});
  b.Output(y, "probs");
  Graph g = b.Build();
  REQUIRE(g.outputs.size() == 1);
  CHECK(g.outputs[0].name == "probs");
  CHECK(g.outputs[0].shape == Shape({Dim::Symbol("batch"), 2}));
  CHECK(g.nodes.back().outputs[0] == "probs");
}

TEST_CASE("topological order puts producers first", "[graph]") {
  Graph g = SmallGraph();
  std::swap(g.nodes[0], g.nodes[1]);
  const auto order = TopologicalOrder(g);
  REQUIRE(order.size() == 2);
  CHECK(g.nodes[order[0]].name == "relu");
  CHECK(g.nodes[order[1]].name == "add");
}
