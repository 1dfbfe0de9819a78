// End-to-end runs through Session beside the same kernels called bare, so the framework's share
// of the time is visible:
// - the MLP 784-512-512-10 DESIGN.md compares with ONNX Runtime: Gemm (transB, PyTorch Linear
//   layout) + Relu, twice, then Gemm + Softmax;
// - a chain of 500 tiny ops (1x8 MatMul and Relu, alternating), where kernel time is nearly
//   nothing and what is left is the cost per node of the runtime itself.
// Threads from AXON_THREADS (bench_main.cc). bench/compare_framework prints the table.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "axon/axon.h"
#include "graph/builder.h"
#include "runtime/kernels/activation.h"
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/matmul.h"
#include "runtime/kernels/softmax.h"
#include "runtime/executor.h"
#include "runtime/session_factory.h"

#include <tbb/task_arena.h>

namespace axon::bench {
namespace {

int Threads() {
  const char* env = std::getenv("AXON_THREADS");
  return env ? std::max(1, std::atoi(env)) : 1;
}

Tensor Weights(int64_t rows, int64_t cols, float scale) {
  Tensor t = Tensor::Zeros(DType::kF32, {rows, cols});
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = scale * std::sin(0.01f * static_cast<float>(i));
  return t;
}

std::vector<float> Input(int64_t n) {
  std::vector<float> x(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.001f * static_cast<float>(i));
  return x;
}

Session Compile(graph::GraphBuilder& b, int threads = Threads()) {
  graph::Model m;
  m.graph = b.Build();
  return detail::SessionFactory::FromModel(std::move(m), {.threads = threads}, "bench");
}

// ---- MLP 784-512-512-10
constexpr int64_t kWidths[] = {784, 512, 512, 10};

Session MlpSession(int threads = Threads()) {
  graph::GraphBuilder b("mlp_784_512_512_10");
  std::string h = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 784}));
  for (int layer = 0; layer < 3; ++layer) {
    const std::string name = "fc" + std::to_string(layer + 1);
    const auto w = b.Weight(name + ".weight", Weights(kWidths[layer + 1], kWidths[layer], 0.05f));
    const auto bias = b.Weight(name + ".bias", Weights(1, kWidths[layer + 1], 0.01f).Reshaped({kWidths[layer + 1]}));
    h = b.Op("Gemm", {h, w, bias}, {{"transB", int64_t{1}}}, name);
    h = b.Op(layer < 2 ? "Relu" : "Softmax", {h});
  }
  b.Output(h, "probs");
  return Compile(b, threads);
}

