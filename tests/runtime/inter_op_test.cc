// Inter-op parallelism: independent branches run at once, with results bit for bit those of the
// serial plan, buffers that never collide, and sessions that share TBB.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <thread>

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "graph/builder.h"
#include "runtime/executor.h"
#include "runtime/inter_op.h"
#include "runtime/parallel.h"
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
  auto m1 = b.Op("MatMul", {a[0], b.Op("Transpose", {a[1]})}, {}, "m1");
  auto m2 = b.Op("MatMul", {a[2], b.Op("Transpose", {a[3]})}, {}, "m2");
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

TEST_CASE("a step graph waits only for producers; ancestors are transitive", "[runtime][interop]") {
  // Diamond 0 -> {1, 2} -> 3; 4 is an alias of 3 (runs nothing); 5 reads 4 and 1; 6 reads nothing.
  const std::vector<std::vector<int>> preds = {{}, {0}, {0}, {1, 2}, {3}, {1, 4}, {}};
  const runtime::Ancestry order(preds);
  CHECK(order.Before(0, 3));
  CHECK(order.Before(0, 5));
  CHECK(order.Before(2, 5));
  CHECK_FALSE(order.Before(1, 2));
  CHECK_FALSE(order.Before(2, 1));
  CHECK_FALSE(order.Before(3, 3));
  CHECK_FALSE(order.Before(0, 6));
  CHECK(order.AnyUnordered({false, true, true, false, false, false, false}));
  CHECK_FALSE(order.AnyUnordered({true, true, false, true, false, true, false}));  // a chain of ancestors

  const std::vector<int> plan_step = {0, 1, 2, 3, -1, 4, 5};
  const runtime::StepGraph g = runtime::MakeStepGraph(preds, plan_step, {true, true, true, false, false, false, true});
  REQUIRE(g.size() == 6);
  CHECK(g.num_predecessors == std::vector<int32_t>{0, 1, 1, 2, 2, 0});  // 5 waits for 3 (through the alias) and 1
  auto successors = [&](int k) {
    return std::vector<uint32_t>(g.successors.begin() + g.first_successor[k], g.successors.begin() + g.first_successor[k + 1]);
  };
  CHECK(successors(0) == std::vector<uint32_t>{1, 2});
  CHECK(successors(1) == std::vector<uint32_t>{3, 4});
  CHECK(successors(3) == std::vector<uint32_t>{4});
  CHECK(successors(5).empty());
  CHECK(g.heavy == std::vector<bool>{true, true, true, false, false, true});
}

TEST_CASE("concurrent arena: bytes go back only to a descendant of every step that touched them", "[runtime][interop]") {
  // Branches 0 -> 2 and 1 -> 3, joined by 4. Buffer of 0 dies at 2, of 1 at 3.
  const runtime::Ancestry order({{}, {}, {0}, {1}, {2, 3}});
  const std::vector<runtime::BufferLifetime> buffers = {
      {256, 0, 2}, {256, 1, 3}, {256, 2, 4}, {256, 3, 4}, {256, 4, 4}};
  const std::vector<std::vector<int>> touchers = {{0, 2}, {1, 3}, {2, 4}, {3, 4}, {4}};
  const runtime::ArenaLayout concurrent = runtime::PlanConcurrentArena(buffers, touchers, order);
  // Serially, 3's buffer takes 0's bytes (freed at step 2); here step 3 may run beside step 2.
  const runtime::ArenaLayout serial = runtime::PlanArena(buffers);
  CHECK(serial.offsets[3] == serial.offsets[0]);
  CHECK(concurrent.offsets[3] != concurrent.offsets[0]);
  CHECK(concurrent.offsets[3] != concurrent.offsets[1]);
  // 4 descends from everything: it reuses freed bytes instead of growing the arena.
  CHECK(concurrent.offsets[4] < 4 * 256);
  CHECK(concurrent.bytes == 4 * 256);
}

