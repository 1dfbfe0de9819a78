// The reduction and normalization ops inside a session: chained, fed run-time axes and
// statistics, expanded LayerNorm parameters and chunked reductions, with no heap allocation in a
// steady-state run and the same results for any thread count.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "axon/axon.h"
#include "graph/builder.h"
#include "runtime/session_factory.h"
#include "tests/runtime/allocation_counter.h"

using namespace axon;
using graph::Attribute;
using graph::Dim;
using graph::Shape;

namespace {

Tensor Random(std::vector<int64_t> shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(ElementCount(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::FromVector(v, std::move(shape));
}

Session Compile(int threads) {
  graph::GraphBuilder b("reduce_norm");
  const auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("n"), 6, 8}));
  const auto axes = b.Input("axes", DType::kI64, Shape({1}));
  const auto var = b.Input("var", DType::kF32, Shape({6}));
  const auto big = b.Input("big", DType::kF32, Shape({3, 40000}));
  // LayerNorm over [6, 8] with a Scale of [8] (expanded every run), its statistics too.
  const auto ln = b.OpN("LayerNormalization", {x, b.Weight("scale", Random({8}, 1, 0.5f, 2.0f)), b.Weight("b", Random({8}, 2))},
                        3, {{"axis", int64_t{1}}});
  // BatchNorm with a fed variance: scale / sqrt(var + epsilon) made every run.
  const auto bn = b.Op("BatchNormalization", {ln[0], b.Weight("g", Random({6}, 3)), b.Weight("beta", Random({6}, 4)),
                                              b.Weight("mu", Random({6}, 5)), var});
  b.Output(b.Op("ReduceSum", {bn, axes}, {{"keepdims", int64_t{0}}}), "sum");           // run-time axes
  b.Output(b.Op("ReduceMean", {bn}, {{"axes", std::vector<int64_t>{0, 2}}}), "mean");    // two groups
  b.Output(b.Op("ReduceMax", {ln[2]}, {{"axes", std::vector<int64_t>{1, 2}}, {"keepdims", int64_t{0}}}), "max");
  b.Output(b.Op("ReduceSum", {big}, {}), "big_sum");                                   // chunked
  graph::Model m;
  m.graph = b.Build();
  return detail::SessionFactory::FromModel(std::move(m), {.threads = threads}, "test");
}

}  // namespace

TEST_CASE("reductions and normalizations run in a session without allocating, alike on any thread count",
          "[runtime][reduce][normalization]") {
  const std::vector<Tensor> inputs = {Random({5, 6, 8}, 6), Tensor::FromVector(std::vector<int64_t>{-1}, {1}),
                                      Random({6}, 7, 0.1f, 2.0f), Random({3, 40000}, 8)};
  std::vector<std::vector<float>> first;
  for (int threads : {1, 2}) {
    INFO(threads << " threads");
    Session s = Compile(threads);
    std::vector<float> sum(30), mean(6), max(5), big(1);
    std::vector<Tensor> outputs = {Tensor::View(sum.data(), {5, 6}), Tensor::View(mean.data(), {1, 6, 1}),
                                   Tensor::View(max.data(), {5}), Tensor::View(big.data(), {1, 1})};
    s.RunInto(inputs, outputs);  // plans, allocates the arena
    const std::vector<std::vector<float>> results = {sum, mean, max, big};
    {
      test::CountAllocations counter;
      for (int i = 0; i < 5; ++i) s.RunInto(inputs, outputs);
      CHECK(counter.count() == 0);
    }
    CHECK(std::vector<std::vector<float>>{sum, mean, max, big} == results);
    if (first.empty()) {
      first = results;
    } else {
      CHECK(results == first);
    }
  }
  // The chunked sum matches a double sum.
  double exact = 0;
  for (int64_t i = 0; i < inputs[3].size(); ++i) exact += inputs[3].data<float>()[i];
  CHECK(first[3][0] == Approx(exact).margin(1e-3));
}
