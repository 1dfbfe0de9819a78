// Execution plans: made once per input binding and reused; runs into caller buffers allocate
// nothing; intermediates share one arena; concurrent runs are independent; parameters re-prepare.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "axon/axon.h"
#include "graph/builder.h"
#include "runtime/executor.h"
#include "runtime/kernels/attention.h"
#include "runtime/memory_planner.h"
#include "runtime/session_factory.h"
#include "tests/runtime/allocation_counter.h"

using namespace axon;
using graph::Dim;
using graph::Shape;

namespace {

Tensor RandomTensor(std::vector<int64_t> shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(ElementCount(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::FromVector(v, std::move(shape));
}

// 64-48-32-10 MLP in PyTorch's layout (Gemm with transB), ReLU, softmax: every kind of step.
graph::Graph Mlp() {
  graph::GraphBuilder b("mlp");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 64}));
  auto h = b.Op("Relu", {b.Op("Gemm", {x, b.Weight("w1", RandomTensor({48, 64}, 1)), b.Weight("b1", RandomTensor({48}, 2))},
                              {{"transB", int64_t{1}}})});
  h = b.Op("Relu", {b.Op("Gemm", {h, b.Weight("w2", RandomTensor({32, 48}, 3)), b.Weight("b2", RandomTensor({32}, 4))},
                         {{"transB", int64_t{1}}})});
  h = b.Op("Add", {b.Op("MatMul", {h, b.Weight("w3", RandomTensor({32, 10}, 5))}), b.Weight("b3", RandomTensor({10}, 6))});
  b.Output(b.Op("Softmax", {h}), "y");
  return b.Build();
}

Session Compile(graph::Graph g, SessionOptions options = {.threads = 1}) {
  graph::Model m;
  m.graph = std::move(g);
  return detail::SessionFactory::FromModel(std::move(m), options, "test");
}

}  // namespace

TEST_CASE("a steady-state run into caller buffers makes no heap allocation", "[runtime][plan]") {
  for (int threads : {1, 2}) {
    INFO(threads << " threads");
    Session s = Compile(Mlp(), {.threads = threads});
    const std::vector<Tensor> inputs = {RandomTensor({32, 64}, 7)};
    std::vector<float> y(32 * 10);
    std::vector<Tensor> outputs = {Tensor::View(y.data(), {32, 10})};
    s.RunInto(inputs, outputs);  // plans, allocates the arena
    const std::vector<float> first = y;
    {
      test::CountAllocations counter;
      for (int i = 0; i < 10; ++i) s.RunInto(inputs, outputs);
      CHECK(counter.count() == 0);
    }
    CHECK(y == first);
    // Run allocates its returned tensors (and the counter sees that: it can fail).
    test::CountAllocations counter;
    CHECK(s.Run({{"x", inputs[0]}})[0].ToFloatVector() == first);
    CHECK(counter.count() > 0);
  }
}

