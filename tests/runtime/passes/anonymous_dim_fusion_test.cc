// Two anonymous dims ("?") may differ at run time, one of them 1 and broadcasting, which the
// unfused Add or MatMul accepts: the epilogue fusions, whose R must have Y's shape, must not take
// them for equal; FusedAttention broadcasts its leading dims as the MatMuls do. Each graph runs
// fused and unfused with such inputs.
#include <catch2/catch.hpp>

#include <array>

#include "graph/builder.h"
#include "tests/runtime/passes/pass_test_util.h"

using namespace axon;
using namespace axon::testing;
using graph::Dim;
using graph::Shape;

TEST_CASE("attention-fusion on anonymous batch dims: FusedAttention broadcasts one that is 1 at run time",
          "[passes][attention-fusion][kernel:FusedAttention]") {
  // Exports with dynamic axes reach the attention through Reshapes, whose dims are anonymous:
  // the pass fuses them, and a run where one turns out 1 broadcasts as the MatMuls do.
  graph::GraphBuilder b("anonymous_batch");
  auto q = b.Input("q", DType::kF32, Shape({Dim(), Dim(), 5, 8}));
  auto kt = b.Input("kt", DType::kF32, Shape({Dim(), Dim(), 8, 6}));
  auto v = b.Input("v", DType::kF32, Shape({Dim(), Dim(), 6, 4}));
  b.Output(b.Op("MatMul", {b.Op("Softmax", {b.Op("MatMul", {q, kt})}), v}), "y");
  const graph::Graph g = b.Build();
  for (const auto& [qb, kb, vb] : std::vector<std::array<std::vector<int64_t>, 3>>{
           {{{2, 3}, {2, 3}, {2, 3}}}, {{{2, 3}, {1, 3}, {2, 1}}}, {{{1, 1}, {2, 3}, {1, 3}}}, {{{2, 1}, {1, 3}, {1, 1}}}}) {
    auto shape = [](std::vector<int64_t> lead, int64_t r, int64_t c) {
      lead.push_back(r);
      lead.push_back(c);
      return lead;
    };
    const std::vector<NamedTensor> in = {{"q", RandomTensor(shape(qb, 5, 8), 1)},
                                         {"kt", RandomTensor(shape(kb, 8, 6), 2)},
                                         {"v", RandomTensor(shape(vb, 6, 4), 3)}};
    const Optimized r = OptimizeAndCompare(g, in);
    CHECK(r.difference < 2e-6);
    CHECK(CountOps(r.graph, "FusedAttention") == 1);
  }
}

TEST_CASE("attention-fusion keeps a Q scale of a higher rank than Q, which adds a dim", "[passes][attention-fusion]") {
  graph::GraphBuilder b("rank4_scale");
  auto q = b.Input("q", DType::kF32, Shape({2, 5, 8}));
  auto kt = b.Input("kt", DType::kF32, Shape({2, 8, 6}));
  auto v = b.Input("v", DType::kF32, Shape({2, 6, 4}));
  auto c = b.Weight("c", Tensor::FromVector(std::vector<float>{0.25f}, {1, 1, 1, 1}));
  b.Output(b.Op("MatMul", {b.Op("Softmax", {b.Op("MatMul", {b.Op("Mul", {q, c}), kt})}), v}), "y");
  const std::vector<NamedTensor> in = {
      {"q", RandomTensor({2, 5, 8}, 4)}, {"kt", RandomTensor({2, 8, 6}, 5)}, {"v", RandomTensor({2, 6, 4}, 6)}};
  // Fused with the scale taken in, y would be [2, 5, 4] where the graph computes [1, 2, 5, 4]
  // (the pipeline refused the rewritten graph: "left a graph that does not verify").
  const Optimized r = OptimizeAndCompare(b.Build(), in);
  CHECK(r.difference < 2e-6);
  CHECK(CountOps(r.graph, "Mul") + CountOps(r.graph, "FusedElementwise") == 1);
}

TEST_CASE("conv-residual-fusion leaves a residual whose anonymous dims may broadcast", "[passes][conv-residual-fusion]") {
  graph::GraphBuilder b("anonymous_residual");
  auto x = b.Input("x", DType::kF32, Shape({Dim(), 4, Dim(), Dim()}));
  auto r = b.Input("r", DType::kF32, Shape({Dim(), 4, Dim(), Dim()}));
  auto w = b.Weight("w", RandomTensor({4, 4, 3, 3}, 7, -0.3f, 0.3f));
  auto conv = b.Op("Conv", {x, w}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  b.Output(b.Op("Add", {conv, r}), "y");
  const Optimized o = OptimizeAndCompare(b.Build(), {{"x", RandomTensor({1, 4, 6, 6}, 8)}, {"r", RandomTensor({1, 4, 1, 1}, 9)}});
  CHECK(o.difference == 0);
  CHECK(CountOps(o.graph, "FusedConv") == 0);
}

TEST_CASE("gemm-epilogue-fusion leaves a residual whose anonymous dims may broadcast", "[passes][gemm-epilogue-fusion]") {
  graph::GraphBuilder b("anonymous_residual");
  auto a = b.Input("a", DType::kF32, Shape({Dim(), 5}));
  auto r = b.Input("r", DType::kF32, Shape({Dim(), 4}));
  auto w = b.Weight("w", RandomTensor({5, 4}, 10));
  auto bias = b.Weight("bias", RandomTensor({4}, 13));
  b.Output(b.Op("Relu", {b.Op("Add", {b.Op("Add", {b.Op("MatMul", {a, w}), bias}), r})}), "y");
  const Optimized o = OptimizeAndCompare(b.Build(), {{"a", RandomTensor({3, 5}, 11)}, {"r", RandomTensor({1, 4}, 12)}});
  CHECK(o.difference == 0);
  for (const graph::Node& n : o.graph.nodes)
    if (n.op_type == "FusedGemm") CHECK((n.inputs.size() < 4 || n.inputs[3].empty()));
}
