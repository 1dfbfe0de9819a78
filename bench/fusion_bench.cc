// Fused vs unfused, side by side in one run (opt level 2 vs 1: the same clean-up, with and without
// the fusions):
// - the MLP 784-512-512-10 as PyTorch exports it (MatMul + Add + Relu per layer, Softmax last):
//   fused, each layer is one FusedGemm with bias and ReLU in the GEMM epilogue;
// - an 8-op elementwise chain on 1M floats (x·s + bias, Relu, ·x, - c, Abs, LeakyRelu, + x;
//   a broadcast bias row and scalars), fused into one FusedElementwise, beside one memcpy of the
//   same 4 MiB (the target: the fused chain within 1.3x of it). fusion/chain8_1M/ratio
//   times the fused chain and both copies of its data (glibc's memcpy and CopyAnchor, a plain
//   vector copy loop, which glibc's 4 KiB-aliasing artefact cannot slow: issue 11) call by call
//   in turn, in the calling thread's CPU time, and reports the medians and their ratios: on a
//   loaded machine, separate runs a few seconds apart are not comparable. The bench's chain has
//   no transcendental op; fusion/chain8_transcendental_1M/ratio swaps in Sigmoid, Tanh and Erf.
// Threads from AXON_THREADS (bench_main.cc), default 1.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "axon/axon.h"
#include "bench/cpu_time.h"
#include "bench/kernel_bench_copy.h"
#include "graph/builder.h"
#include "runtime/session_factory.h"

namespace axon::bench {
namespace {

int Threads() {
  const char* env = std::getenv("AXON_THREADS");
  return env ? std::max(1, std::atoi(env)) : 1;
}

Tensor Filled(std::vector<int64_t> shape, float scale) {
  Tensor t = Tensor::Zeros(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = scale * std::sin(0.01f * static_cast<float>(i));
  return t;
}

Session Compile(graph::Graph g, int opt_level) {
  graph::Model m;
  m.graph = std::move(g);
  return detail::SessionFactory::FromModel(std::move(m), {.threads = Threads(), .opt_level = opt_level}, "bench");
}

graph::Graph Mlp() {
  constexpr int64_t widths[] = {784, 512, 512, 10};
  graph::GraphBuilder b("mlp_784_512_512_10");
  std::string h = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 784}));
  for (int layer = 0; layer < 3; ++layer) {
    const char* weight_names[] = {"w0", "w1", "w2"};
    const char* bias_names[] = {"b0", "b1", "b2"};
    const auto w = b.Weight(weight_names[layer], Filled({widths[layer], widths[layer + 1]}, 0.05f));
    const auto bias = b.Weight(bias_names[layer], Filled({widths[layer + 1]}, 0.01f));
    h = b.Op("Add", {b.Op("MatMul", {h, w}), bias});
    h = b.Op(layer < 2 ? "Relu" : "Softmax", {h});
  }
  b.Output(h, "probs");
  return b.Build();
}

// 1M floats; AXON_CHAIN_ROWS=8 keeps the chain's data in L1, to see the fused kernel's compute
// alone (the rows then keep their "1M" names).
const int64_t kRows = std::getenv("AXON_CHAIN_ROWS") ? std::max(1, std::atoi(std::getenv("AXON_CHAIN_ROWS"))) : 1024;
constexpr int64_t kCols = 1024;

// transcendental: the same shape of chain with Sigmoid, Tanh and Erf for Relu, Abs and LeakyRelu.
graph::Graph Chain(bool transcendental = false) {
  graph::GraphBuilder b("chain8");
  const auto x = b.Input("x", DType::kF32, graph::Shape({kRows, kCols}));
  const auto s = b.Weight("s", Tensor::FromVector(std::vector<float>{0.75f}, {}));
  const auto c = b.Weight("c", Tensor::FromVector(std::vector<float>{0.25f}, {}));
  auto v = b.Op("Add", {b.Op("Mul", {x, s}), b.Weight("bias", Filled({kCols}, 0.1f))});
  v = b.Op("Sub", {b.Op("Mul", {b.Op(transcendental ? "Sigmoid" : "Relu", {v}), x}), c});
  v = transcendental ? b.Op("Erf", {b.Op("Tanh", {v})}) : b.Op("LeakyRelu", {b.Op("Abs", {v})}, {{"alpha", 0.1f}});
  b.Output(b.Op("Add", {v, x}), "y");
  return b.Build();
}