TEST_CASE("runs from four threads with different batch sizes match single-threaded runs", "[runtime][plan]") {
  Session s = Compile(Mlp(), {.threads = 2});
  const int64_t batches[] = {1, 7, 32, 64};
  std::vector<Tensor> inputs;
  std::vector<std::vector<float>> expected;
  for (int i = 0; i < 4; ++i) {
    inputs.push_back(RandomTensor({batches[i], 64}, 100 + i));
    expected.push_back(s.Run({{"x", inputs[i]}})[0].ToFloatVector());
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        const int i = (t + round) % 4;  // every thread runs every batch size, interleaved
        if (s.Run({{"x", inputs[i]}})[0].ToFloatVector() != expected[i]) ++mismatches[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}

TEST_CASE("a changed parameter is re-prepared (re-packed) before the next run", "[runtime][plan]") {
  graph::GraphBuilder b("param");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 8}));
  b.Output(b.Op("MatMul", {x, b.Weight("w", RandomTensor({8, 5}, 1))}), "y");
  runtime::ExecutorOptions options;
  options.parameters = {"w"};
  runtime::Executor executor(b.Build(), options);
  const Tensor xv = RandomTensor({3, 8}, 2);
  const std::vector<Tensor> inputs = {xv};
  auto reference = [&](const Tensor& w) {
    std::vector<float> y(15, 0.0f);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 5; ++j)
        for (int k = 0; k < 8; ++k) y[i * 5 + j] += xv.data<float>()[i * 8 + k] * w.data<float>()[k * 5 + j];
    return y;
  };
  auto plan = executor.PlanFor(inputs);
  const auto before = executor.Run(*plan, inputs)[0].ToFloatVector();
  CHECK_THAT(before, Catch::Approx(reference(executor.graph().initializers.at("w"))).epsilon(1e-5));
  const Tensor w2 = RandomTensor({8, 5}, 3);
  executor.SetParameter("w", w2);
  const auto after = executor.Run(*plan, inputs)[0].ToFloatVector();
  CHECK_THAT(after, Catch::Approx(reference(w2)).epsilon(1e-5));
  CHECK(after != before);
  CHECK_THROWS_WITH(executor.SetParameter("w", RandomTensor({5, 8}, 4)), Catch::Contains("parameter 'w' is f32[8,5]"));
  CHECK_THROWS_WITH(executor.SetParameter("x", w2), Catch::Contains("'x' is not a parameter"));
}

TEST_CASE("elementwise steps run in place on dying intermediates, never on inputs", "[runtime][plan]") {
  graph::GraphBuilder b("chain");
  auto x = b.Input("x", DType::kF32, Shape({4, 16}));
  auto h = b.Op("Relu", {x});                       // x is the caller's: must not be written
  h = b.Op("Sigmoid", {h});                         // in place on Relu's output
  h = b.Op("Add", {h, b.Weight("bias", RandomTensor({16}, 1))});  // in place
  b.Output(b.Op("Tanh", {h}), "y");                 // in place: the whole chain lives in y
  runtime::Executor executor(b.Build(), {});
  const Tensor xv = RandomTensor({4, 16}, 2);
  const std::vector<float> x_before = xv.ToFloatVector();
  const std::vector<Tensor> inputs = {xv};
  auto plan = executor.PlanFor(inputs);
  REQUIRE(plan->steps.size() == 4);
  const int relu_out = plan->args[1];
  CHECK(plan->slots[relu_out].place == runtime::Plan::Place::kOutput);  // written straight into y
  CHECK(plan->arena_bytes - plan->buffers_offset == 0);                // no intermediate buffer at all
  const auto y = executor.Run(*plan, inputs)[0].ToFloatVector();
  CHECK(xv.ToFloatVector() == x_before);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const float r = std::max(x_before[i], 0.0f);
    const float s = 1 / (1 + std::exp(-r)) + executor.graph().initializers.at("bias").data<float>()[i % 16];
    CHECK(y[i] == Approx(std::tanh(s)).epsilon(1e-5));
  }
}

TEST_CASE("the arena planner never overlaps live buffers and reuses dead ones", "[runtime][plan]") {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<runtime::BufferLifetime> buffers;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const int first = static_cast<int>(rng() % 30);
      buffers.push_back({static_cast<int64_t>(rng() % 5000), first, first + static_cast<int>(rng() % 10)});
    }
    const runtime::ArenaLayout layout = runtime::PlanArena(buffers);
    int64_t peak = 0;
    for (int step = 0; step < 40; ++step) {
      int64_t live = 0;
      for (const auto& b : buffers)
        if (b.first <= step && step <= b.last) live += (b.bytes + 63) / 64 * 64;
      peak = std::max(peak, live);
    }
    CHECK(layout.bytes >= peak);
    for (int i = 0; i < n; ++i) {
      CHECK(layout.offsets[i] % 64 == 0);
      CHECK(layout.offsets[i] + buffers[i].bytes <= layout.bytes);
      for (int j = 0; j < i; ++j) {
        const bool alive_together = buffers[i].first <= buffers[j].last && buffers[j].first <= buffers[i].last;
        const bool overlap = layout.offsets[i] < layout.offsets[j] + buffers[j].bytes &&
                             layout.offsets[j] < layout.offsets[i] + buffers[i].bytes;
        if (alive_together && buffers[i].bytes && buffers[j].bytes) CHECK_FALSE(overlap);
      }
    }
  }
  // A chain: each buffer dies as the next is made, so two slots suffice however long it is.
  std::vector<runtime::BufferLifetime> chain;
  for (int i = 0; i < 100; ++i) chain.push_back({4096, i, i + 1});
  CHECK(runtime::PlanArena(chain).bytes == 2 * 4096);
}

