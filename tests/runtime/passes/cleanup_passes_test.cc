// The clean-up passes (opt level 1): each run unoptimized and optimized, outputs compared, node
// counts checked.
#include <catch2/catch.hpp>

#include "graph/builder.h"
#include "tests/runtime/passes/pass_test_util.h"

using namespace axon;
using namespace axon::testing;
using graph::Dim;
using graph::Shape;

namespace {

Tensor Values(std::vector<float> v, std::vector<int64_t> shape) { return Tensor::FromVector(v, std::move(shape)); }

}  // namespace

TEST_CASE("identity-elimination removes Identity nodes, keeping public names", "[passes][identity-elimination]") {
  graph::GraphBuilder b("ids");
  auto x = b.Input("x", DType::kF32, Shape({2, 3}));
  auto h = b.Op("Relu", {b.Op("Identity", {x})});
  b.Output(b.Op("Identity", {h}), "y");
  b.Output(b.Op("Identity", {x}), "copy");  // a graph input copied to an output: must stay
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(g, {{"x", RandomTensor({2, 3}, 1)}}, 1);
  CHECK(r.difference == 0);
  CHECK(r.graph.nodes.size() == 2);
  CHECK(CountOps(r.graph, "Identity") == 1);
  CHECK(r.graph.outputs[0].name == "y");
  CHECK(r.report.nodes_before == 4);
  CHECK(r.report.nodes_after == 2);
}

TEST_CASE("identity-elimination removes Dropout without a Seed (inference), not with one", "[passes][identity-elimination]") {
  graph::GraphBuilder b("drops");
  auto x = b.Input("x", DType::kF32, Shape({2, 3}));
  auto seed = b.Input("seed", DType::kI64, Shape({2}));
  auto h = b.Op("Relu", {b.Op("Dropout", {x}, {{"ratio", 0.5f}})});
  b.Output(b.Op("Dropout", {h, seed}, {{"ratio", 0.5f}}), "y");
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(
      g, {{"x", RandomTensor({2, 3}, 1)}, {"seed", Tensor::FromVector(std::vector<int64_t>{1, 2}, {2})}}, 1);
  CHECK(r.difference == 0);
  CHECK(CountOps(r.graph, "Dropout") == 1);
  CHECK(r.graph.nodes.size() == 2);
}

TEST_CASE("common-subexpression-elimination merges identical nodes", "[passes][common-subexpression-elimination]") {
  graph::GraphBuilder b("cse");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("n"), 4}));
  auto w = b.Weight("w", RandomTensor({4, 4}, 2));
  auto a = b.Op("Sigmoid", {b.Op("MatMul", {x, w})});
  auto c = b.Op("Sigmoid", {b.Op("MatMul", {x, w})});
  auto d = b.Op("LeakyRelu", {x}, {{"alpha", 0.1f}});
  auto e = b.Op("LeakyRelu", {x}, {{"alpha", 0.2f}});  // another attribute: not the same
  b.Output(b.Op("Add", {b.Op("Mul", {a, c}), b.Op("Sub", {d, e})}), "y");
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(g, {{"x", RandomTensor({3, 4}, 3)}}, 1);
  CHECK(r.difference == 0);
  CHECK(CountOps(r.graph, "MatMul") == 1);
  CHECK(CountOps(r.graph, "Sigmoid") == 1);
  CHECK(CountOps(r.graph, "LeakyRelu") == 2);
  CHECK(r.graph.nodes.size() == 7);
}

TEST_CASE("constant-folding evaluates constant nodes with the kernels", "[passes][constant-folding]") {
  graph::GraphBuilder b("fold");
  auto x = b.Input("x", DType::kF32, Shape({2, 3}));
  auto w = b.Weight("w", Values({1, 2, 3, 4, 5, 6}, {3, 2}));
  auto s = b.Weight("s", Values({2}, {}));
  // (wᵀ·2 + 1) is constant; two rounds of folding in one run: Transpose, Mul, Add.
  auto wt = b.Op("Add", {b.Op("Mul", {b.Op("Transpose", {w}, {{"perm", std::vector<int64_t>{1, 0}}}), s}), b.Weight("one", Values({1}, {1}))});
  b.Output(b.Op("Mul", {x, wt}), "y");
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(g, {{"x", RandomTensor({2, 3}, 4)}}, 1);
  CHECK(r.difference == 0);
  REQUIRE(r.graph.nodes.size() == 1);
  CHECK(r.graph.nodes[0].op_type == "Mul");
  // The folded weight: wᵀ·2 + 1 by hand; the inputs it came from are gone.
  const Tensor& folded = r.graph.initializers.at(r.graph.nodes[0].inputs[1]);
  CHECK(folded.shape() == std::vector<int64_t>{2, 3});
  const std::vector<float> expected{3, 7, 11, 5, 9, 13};
  for (int i = 0; i < 6; ++i) CHECK(folded.data<float>()[i] == expected[i]);
  CHECK(r.graph.initializers.size() == 1);
}