void RunSession(benchmark::State& state, Session& s, const std::vector<int64_t>& in_shape,
                const std::vector<int64_t>& out_shape) {
  const Tensor x = Filled(in_shape, 1.0f);
  Tensor y = Tensor::Zeros(DType::kF32, out_shape);
  const std::vector<Tensor> inputs{x};
  std::vector<Tensor> outputs{y};
  for (auto _ : state) {
    s.RunInto(inputs, outputs);
    benchmark::DoNotOptimize(y.data<float>());
  }
}

void BM_Mlp(benchmark::State& state) {
  const int64_t batch = state.range(0);
  Session s = Compile(Mlp(), static_cast<int>(state.range(1)));
  RunSession(state, s, {batch, 784}, {batch, 10});
  const double flops = 2.0 * static_cast<double>(batch) * (784 * 512 + 512 * 512 + 512 * 10);
  state.counters["GFLOPS"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void SetBytes(benchmark::State& state) {
  // Read once, written once: what one memcpy of the data moves.
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 2 * kRows * kCols * 4);
}

void BM_Chain(benchmark::State& state) {
  Session s = Compile(Chain(), static_cast<int>(state.range(0)));
  RunSession(state, s, {kRows, kCols}, {kRows, kCols});
  SetBytes(state);
}

void BM_Memcpy(benchmark::State& state) {
  const Tensor x = Filled({kRows, kCols}, 1.0f);
  Tensor y = Tensor::Zeros(DType::kF32, {kRows, kCols});
  for (auto _ : state) {
    std::memcpy(y.data<float>(), x.data<float>(), x.nbytes());
    benchmark::DoNotOptimize(y.data<float>());
  }
  SetBytes(state);
}

// Call by call in turn: the chain, memcpy, the copy loop. Meaningful at AXON_THREADS=1 (the
// chain's work on the calling thread).
void BM_ChainRatio(benchmark::State& state) {
  Session s = Compile(Chain(state.range(0) != 0), 2);
  const Tensor x = Filled({kRows, kCols}, 1.0f);
  Tensor y = Tensor::Zeros(DType::kF32, {kRows, kCols});
  const std::vector<Tensor> inputs{x};
  std::vector<Tensor> outputs{y};
  std::vector<double> chain, memcpy_, copy;
  auto timed = [](std::vector<double>& times, const auto& fn) {
    const double t0 = ThreadCpuSeconds();
    fn();
    times.push_back(ThreadCpuSeconds() - t0);
  };
  for (auto _ : state) {
    timed(chain, [&] { s.RunInto(inputs, outputs); });
    timed(memcpy_, [&] { std::memcpy(y.data<float>(), x.data<float>(), x.nbytes()); });
    timed(copy, [&] { CopyAnchor(x.data<float>(), y.data<float>(), x.nbytes()); });
    benchmark::DoNotOptimize(y.data<float>());
  }
  const double c = MedianSeconds(chain), m = MedianSeconds(memcpy_), k = MedianSeconds(copy);
  state.counters["chain_us"] = 1e6 * c;
  state.counters["memcpy_us"] = 1e6 * m;
  state.counters["copyloop_us"] = 1e6 * k;
  state.counters["chain/memcpy"] = c / m;
  state.counters["chain/copyloop"] = c / k;
}

const bool registered = [] {
  auto add = [](const char* name, void (*fn)(benchmark::State&)) {
    return benchmark::RegisterBenchmark(name, fn)->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
  for (int64_t batch : {1, 32, 256}) {
    add("fusion/mlp_784_512_512_10/unfused", BM_Mlp)->Args({batch, 1});
    add("fusion/mlp_784_512_512_10/fused", BM_Mlp)->Args({batch, 2});
  }
  add("fusion/chain8_1M/unfused", BM_Chain)->Arg(1);
  add("fusion/chain8_1M/fused", BM_Chain)->Arg(2);
  add("fusion/chain8_1M/memcpy", BM_Memcpy);
  add("fusion/chain8_1M/ratio", BM_ChainRatio)->Arg(0)->MinTime(2.0);
  add("fusion/chain8_transcendental_1M/ratio", BM_ChainRatio)->Arg(1)->MinTime(2.0);
  return true;
}();

}  // namespace
}  // namespace axon::bench