void SetMlpFlops(benchmark::State& state, int64_t batch) {
  const double flops = 2.0 * static_cast<double>(batch) * (784 * 512 + 512 * 512 + 512 * 10);
  state.counters["GFLOPS"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MlpRun(benchmark::State& state) {
  Session s = MlpSession();
  const int64_t batch = state.range(0);
  const std::vector<float> x = Input(batch * 784);
  for (auto _ : state) {
    auto out = s.Run({{"x", Tensor::View(x.data(), {batch, 784})}});
    benchmark::DoNotOptimize(out[0].data<float>());
  }
  SetMlpFlops(state, batch);
}

void BM_MlpRunInto(benchmark::State& state) {
  Session s = MlpSession();
  const int64_t batch = state.range(0);
  const std::vector<float> x = Input(batch * 784);
  std::vector<float> y(static_cast<std::size_t>(batch * 10));
  const std::vector<Tensor> inputs = {Tensor::View(x.data(), {batch, 784})};
  std::vector<Tensor> outputs = {Tensor::View(y.data(), {batch, 10})};
  for (auto _ : state) {
    s.RunInto(inputs, outputs);
    benchmark::DoNotOptimize(y.data());
  }
  SetMlpFlops(state, batch);
}

// The kernels the plan binds, called directly on buffers allocated once: packed weights, the
// bias in the GEMM epilogue, ReLU and softmax as separate passes.
void BM_MlpBare(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const std::vector<float> x = Input(batch * 784);
  std::vector<Tensor> w, bias;
  std::vector<std::shared_ptr<const kernels::PackedB>> packed;
  std::vector<std::vector<float>> h;
  for (int layer = 0; layer < 3; ++layer) {
    w.push_back(Weights(kWidths[layer + 1], kWidths[layer], 0.05f));
    bias.push_back(Weights(1, kWidths[layer + 1], 0.01f));
    packed.push_back(kernels::PackedB::Pack(true, kWidths[layer], kWidths[layer + 1], w.back().data<float>(), kWidths[layer]));
    h.emplace_back(static_cast<std::size_t>(batch * kWidths[layer + 1]));
  }
  for (auto _ : state) {
    const float* in = x.data();
    for (int layer = 0; layer < 3; ++layer) {
      kernels::GemmArgs g;
      g.trans_b = true, g.m = batch, g.n = kWidths[layer + 1], g.k = kWidths[layer];
      g.a = in, g.lda = g.k, g.b = w[layer].data<float>(), g.ldb = g.k, g.packed_b = packed[layer].get();
      g.c = h[layer].data(), g.ldc = g.n;
      g.epilogue.bias_kind = kernels::GemmBias::kPerColumn, g.epilogue.bias = bias[layer].data<float>();
      kernels::Gemm(g);
      const int64_t n = batch * g.n;
      if (layer < 2) {
        kernels::Relu(h[layer].data(), h[layer].data(), n);
      } else {
        kernels::SoftmaxF32(h[layer].data(), h[layer].data(), batch, g.n, 1);
      }
      in = h[layer].data();
    }
    benchmark::DoNotOptimize(h[2].data());
  }
  SetMlpFlops(state, batch);
}

// ---- 500-node chain of 1x8 MatMul and Relu
constexpr int kChainNodes = 500;

void SetPerNode(benchmark::State& state) {
  state.counters["per_node"] =
      benchmark::Counter(kChainNodes, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

Session ChainSession() {
  graph::GraphBuilder b("chain");
  std::string h = b.Input("x", DType::kF32, graph::Shape({1, 8}));
  const auto w = b.Weight("w", Weights(8, 8, 0.3f));
  for (int i = 0; i < kChainNodes / 2; ++i) h = b.Op("Relu", {b.Op("MatMul", {h, w})});
  b.Output(h, "y");
  return Compile(b);
}

void BM_ChainRun(benchmark::State& state) {
  Session s = ChainSession();
  const std::vector<float> x = Input(8);
  for (auto _ : state) {
    auto out = s.Run({{"x", Tensor::View(x.data(), {1, 8})}});
    benchmark::DoNotOptimize(out[0].data<float>());
  }
  SetPerNode(state);
}

void BM_ChainRunInto(benchmark::State& state) {
  Session s = ChainSession();
  const std::vector<float> x = Input(8);
  std::vector<float> y(8);
  const std::vector<Tensor> inputs = {Tensor::View(x.data(), {1, 8})};
  std::vector<Tensor> outputs = {Tensor::View(y.data(), {1, 8})};
  for (auto _ : state) {
    s.RunInto(inputs, outputs);
    benchmark::DoNotOptimize(y.data());
  }
  SetPerNode(state);
}

void BM_ChainBare(benchmark::State& state) {
  const Tensor w = Weights(8, 8, 0.3f);
  const auto packed = kernels::PackedB::Pack(false, 8, 8, w.data<float>(), 8);
  const kernels::MatMulLayout layout = kernels::MakeMatMulLayout({1, 8}, {8, 8});
  std::vector<float> a = Input(8), b(8);
  for (auto _ : state) {
    for (int i = 0; i < kChainNodes / 2; ++i) {
      kernels::MatMulF32(layout, a.data(), w.data<float>(), b.data(), packed.get());
      kernels::Relu(b.data(), a.data(), 8);
    }
    benchmark::DoNotOptimize(a.data());
  }
  SetPerNode(state);
}

// ---- Threads: the same run on 1 and 2 threads in one process (bench/compare_threads).
// The MLP is a chain: its second thread can only come from inside the ops (GEMM blocks). The
// branches model (4 Gemm 256x256 + activation branches of one input, summed) is where inter-op
// parallelism can help: it runs at 2 threads with it (the session's default) and without it.
Session BranchesSession(int threads) {
  graph::GraphBuilder b("branches");
  const std::string x = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 256}));
  std::string sum;
  for (int i = 0; i < 4; ++i) {
    const std::string name = "fc" + std::to_string(i);
    const auto w = b.Weight(name + ".weight", Weights(256, 256, 0.05f));
    const auto h = b.Op(i % 2 ? "Tanh" : "Relu", {b.Op("Gemm", {x, w}, {{"transB", int64_t{1}}}, name)});
    sum = sum.empty() ? h : b.Op("Add", {sum, h});
  }
  b.Output(sum, "y");
  return Compile(b, threads);
}

void RunIntoLoop(benchmark::State& state, Session& s, int64_t batch, int64_t in_width, int64_t out_width) {
  const std::vector<float> x = Input(batch * in_width);
  std::vector<float> y(static_cast<std::size_t>(batch * out_width));
  const std::vector<Tensor> inputs = {Tensor::View(x.data(), {batch, in_width})};
  std::vector<Tensor> outputs = {Tensor::View(y.data(), {batch, out_width})};
  for (auto _ : state) {
    s.RunInto(inputs, outputs);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["runs_per_s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MlpThreads(benchmark::State& state) {
  Session s = MlpSession(static_cast<int>(state.range(1)));
  RunIntoLoop(state, s, state.range(0), 784, 10);
}

void BM_BranchesThreads(benchmark::State& state) {
  Session s = BranchesSession(static_cast<int>(state.range(1)));
  RunIntoLoop(state, s, state.range(0), 256, 256);
}

// 2 threads with inter-op parallelism off: what the GEMM's own blocks give alone.
void BM_BranchesIntraOnly(benchmark::State& state) {
  graph::Model m;
  {
    Session s = BranchesSession(1);
    m.graph = detail::SessionFactory::GraphOf(s);
  }
  runtime::ExecutorOptions options;
  runtime::Executor executor(std::move(m.graph), options);
  tbb::task_arena arena(2);
  const int64_t batch = state.range(0);
  const std::vector<float> x = Input(batch * 256);
  std::vector<float> y(static_cast<std::size_t>(batch * 256));
  const std::vector<Tensor> inputs = {Tensor::View(x.data(), {batch, 256})};
  std::vector<Tensor> outputs = {Tensor::View(y.data(), {batch, 256})};
  std::shared_ptr<const runtime::Plan> plan;
  arena.execute([&] { plan = executor.PlanFor(inputs); });
  for (auto _ : state) {
    arena.execute([&] { executor.Run(*plan, inputs, outputs); });
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["runs_per_s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

const bool registered = [] {
  auto add = [](const char* name, void (*fn)(benchmark::State&)) {
    return benchmark::RegisterBenchmark(name, fn)->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
  for (int64_t batch : {1, 32, 64}) {
    add("mlp_784_512_512_10/run", BM_MlpRun)->Arg(batch);
    add("mlp_784_512_512_10/run_into", BM_MlpRunInto)->Arg(batch);
    add("mlp_784_512_512_10/bare_kernels", BM_MlpBare)->Arg(batch);
  }
  add("chain500/run", BM_ChainRun);
  add("chain500/run_into", BM_ChainRunInto);
  add("chain500/bare_kernels", BM_ChainBare);
  for (int64_t threads : {1, 2}) {
    add("threads/mlp_784_512_512_10", BM_MlpThreads)->Args({256, threads});
    add("threads/branches_4x256", BM_BranchesThreads)->Args({64, threads});
  }
  add("threads/branches_4x256_intra_only", BM_BranchesIntraOnly)->Args({64, 2});
  return true;
}();

}  // namespace
}  // namespace axon::bench