TEST_CASE("a step starts when its producers finish, not when a level of the plan does", "[runtime][interop]") {
  // Branch A: a0 -> a1; branch B: b0 alone. b0 waits (bounded) until a1 has started: with a
  // barrier after each dependency level, a1 (level 1) could not start before b0 (level 0) ended.
  const runtime::StepGraph g =
      runtime::MakeStepGraph({{}, {0}, {}}, {0, 1, 2}, {true, true, true});
  std::atomic<bool> a1_started{false};
  bool b0_saw_a1 = false;
  std::vector<int32_t> counters(g.size());
  tbb::task_arena arena(2);
  arena.execute([&] {
    runtime::RunStepGraph(g, counters.data(), [&](std::size_t k) {
      if (k == 1) a1_started = true;
      if (k != 2) return;
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!a1_started && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      b0_saw_a1 = a1_started;
    });
  });
  CHECK(b0_saw_a1);
  // An exception in one step reaches the caller; steps after it never start.
  std::atomic<int> ran_after{0};
  arena.execute([&] {
    CHECK_THROWS_WITH(runtime::RunStepGraph(g, counters.data(), [&](std::size_t k) {
                        if (k == 0) throw std::runtime_error("step 0 failed");
                        if (k == 1) ++ran_after;
                      }),
                      "step 0 failed");
  });
  CHECK(ran_after == 0);
}

TEST_CASE("the thread that runs a step graph, out of steps, helps with another step's blocks", "[runtime][interop]") {
  // Two roots: 1 runs on the calling thread and returns once 0 has started on the other thread;
  // 0's ParallelFor then holds its first block until another thread has run one of its blocks.
  // Only the caller is free to: if its wait were an isolated region, it could never enter 0's.
  if (tbb::info::default_concurrency() < 2) return;  // one core: no second thread to run step 0
  const runtime::StepGraph g = runtime::MakeStepGraph({{}, {}}, {0, 1}, {true, true});
  std::vector<int32_t> counters(g.size());
  tbb::task_arena arena(2);
  std::atomic<int> caller{-1}, owner{-1}, helper{-1};
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);  // for all the waits
  auto wait_until = [&](auto done) {
    while (!done() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::microseconds(100));
  };
  arena.execute([&] {
    caller = runtime::ThreadIndex();
    runtime::RunStepGraph(g, counters.data(), [&](std::size_t k) {
      if (k == 1) return wait_until([&] { return owner >= 0; });
      owner = runtime::ThreadIndex();
      runtime::ParallelFor(64, 1, [&](int64_t, int64_t) {
        if (runtime::ThreadIndex() != owner) helper = runtime::ThreadIndex();
        wait_until([&] { return helper >= 0; });
      });
    });
  });
  REQUIRE(owner != caller);  // else the worker never came, and nothing was tested
  CHECK(helper == caller);
}