TEST_CASE("plans are cached per input shape and bounded in number", "[runtime][plan]") {
  runtime::ExecutorOptions options;
  options.max_plans = 3;
  runtime::Executor executor(Mlp(), options);
  std::vector<std::vector<Tensor>> inputs;
  for (int64_t batch = 1; batch <= 5; ++batch) inputs.push_back({RandomTensor({batch, 64}, 9)});
  const auto p1 = executor.PlanFor(inputs[0]);
  CHECK(executor.CachedPlan(inputs[0]) == p1);
  CHECK(executor.PlanFor(inputs[0]) == p1);
  for (int i = 1; i < 5; ++i) executor.PlanFor(inputs[i]);
  CHECK(executor.CachedPlan(inputs[0]) == nullptr);  // least recently used, dropped
  CHECK(executor.CachedPlan(inputs[4]) != nullptr);
  CHECK(executor.PlanFor(inputs[0])->outputs[0].shape == std::vector<int64_t>{1, 10});
}

TEST_CASE("kernel scratch counts against the memory limit, and arenas are reused within it", "[runtime][plan]") {
  // Gemm with a transposed B fed at run time packs B (512 x 512 floats = 1 MiB) into scratch.
  graph::GraphBuilder b("scratch");
  auto a = b.Input("a", DType::kF32, Shape({4, 512}));
  auto w = b.Input("w", DType::kF32, Shape({512, 512}));
  b.Output(b.Op("Gemm", {a, w}, {{"transB", int64_t{1}}}, "fc"), "y");
  const graph::Graph g = b.Build();
  const std::vector<Tensor> inputs = {RandomTensor({4, 512}, 1), RandomTensor({512, 512}, 2)};
  Session small = Compile(g, {.threads = 1, .memory_limit_bytes = 512 << 10});
  CHECK_THROWS_WITH(small.Run({{"a", inputs[0]}, {"w", inputs[1]}}),
                    Catch::Contains("node 'fc' (Gemm): needs") && Catch::Contains("bytes of scratch") &&
                        Catch::Contains("memory limit of 524288 bytes"));
  // Enough for one run at a time: a hundred runs in a row reuse the arena and never add up.
  Session enough = Compile(g, {.threads = 1, .memory_limit_bytes = 2 << 20});
  const auto first = enough.Run({{"a", inputs[0]}, {"w", inputs[1]}})[0].ToFloatVector();
  for (int i = 0; i < 100; ++i) REQUIRE(enough.Run({{"a", inputs[0]}, {"w", inputs[1]}})[0].ToFloatVector() == first);
}

TEST_CASE("FusedAttention's scratch counts against the memory limit", "[runtime][plan][kernel:FusedAttention]") {
  // 4096 keys: each thread's scores for a block of 32 query rows take 32 x 4096 floats = 512 KiB.
  graph::GraphBuilder b("attention_scratch");
  auto q = b.Input("q", DType::kF32, Shape({1, 64, 8}));
  auto kt = b.Input("kt", DType::kF32, Shape({1, 8, 4096}));
  auto v = b.Input("v", DType::kF32, Shape({1, 4096, 8}));
  b.Output(b.Op("FusedAttention", {q, kt, v}, {{"scale", 0.35f}}, "attn"), "y");
  const graph::Graph g = b.Build();
  const std::vector<Tensor> in = {RandomTensor({1, 64, 8}, 1), RandomTensor({1, 8, 4096}, 2), RandomTensor({1, 4096, 8}, 3)};
  const std::vector<NamedTensor> named = {{"q", in[0]}, {"kt", in[1]}, {"v", in[2]}};
  Session small = Compile(g, {.threads = 1, .memory_limit_bytes = 256 << 10});
  CHECK_THROWS_WITH(small.Run(named), Catch::Contains("node 'attn' (FusedAttention): needs") &&
                                         Catch::Contains("bytes of scratch") && Catch::Contains("memory limit of 262144 bytes"));
  // Within the limit, the plan's scratch gives the numbers of per-thread buffers (a direct call).
  kernels::AttentionShape shape{.batch = 1, .rows = 64, .depth = 8, .cols = 4096, .depth_v = 8, .scale = 0.35f};
  CHECK(kernels::AttentionWorkspaceBytes(shape, 2) >= 2 * 32 * 4096 * sizeof(float));
  std::vector<float> direct(64 * 8);
  kernels::AttentionF32(shape, in[0].data<float>(), in[1].data<float>(), in[2].data<float>(), direct.data());
  for (int threads : {1, 2}) {
    Session enough = Compile(g, {.threads = threads, .memory_limit_bytes = 8 << 20});
    CHECK(enough.Run(named)[0].ToFloatVector() == direct);
  }
}