TEST_CASE("constant-folding folds a node whose output is a graph output, keeping the output's name", "[passes][constant-folding]") {
  graph::GraphBuilder b("public");
  auto x = b.Input("x", DType::kF32, Shape({2}));
  auto e = b.Op("Exp", {b.Weight("w", Values({0, 1}, {2}))});
  auto z = b.Op("Add", {x, b.Op("Neg", {e})});  // the folded output is also read on
  b.Output(e, "y");
  b.Output(z, "z");
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(g, {{"x", RandomTensor({2}, 8)}}, 1);
  CHECK(r.difference == 0);
  REQUIRE(r.graph.nodes.size() == 1);
  CHECK(r.graph.nodes[0].op_type == "Add");
  REQUIRE(r.graph.outputs.size() == 2);
  CHECK(r.graph.outputs[0].name == "y");
  // y is now a constant under its own name: e^0, e^1 by hand.
  const Tensor& y = r.graph.initializers.at("y");
  CHECK(y.data<float>()[0] == Approx(1.0f));
  CHECK(y.data<float>()[1] == Approx(2.7182817f));
  CHECK(!r.graph.initializers.count("w"));
}

TEST_CASE("constant-folding never folds parameters or graph inputs", "[passes][constant-folding]") {
  graph::GraphBuilder b("params");
  auto x = b.Input("x", DType::kF32, Shape({2, 2}));
  auto p = b.Input("p", DType::kF32, Shape({2, 2}));  // a weight fed as an input (training)
  auto w = b.Weight("w", Values({1, 2, 3, 4}, {2, 2}));
  auto t = b.Op("Transpose", {w}, {{"perm", std::vector<int64_t>{1, 0}}});
  b.Output(b.Op("Add", {b.Op("MatMul", {x, t}), b.Op("Neg", {p})}), "y");
  const graph::Graph g = b.Build();
  const std::vector<NamedTensor> in{{"x", RandomTensor({2, 2}, 5)}, {"p", RandomTensor({2, 2}, 6)}};
  const Optimized as_parameter = OptimizeAndCompare(g, in, 1, {.parameters = {"w"}});
  CHECK(as_parameter.difference == 0);
  CHECK(CountOps(as_parameter.graph, "Transpose") == 1);
  CHECK(CountOps(as_parameter.graph, "Neg") == 1);
  const Optimized as_constant = OptimizeAndCompare(g, in, 1);
  CHECK(CountOps(as_constant.graph, "Transpose") == 0);
  CHECK(CountOps(as_constant.graph, "Neg") == 1);
}

TEST_CASE("constant-folding turns Shape of a known shape into a constant", "[passes][constant-folding]") {
  graph::GraphBuilder b("shape");
  auto x = b.Input("x", DType::kF32, Shape({2, 3, 4}));
  auto shape = b.Op("Shape", {x}, {{"start", int64_t{1}}});
  auto flat = b.Op("Reshape", {x, b.Op("Concat", {b.Weight("minus1", Tensor::FromVector(std::vector<int64_t>{-1}, {1})),
                                                  b.Op("Slice", {shape, b.Weight("s0", Tensor::FromVector(std::vector<int64_t>{1}, {1})),
                                                                 b.Weight("s1", Tensor::FromVector(std::vector<int64_t>{2}, {1}))})},
                                                 {{"axis", int64_t{0}}})});
  b.Output(flat, "y");
  const graph::Graph g = b.Build();
  const Optimized r = OptimizeAndCompare(g, {{"x", RandomTensor({2, 3, 4}, 7)}}, 1);
  CHECK(r.difference == 0);
  REQUIRE(r.graph.nodes.size() == 1);
  const Tensor& target = r.graph.initializers.at(r.graph.nodes[0].inputs[1]);
  CHECK(std::vector<int64_t>(target.data<int64_t>(), target.data<int64_t>() + 2) == std::vector<int64_t>{-1, 4});
}

TEST_CASE("constant-folding leaves a constant that would grow the model", "[passes][constant-folding]") {
  graph::GraphBuilder b("grow");
  auto x = b.Input("x", DType::kF32, Shape({1024, 1024}));
  auto big = b.Op("Expand", {b.Weight("c", Values({1}, {1})), b.Weight("to", Tensor::FromVector(std::vector<int64_t>{1024, 1024}, {2}))});
  b.Output(b.Op("Add", {x, big}), "y");
  graph::Graph g = b.Build();
  runtime::OptimizeGraph(g, {.opt_level = 1});
  CHECK(CountOps(g, "Expand") == 1);
}