TEST_CASE("concurrent branches give the serial plan's bits, on 1, 2 and 4 threads", "[runtime][interop]") {
  const graph::Graph g = Branches();
  const Tensor x = Filled({128, 256}, 1.0f, 0.5f);
  const Ran serial = RunExecutor(g, false, 1, x);
  CHECK(serial.plan->graph.empty());
  for (int threads : {1, 2, 4}) {
    INFO(threads << " threads");
    const Ran ran = RunExecutor(g, true, threads, x, 20);
    CHECK_FALSE(ran.plan->graph.empty());  // the four Gemms, their activations, ...
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

TEST_CASE("steps that may run at once never share arena bytes, and none writes in place", "[runtime][interop]") {
  const graph::Graph g = Branches();
  const Ran ran = RunExecutor(g, true, 2, Filled({128, 256}, 1.0f, 0.5f));
  const runtime::Plan& plan = *ran.plan;
  REQUIRE_FALSE(plan.graph.empty());
  const std::size_t n = plan.steps.size();
  // after[a][b]: b cannot start before a ends (a path of successor edges), from the plan itself.
  std::vector<std::vector<bool>> after(n, std::vector<bool>(n, false));
  for (std::size_t a = n; a-- > 0;)
    for (uint32_t e = plan.graph.first_successor[a]; e < plan.graph.first_successor[a + 1]; ++e) {
      const uint32_t b = plan.graph.successors[e];
      REQUIRE(b > a);  // successors come later: the steps are in a topological order
      after[a][b] = true;
      for (std::size_t c = 0; c < n; ++c)
        if (after[b][c]) after[a][c] = true;
    }
  auto range = [&](int32_t slot) -> std::pair<int64_t, int64_t> {  // arena bytes of a slot, or empty
    if (slot < 0 || plan.slots[slot].place != runtime::Plan::Place::kArena) return {0, 0};
    const int64_t bytes = ElementCount(plan.slot_shapes[slot]) * static_cast<int64_t>(DTypeSize(plan.slot_types[slot]));
    return {plan.slots[slot].offset, plan.slots[slot].offset + bytes};
  };
  int checked = 0;
  std::vector<int64_t> matmul_scratch;
  for (std::size_t a = 0; a < n; ++a) {
    const auto& sa = plan.steps[a];
    const std::string& name = g.nodes[sa.node].name;
    if (name == "m1" || name == "m2") matmul_scratch.push_back(sa.workspace);
    for (std::size_t b = 0; b < n; ++b) {
      if (a == b || after[a][b] || after[b][a]) continue;
      const auto& sb = plan.steps[b];
      for (uint32_t o = 0; o < sa.num_out; ++o) {
        const auto written = range(plan.args[sa.args + sa.num_in + o]);
        for (uint32_t i = 0; i < sb.num_in + sb.num_out; ++i) {
          const auto other = range(plan.args[sb.args + i]);
          CHECK_FALSE((written.first < other.second && other.first < written.second));
          ++checked;
        }
      }
    }
  }
  CHECK(checked > 0);
  // Scratch too: the MatMuls of computed values pack B in theirs, and may run at once.
  REQUIRE(matmul_scratch.size() == 2);
  CHECK(matmul_scratch[0] != matmul_scratch[1]);
}

TEST_CASE("a chain keeps the serial plan: same order, same arena, no groups", "[runtime][interop]") {
  const Tensor x = Filled({64, 256}, 1.0f, 0.25f);
  const Ran serial = RunExecutor(Chain(), false, 2, x);
  const Ran inter = RunExecutor(Chain(), true, 2, x);
  CHECK(inter.plan->graph.empty());
  CHECK(inter.plan->arena_bytes == serial.plan->arena_bytes);
  CHECK(inter.out == serial.out);
  // Branches too small to pay for a task each run one by one as well: one Gemm of a row is
  // worth a task only for its 256 KB of weights, the rest of the graph is tiny.
  const Ran small = RunExecutor(Branches(), true, 2, Filled({1, 256}, 1.0f, 0.5f));
  REQUIRE_FALSE(small.plan->graph.empty());
  CHECK(std::count(small.plan->graph.heavy.begin(), small.plan->graph.heavy.end(), true) == 4);
  // A single heavy branch beside tiny ones: no pair worth running at once, so serial.
  graph::GraphBuilder b("one_heavy");
  auto in = b.Input("x", DType::kF32, Shape({64, 256}));
  auto big = b.Op("MatMul", {in, b.Weight("w", Filled({256, 256}, 0.06f, 0.0f))});
  auto tiny = b.Op("Relu", {in});  // 128 KB moved: under kInterOpMinWork
  b.Output(big, "y");
  b.Output(tiny, "z");
  CHECK(RunExecutor(b.Build(), true, 2, Filled({64, 256}, 1.0f, 0.0f)).plan->graph.empty());
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
  REQUIRE_FALSE(planned.plan->graph.empty());
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
  // Two sessions whose plans run as step graphs (each its own arena and TBB tasks), with
  // different inputs, and a third with a serial plan, each from its own application thread;
  // every run is compared with a serial single-threaded one.
  const Tensor x1 = Filled({128, 256}, 1.0f, 0.75f), x2 = Filled({96, 256}, 0.5f, 2.0f);
  const graph::Graph g = Branches();
  const auto want1 = RunExecutor(g, false, 1, x1).out;
  const auto want2 = RunExecutor(g, false, 1, x2).out;
  const auto want_chain = RunExecutor(Chain(), false, 1, x1).out;
  REQUIRE_FALSE(RunExecutor(g, true, 2, x1).plan->graph.empty());
  graph::Model m1, m2, m3;
  m1.graph = g;
  m2.graph = g;
  m3.graph = Chain();
  Session a = detail::SessionFactory::FromModel(std::move(m1), {.threads = 2}, "a");
  Session b = detail::SessionFactory::FromModel(std::move(m2), {.threads = 2}, "b");
  Session c = detail::SessionFactory::FromModel(std::move(m3), {.threads = 2}, "c");
  std::atomic<int> bad{0};
  auto loop = [&](Session& s, const Tensor& x, const std::vector<std::vector<float>>& want) {
    for (int r = 0; r < 25; ++r) bad += Floats(s.Run({{"x", x}})) != want;
  };
  std::thread ta(loop, std::ref(a), std::cref(x1), std::cref(want1));
  std::thread tb(loop, std::ref(b), std::cref(x2), std::cref(want2));
  std::thread tc(loop, std::ref(c), std::cref(x1), std::cref(want_chain));
  ta.join();
  tb.join();
  tc.join();
  CHECK(bad == 0);
}

}  // namespace axon