TEST_CASE("RunInto checks the caller's output buffers", "[runtime][plan]") {
  Session s = Compile(Mlp());
  const std::vector<Tensor> inputs = {RandomTensor({2, 64}, 1)};
  CHECK(s.OutputShapes(inputs) == std::vector<std::vector<int64_t>>{{2, 10}});
  std::vector<float> buf(20);
  std::vector<Tensor> wrong_shape = {Tensor::View(buf.data(), {20})};
  CHECK_THROWS_WITH(s.RunInto(inputs, wrong_shape), Catch::Contains("output buffer for 'y' is f32[20]; this run makes f32[2,10]"));
  std::vector<Tensor> read_only = {Tensor::View(static_cast<const float*>(buf.data()), {2, 10})};
  CHECK_THROWS_WITH(s.RunInto(inputs, read_only), Catch::Contains("read-only"));
  std::vector<Tensor> none;
  CHECK_THROWS_WITH(s.RunInto(inputs, none), Catch::Contains("expected 1 output buffers, got 0"));
  // An output over the caller's own input would be overwritten while still being read.
  std::vector<float> shared(2 * 64);
  const std::vector<Tensor> in_place = {Tensor::View(static_cast<const float*>(shared.data()), {2, 64})};
  std::vector<Tensor> over_input = {Tensor::View(shared.data() + 8, {2, 10})};
  CHECK_THROWS_WITH(s.RunInto(in_place, over_input), Catch::Contains("output buffer for 'y' overlaps input 'x'"));
  std::vector<Tensor> ok = {Tensor::View(buf.data(), {2, 10})};
  s.RunInto(inputs, ok);
  CHECK(buf == s.Run({{"x", inputs[0]}})[0].ToFloatVector());
}

TEST_CASE("a weight used only packed is held once: its unpacked bytes are released", "[runtime][plan]") {
  runtime::Executor executor(Mlp(), {});
  const std::vector<Tensor> batch4 = {RandomTensor({4, 64}, 1)}, batch9 = {RandomTensor({9, 64}, 2)};
  Session reference = Compile(Mlp());
  CHECK(executor.graph().initializers.at("w1").defined());
  const auto y4 = executor.Run(*executor.PlanFor(batch4), batch4)[0].ToFloatVector();
  for (const char* packed : {"w1", "w2", "w3"}) CHECK_FALSE(executor.graph().initializers.at(packed).defined());
  for (const char* raw : {"b1", "b2", "b3"}) CHECK(executor.graph().initializers.at(raw).defined());  // read as is
  // Another batch size makes another plan, from the packed forms already made.
  const auto y9 = executor.Run(*executor.PlanFor(batch9), batch9)[0].ToFloatVector();
  CHECK(y4 == reference.Run({{"x", batch4[0]}})[0].ToFloatVector());
  CHECK(y9 == reference.Run({{"x", batch9[0]}})[0].ToFloatVector());
  // A parameter is never released: it may change, and its packed form be re-made from it.
  runtime::ExecutorOptions trained;
  trained.parameters = {"w1"};
  runtime::Executor training(Mlp(), trained);
  training.Run(*training.PlanFor(batch4), batch4);
  CHECK(training.graph().initializers.at("w1").defined());
  CHECK_FALSE(training.graph().initializers.at("w2").defined());
}