TEST_CASE("constant-folding counts a constant read twice once, so doublings stop at the size bound", "[passes][constant-folding]") {
  // Concat(c, c) 22 times would make a 16 MiB constant from a 4-byte one if each input counted
  // separately (a cold trial made a 1.2 KB file load 1 GB that way).
  graph::GraphBuilder b("doubling");
  auto x = b.Input("x", DType::kF32, Shape({1}));
  std::string c = b.Weight("c", Values({1}, {1}));
  for (int i = 0; i < 22; ++i) c = b.Op("Concat", {c, c}, {{"axis", int64_t{0}}});
  b.Output(b.Op("Add", {b.Op("ReduceSum", {c}, {{"keepdims", int64_t{0}}}), x}), "y");
  graph::Graph g = b.Build();
  runtime::OptimizeGraph(g, {.opt_level = 1});
  int64_t largest = 0;
  for (const auto& [name, t] : g.initializers) largest = std::max<int64_t>(largest, static_cast<int64_t>(t.nbytes()));
  CHECK(largest <= (int64_t{1} << 20));  // the bound for a constant larger than its inputs: 1 MiB
  CHECK(CountOps(g, "Concat") >= 1);      // the last doublings stay nodes, computed at run time
}

TEST_CASE("passes are switched off by name; unknown names are refused", "[passes]") {
  graph::GraphBuilder b("off");
  auto x = b.Input("x", DType::kF32, Shape({2}));
  b.Output(b.Op("Relu", {b.Op("Identity", {x})}), "y");
  graph::Graph g = b.Build();
  graph::Graph kept = g;
  const graph::PipelineReport r = runtime::OptimizeGraph(kept, {.opt_level = 2, .disabled_passes = {"identity-elimination"}});
  CHECK(CountOps(kept, "Identity") == 1);
  CHECK_THAT(r.ToString(), Catch::Contains("identity-elimination") && Catch::Contains("(disabled)"));
  // A pass of level 2 named at level 1 is accepted (not there to disable), a typo never is.
  CHECK_NOTHROW(runtime::OptimizeGraph(g, {.opt_level = 1, .disabled_passes = {"dead-node-elimination"}}));
  CHECK_THROWS_WITH(runtime::OptimizeGraph(g, {.opt_level = 0, .disabled_passes = {"identity-elimnation"}}),
                    Catch::Contains("unknown pass 'identity-elimnation'") && Catch::Contains("constant-folding"));
}

TEST_CASE("constant-folding reports a node its kernel refuses, naming it, when the graph loads", "[passes][constant-folding]") {
  // Every run would fail the same way: loading (and so axon verify) says so, not only a run.
  graph::GraphBuilder b("refused");
  auto x = b.Input("x", DType::kF32, Shape({3}));
  auto data = b.Weight("data", Values({1, 2, 3}, {3}));
  auto index = b.Weight("index", Tensor::FromVector(std::vector<int64_t>{7}, {1}));  // out of range
  b.Output(b.Op("Add", {x, b.Op("Gather", {data, index}, {}, "bad_gather")}), "y");
  graph::Graph g = b.Build();
  CHECK_THROWS_WITH(runtime::OptimizeGraph(g, {.opt_level = 1}),
                    Catch::Contains("pass 'constant-folding': node 'bad_gather' (Gather): index 7") &&
                        Catch::Contains("out of range"));
  graph::Model m;
  m.graph = b.Build();
  CHECK_THROWS_WITH(detail::SessionFactory::FromModel(std::move(m), {.threads = 1}, "refused"),
                    Catch::Contains("node 'bad_gather' (Gather)"));
}

TEST_CASE("constant-folding stays within the memory limit: a fold that exceeds it is left to the run",
          "[passes][constant-folding]") {
  // Add of two 2 MiB constants: 2 MiB out, no more than its inputs, so it folds under a large limit.
  graph::GraphBuilder b("big_fold");
  auto x = b.Input("x", DType::kF32, Shape({1}));
  auto c1 = b.Weight("c1", RandomTensor({512 * 1024}, 1));
  auto c2 = b.Weight("c2", RandomTensor({512 * 1024}, 2));
  auto sum = b.Op("ReduceSum", {b.Op("Add", {c1, c2}, {}, "big_add")}, {{"keepdims", int64_t{1}}});
  b.Output(b.Op("Add", {x, sum}), "y");
  graph::Graph g = b.Build();
  graph::Graph folded = g;
  runtime::OptimizeGraph(folded, {.opt_level = 1});
  CHECK(folded.nodes.size() == 1);  // big_add and the ReduceSum became constants
  graph::Graph limited = g;
  runtime::OptimizeGraph(limited, {.opt_level = 1, .memory_limit_bytes = int64_t{1} << 20});
  CHECK(CountOps(limited, "Add") == 2);  // big_add stays: its 2 MiB would exceed 1 MiB
  // Through a session: the limit set there bounds the fold as well, and the run refuses the node.
  graph::Model m;
  m.graph = g;
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 1, .memory_limit_bytes = int64_t{1} << 20}, "big");
  CHECK_THROWS_WITH(s.Run({{"x", RandomTensor({1}, 3)}}), Catch::Contains("big_add") && Catch::Contains("memory limit"));
}
