// Inter-op parallelism: independent branches run at once, with results bit for bit those of the
// serial plan, buffers that never collide, and sessions that share TBB.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <thread>

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "graph/builder.h"
#include "runtime/executor.h"
#include "runtime/inter_op.h"
#include "runtime/session_factory.h"

namespace axon {
namespace {

using graph::Dim;
using graph::Shape;

Tensor Filled(std::vector<int64_t> shape, float scale, float phase) {
  Tensor t = Tensor::Zeros(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = scale * std::sin(phase + 0.37f * static_cast<float>(i));
  return t;
}

// Four Gemm branches of x [rows,256] with different activations, joined by two MatMuls of
// computed values (packing scratch) and Softmax; a0 is an output too, written by a concurrent step.
graph::Graph Branches() {
  graph::GraphBuilder b("branches");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("rows"), 256}));
  const char* acts[] = {"Relu", "Tanh", "Sigmoid", "Relu"};
  std::vector<std::string> a;
  for (int i = 0; i < 4; ++i) {
    auto w = b.Weight("w" + std::to_string(i), Filled({256, 256}, 0.06f, static_cast<float>(i)));
    auto bias = b.Weight("b" + std::to_string(i), Filled({256}, 0.1f, static_cast<float>(i)));
    a.push_back(b.Op(acts[i], {b.Op("Gemm", {x, w, bias}, {{"transB", int64_t{1}}}, "fc" + std::to_string(i))}));
  }
  auto m1 = b.Op("MatMul", {a[0], b.Op("Transpose", {a[1]})});
  auto m2 = b.Op("MatMul", {a[2], b.Op("Transpose", {a[3]})});
  b.Output(b.Op("Softmax", {b.Op("Add", {m1, m2})}), "y");
  b.Output(a[0], "a0");
  return b.Build();
}

graph::Graph Chain() {
  graph::GraphBuilder b("chain");
  auto h = b.Input("x", DType::kF32, Shape({Dim::Symbol("rows"), 256}));
  for (int i = 0; i < 3; ++i)
    h = b.Op("Relu", {b.Op("MatMul", {h, b.Weight("w" + std::to_string(i), Filled({256, 256}, 0.06f, 1.0f * i))})});
  b.Output(h, "y");
  return b.Build();
}

std::vector<std::vector<float>> Floats(const std::vector<Tensor>& out) {
  std::vector<std::vector<float>> v;
  for (const Tensor& t : out) v.push_back(t.ToFloatVector());
  return v;
}

// Runs the executor's plan for x inside a task arena of `threads`.
struct Ran {
  std::shared_ptr<const runtime::Plan> plan;
  std::vector<std::vector<float>> out;
};
Ran RunExecutor(const graph::Graph& g, bool inter_op, int threads, const Tensor& x, int repeats = 1) {
  runtime::ExecutorOptions options;
  options.inter_op = inter_op;
  runtime::Executor executor(g, options);
  tbb::task_arena arena(std::min(threads, tbb::info::default_concurrency()));  // more would only warn
  Ran ran;
  arena.execute([&] {
    const std::vector<Tensor> inputs = {x};
    ran.plan = executor.PlanFor(inputs);
    ran.out = Floats(executor.Run(*ran.plan, inputs));
    for (int r = 1; r < repeats; ++r) REQUIRE(Floats(executor.Run(*ran.plan, inputs)) == ran.out);
  });
  return ran;
}

}  // namespace

TEST_CASE("steps are grouped by dependency level, only where two of them are worth a task", "[runtime][interop]") {
  // Diamond: 0 -> {1, 2} -> 3, then 4 reads 3 and a graph input (slot 0).
  const std::vector<std::vector<int>> ins = {{0}, {1}, {1}, {2, 3}, {4, 0}};
  const std::vector<std::vector<int>> outs = {{1}, {2}, {3}, {4}, {5}};
  CHECK(runtime::DependencyLevels(ins, outs, 6) == std::vector<int>{0, 1, 1, 2, 3});

  const runtime::InterOpSchedule s({0, 0, 1, 1, 1, 2, 2}, {true, true, true, false, false, true, false});
  REQUIRE(s.groups() == std::vector<std::pair<int, int>>{{0, 2}});  // level 1 has one heavy step only
  for (int k = 0; k < 7; ++k) CHECK(s.Concurrent(k) == (k < 2));
  // The group is one instant for buffer lifetimes; the other steps one each, in order.
  const int times[] = {0, 0, 1, 2, 3, 4, 5};
  for (int k = 0; k < 7; ++k) CHECK(s.Time(k) == times[k]);

  const runtime::InterOpSchedule none({0, 1, 2}, {true, true, true});
  CHECK(none.empty());
  CHECK(none.Time(2) == 2);
  CHECK_FALSE(none.Concurrent(1));
}

TEST_CASE("concurrent branches give the serial plan's bits, on 1, 2 and 4 threads", "[runtime][interop]") {
  const graph::Graph g = Branches();
  const Tensor x = Filled({128, 256}, 1.0f, 0.5f);
  const Ran serial = RunExecutor(g, false, 1, x);
  CHECK(serial.plan->concurrent.empty());
  for (int threads : {1, 2, 4}) {
    INFO(threads << " threads");
    const Ran ran = RunExecutor(g, true, threads, x, 20);
    CHECK(ran.plan->concurrent.size() >= 2);  // the four Gemms, their activations, ...
    CHECK(ran.out == serial.out);
  }
  // Through sessions, as users get it: inter-op is on with more than one thread.
  std::vector<std::vector<std::vector<float>>> outs;
  for (int threads : {1, 2, 4}) {
    graph::Model m;
    m.graph = g;
    Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = threads}, "test");
    outs.push_back(Floats(s.Run({{"x", x}})));
  }
  CHECK(outs[0] == serial.out);
  CHECK(outs[1] == serial.out);
  CHECK(outs[2] == serial.out);
}