TEST_CASE("a shape fed at run time is part of the plan's key, not only its length", "[runtime][plan]") {
  graph::GraphBuilder b("reshape");
  auto x = b.Input("x", DType::kF32, Shape({6}));
  auto shape = b.Input("shape", DType::kI64, Shape({2}));
  b.Output(b.Op("Relu", {b.Op("Reshape", {x, shape})}), "y");
  Session s = Compile(b.Build());
  const Tensor xv = RandomTensor({6}, 1);
  const std::vector<int64_t> two_by_three = {2, -1}, three_by_two = {3, -1};
  auto run = [&](const std::vector<int64_t>& spec) {
    return s.Run({{"x", xv}, {"shape", Tensor::View(spec.data(), {2})}})[0].shape();
  };
  CHECK(run(two_by_three) == std::vector<int64_t>{2, 3});
  CHECK(run(three_by_two) == std::vector<int64_t>{3, 2});  // same input shapes, another plan
  CHECK(run(two_by_three) == std::vector<int64_t>{2, 3});
}

namespace {

// y1 = Transpose(Relu(x)) makes an intermediate as large as x (Relu cannot write over the caller's
// x, nor Transpose over its input); y2 = Relu(z) only an output as large as z.
graph::Graph TwoSizes() {
  graph::GraphBuilder b("two_sizes");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("n"), 1}));
  auto z = b.Input("z", DType::kF32, Shape({Dim::Symbol("m"), 1}));
  b.Output(b.Op("Transpose", {b.Op("Relu", {x})}), "y1");
  b.Output(b.Op("Relu", {z}), "y2");
  return b.Build();
}

}  // namespace