TEST_CASE("steps that run at once never share arena bytes, and none writes in place", "[runtime][interop]") {
  const Ran ran = RunExecutor(Branches(), true, 2, Filled({128, 256}, 1.0f, 0.5f));
  const runtime::Plan& plan = *ran.plan;
  REQUIRE_FALSE(plan.concurrent.empty());
  auto range = [&](int32_t slot) -> std::pair<int64_t, int64_t> {  // arena bytes of a slot, or empty
    if (slot < 0 || plan.slots[slot].place != runtime::Plan::Place::kArena) return {0, 0};
    const int64_t bytes = ElementCount(plan.slot_shapes[slot]) * static_cast<int64_t>(DTypeSize(plan.slot_types[slot]));
    return {plan.slots[slot].offset, plan.slots[slot].offset + bytes};
  };
  int checked = 0, shares = 0;
  for (const auto& [begin, end] : plan.concurrent)
    for (uint32_t a = begin; a < end; ++a)
      for (uint32_t b = begin; b < end; ++b) {
        if (a == b) continue;
        const auto& sa = plan.steps[a];
        const auto& sb = plan.steps[b];
        for (uint32_t o = 0; o < sa.num_out; ++o) {
          const auto written = range(plan.args[sa.args + sa.num_in + o]);
          for (uint32_t i = 0; i < sb.num_in + sb.num_out; ++i) {
            const auto other = range(plan.args[sb.args + i]);
            CHECK_FALSE((written.first < other.second && other.first < written.second));
            ++checked;
          }
        }
        // Scratch too: the MatMuls of computed values pack B in theirs, each in its own share.
        shares += sa.workspace != sb.workspace;
      }
  CHECK(checked > 0);
  CHECK(shares > 0);
}

TEST_CASE("a chain keeps the serial plan: same order, same arena, no groups", "[runtime][interop]") {
  const Tensor x = Filled({64, 256}, 1.0f, 0.25f);
  const Ran serial = RunExecutor(Chain(), false, 2, x);
  const Ran inter = RunExecutor(Chain(), true, 2, x);
  CHECK(inter.plan->concurrent.empty());
  CHECK(inter.plan->arena_bytes == serial.plan->arena_bytes);
  CHECK(inter.out == serial.out);
  // Branches too small to pay for a task each run one by one as well.
  const Ran small = RunExecutor(Branches(), true, 2, Filled({1, 256}, 1.0f, 0.5f));
  CHECK(small.plan->concurrent.size() == 1);  // only the four Gemms (256 KB of weights each) pay
}

TEST_CASE("an error in a step that runs beside others names its node, and the session runs on", "[runtime][interop]") {
  // Two Gathers of 512 KB each from one index input, at one level: a concurrent group.
  graph::GraphBuilder b("gathers");
  auto idx = b.Input("idx", DType::kI64, Shape({2048}));
  auto g1 = b.Op("Gather", {b.Weight("d1", Filled({4096, 64}, 1.0f, 0.0f)), idx}, {}, "gather1");
  auto g2 = b.Op("Gather", {b.Weight("d2", Filled({8192, 64}, 1.0f, 1.0f)), idx}, {}, "gather2");
  b.Output(b.Op("Add", {g1, g2}), "y");
  graph::Model m;
  m.graph = b.Build();
  const Ran planned = RunExecutor(m.graph, true, 2, Tensor::Zeros(DType::kI64, {2048}));
  REQUIRE(planned.plan->concurrent.size() == 1);
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 2}, "gathers");
  Tensor bad = Tensor::Zeros(DType::kI64, {2048});
  bad.data<int64_t>()[7] = 5000;  // in range for d2 only
  CHECK_THROWS_WITH(s.Run({{"idx", bad}}), Catch::Contains("node 'gather1' (Gather): index 5000 (indices element 7) is out of range"));
  Tensor good = Tensor::Zeros(DType::kI64, {2048});
  good.data<int64_t>()[7] = 4095;
  const auto y = s.Run({{"idx", good}})[0];
  // Row 4095 of d1 plus row 4095 of d2, by the fill formula.
  for (int64_t j = 0; j < 64; ++j) {
    const float d1 = std::sin(0.37f * static_cast<float>(4095 * 64 + j));
    const float d2 = std::sin(1.0f + 0.37f * static_cast<float>(4095 * 64 + j));
    CHECK(y.data<float>()[7 * 64 + j] == Approx(d1 + d2).margin(1e-5));
  }
}

TEST_CASE("two sessions run concurrently from two threads give correct results", "[runtime][interop]") {
  graph::Model branches, chain;
  branches.graph = Branches();
  chain.graph = Chain();
  const Tensor x = Filled({128, 256}, 1.0f, 0.75f);
  const auto want_branches = RunExecutor(branches.graph, false, 1, x).out;
  const auto want_chain = RunExecutor(chain.graph, false, 1, x).out;
  Session a = detail::SessionFactory::FromModel(std::move(branches), {.threads = 2}, "a");
  Session b = detail::SessionFactory::FromModel(std::move(chain), {.threads = 2}, "b");
  int bad_a = 0, bad_b = 0;
  std::thread ta([&] {
    for (int r = 0; r < 30; ++r) bad_a += Floats(a.Run({{"x", x}})) != want_branches;
  });
  std::thread tb([&] {
    for (int r = 0; r < 30; ++r) bad_b += Floats(b.Run({{"x", x}})) != want_chain;
  });
  ta.join();
  tb.join();
  CHECK(bad_a == 0);
  CHECK(bad_b == 0);
}

}  // namespace axon