TEST_CASE("idle arenas give way before a run is refused, and never outlive the plans that need them",
          "[runtime][plan]") {
  runtime::ExecutorOptions options;
  options.memory_limit_bytes = 200'000;
  options.max_idle_arenas = 4;
  runtime::Executor executor(TwoSizes(), options);
  auto run = [&](int64_t n, int64_t m) {
    const std::vector<Tensor> inputs = {RandomTensor({n, 1}, 1), RandomTensor({m, 1}, 2)};
    return executor.Run(*executor.PlanFor(inputs), inputs);
  };
  run(12'000, 1);  // leaves an idle arena of ~48 kB
  run(12'500, 1);  // and one of ~50 kB: ~98 kB held between runs
  CHECK(executor.held_bytes() > 96'000);
  // 120 kB of outputs: fits once the idle arena this run does not use is given back.
  CHECK(run(100, 30'000)[1].shape() == std::vector<int64_t>{30'000, 1});
  CHECK(executor.held_bytes() < 60'000);

  // Many distinct sizes one after another: what stays held is bounded by the cached plans' needs,
  // not by how many sizes went by.
  options.memory_limit_bytes = int64_t{1} << 30;
  options.max_plans = 2;
  options.max_idle_arenas = 1;
  runtime::Executor churn(TwoSizes(), options);
  for (int64_t n = 20'000; n > 1'000; n -= 1'000) {
    const std::vector<Tensor> inputs = {RandomTensor({n, 1}, 3), RandomTensor({1, 1}, 4)};
    churn.Run(*churn.PlanFor(inputs), inputs);
  }
  CHECK(churn.held_bytes() <= 3'000 * 4 + 4'096);  // one arena for the largest cached plan (n = 3000)
}

TEST_CASE("memory-limit errors say whether the run can never fit or only not now", "[runtime][plan]") {
  runtime::ExecutorOptions options;
  options.memory_limit_bytes = 100'000;
  runtime::Executor executor(TwoSizes(), options);
  const std::vector<Tensor> too_big = {RandomTensor({20'000, 1}, 1), RandomTensor({1, 1}, 2)};
  try {
    executor.PlanFor(too_big);
    FAIL("a run of 160 kB planned under a 100 kB limit");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kMemoryLimit);
    CHECK_THAT(e.what(), Catch::Contains("exceeds the memory limit of 100000 bytes"));
  }
}

TEST_CASE("a shape computed inside the graph is evaluated while planning, and its inputs key the plan",
          "[runtime][plan]") {
  // shape = Identity(Transpose(Identity(k))): computed from the graph input k, not k itself.
  graph::GraphBuilder b("computed_shape");
  auto x = b.Input("x", DType::kF32, Shape({6}));
  auto k = b.Input("k", DType::kI64, Shape({2}));
  auto shape = b.Op("Identity", {b.Op("Transpose", {b.Op("Identity", {k})})});
  b.Output(b.Op("Relu", {b.Op("Reshape", {x, shape})}), "y");
  Session s = Compile(b.Build());
  const Tensor xv = RandomTensor({6}, 1);
  auto run = [&](std::vector<int64_t> spec) {
    return s.Run({{"x", xv}, {"k", Tensor::FromVector(spec, {2})}})[0];
  };
  CHECK(run({2, 3}).shape() == std::vector<int64_t>{2, 3});
  CHECK(run({3, -1}).shape() == std::vector<int64_t>{3, 2});  // same input shapes: another plan
  const Tensor y = run({1, 6});
  CHECK(y.shape() == std::vector<int64_t>{1, 6});
  for (int i = 0; i < 6; ++i) CHECK(y.data<float>()[i] == std::max(xv.data<float>()[i], 0.0f));
  CHECK_THROWS_WITH(run({4, -1}), Catch::Contains("node 'Reshape") && Catch::Contains("cannot infer the -1"));
}

TEST_CASE("a constant prepared together with a parameter is kept, so the parameter can be re-prepared",
          "[runtime][plan]") {
  // Gemm with a constant B (packed: released) and C scaled by beta together with ... C alone is
  // prepared from C; so make the scaled bias a parameter and B a constant: B is released, C kept.
  graph::GraphBuilder b("mixed");
  auto x = b.Input("x", DType::kF32, Shape({2, 4}));
  b.Output(b.Op("Gemm", {x, b.Weight("w", RandomTensor({4, 3}, 1)), b.Weight("c", RandomTensor({3}, 2))},
                {{"beta", 0.5f}}),
           "y");
  runtime::ExecutorOptions options;
  options.parameters = {"c"};
  runtime::Executor executor(b.Build(), options);
  const std::vector<Tensor> inputs = {RandomTensor({2, 4}, 3)};
  executor.Run(*executor.PlanFor(inputs), inputs);
  CHECK_FALSE(executor.graph().initializers.at("w").defined());  // packed, a constant: released
  CHECK(executor.graph().initializers.at("c").defined());         // a parameter: kept
  executor.SetParameter("c", RandomTensor({3}, 4));               // re-scales from the new c
  CHECK(executor.Run(*executor.PlanFor(inputs), inputs)[0].shape() == std::vector<int64_t>{2, 3});
}

TEST_CASE("a value read only for its shape dies at its last reader of data", "[runtime][plan]") {
  // h's data is last read by Neg (which may then write over it); SumTo, much later, reads only
  // its shape. Without the rule h would stay live next to a and e.
  graph::GraphBuilder b("shape_only");
  auto x = b.Input("x", DType::kF32, Shape({1000}));
  auto h = b.Op("Exp", {x});
  auto a = b.Op("Neg", {h});
  auto e = b.Op("Expand", {a, b.Weight("shape", Tensor::FromVector(std::vector<int64_t>{2, 1000}, {2}))});
  b.Output(b.Op("SumTo", {e, h}), "y");
  runtime::Executor executor(b.Build(), {});
  const Tensor xv = RandomTensor({1000}, 3);
  const std::vector<Tensor> inputs = {xv};
  auto plan = executor.PlanFor(inputs);
  CHECK(plan->arena_bytes - plan->buffers_offset < 16000);  // h (and a, in its place) + e: 12000 and padding
  const auto y = executor.Run(*plan, inputs)[0].ToFloatVector();
  for (std::size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(-2 * std::exp(xv.data<float>()[i])).epsilon(1e-6));
}

TEST_CASE("an optimizer update may be bound over its own inputs, and nothing else over an input", "[runtime][plan]") {
  // x1's update reads x1, g1 and v1 alone; x2 is read by its update and by a Relu too.
  graph::GraphBuilder b("update");
  auto x1 = b.Input("x1", DType::kF32, Shape({300}));
  auto g1 = b.Input("g1", DType::kF32, Shape({300}));
  auto v1 = b.Input("v1", DType::kF32, Shape({300}));
  auto x2 = b.Input("x2", DType::kF32, Shape({300}));
  auto g2 = b.Input("g2", DType::kF32, Shape({300}));
  auto lr = b.Input("lr", DType::kF32, Shape(std::vector<Dim>{}));
  auto step = b.Input("step", DType::kI64, Shape(std::vector<Dim>{}));
  const std::map<std::string, graph::Attribute> momentum = {{"momentum", 0.9f}};
  const auto new1 = b.OpN("SGD", {x1, g1, lr, step, v1}, 2, momentum);
  b.Output(new1[0], "new_x1");
  b.Output(new1[1], "new_v1");
  b.Output(b.Op("SGD", {x2, g2, lr, step}), "new_x2");
  b.Output(b.Op("Relu", {x2}), "relu_x2");
  runtime::Executor executor(b.Build(), {});

  auto fresh = [] {
    std::vector<Tensor> in;
    for (uint32_t seed = 1; seed <= 5; ++seed) in.push_back(RandomTensor({300}, seed));
    in.push_back(Tensor::FromVector(std::vector<float>{0.1f}, {}));
    Tensor s = Tensor::Zeros(DType::kI64, {});
    s.data<int64_t>()[0] = 2;  // past step 1, so the velocity is read
    in.push_back(s);
    return in;
  };
  const std::vector<Tensor> in = fresh();
  const auto plan = executor.PlanFor(in);
  const std::vector<Tensor> expected = executor.Run(*plan, in);

  // x1 and v1 updated over themselves: the same bits as into separate buffers.
  std::vector<Tensor> over = fresh();
  std::vector<Tensor> out = {over[0], over[2], Tensor::Zeros(DType::kF32, {300}), Tensor::Zeros(DType::kF32, {300})};
  executor.Run(*plan, over, out);
  for (std::size_t o = 0; o < 3; ++o) CHECK(out[o].ToFloatVector() == expected[o].ToFloatVector());
  CHECK(over[0].ToFloatVector() == expected[0].ToFloatVector());
  CHECK(over[2].ToFloatVector() == expected[1].ToFloatVector());

  // x2 is read by the Relu too, which may run after the update: refused.
  std::vector<Tensor> again = fresh();
  out = {Tensor::Zeros(DType::kF32, {300}), Tensor::Zeros(DType::kF32, {300}), again[3], Tensor::Zeros(DType::kF32, {300})};
  CHECK_THROWS_WITH(executor.Run(*plan, again, out), Catch::Contains("output buffer for 'new_x2' overlaps input 'x2'"));
  // Only the input's exact buffer, not one that partly overlaps it.
  std::vector<float> shifted(301);
  again[0] = Tensor::View(shifted.data() + 1, {300});
  out = {Tensor::View(shifted.data(), {300}), Tensor::Zeros(DType::kF32, {300}), Tensor::Zeros(DType::kF32, {300}),
         Tensor::Zeros(DType::kF32, {300})};
  CHECK_THROWS_WITH(executor.Run(*plan, again, out), Catch::Contains("output buffer for 'new_x1' overlaps input 'x1'"));
  // The Relu is no update: its output never goes over an input.
  again = fresh();
  out = {Tensor::Zeros(DType::kF32, {300}), Tensor::Zeros(DType::kF32, {300}), Tensor::Zeros(DType::kF32, {300}), again[4]};
  CHECK_THROWS_WITH(executor.Run(*plan, again, out), Catch::Contains("output buffer for 'relu_x2' overlaps input 'g2'"));
}
