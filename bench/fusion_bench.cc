// Fused vs unfused, side by side in one run (opt level 2 vs 1: the same clean-up, with and without
// the fusions):
// - the MLP 784-512-512-10 as PyTorch exports it (MatMul + Add + Relu per layer, Softmax last):
//   fused, each layer is one FusedGemm with bias and ReLU in the GEMM epilogue;
// - an 8-op elementwise chain on 1M floats (x·s + bias, Relu, ·x, - c, Abs, LeakyRelu, + x;
//   a broadcast bias row and scalars), fused into one FusedElementwise, beside one memcpy of the
//   same 4 MiB (the target: the fused chain within 1.3x of it).
// Threads from AXON_THREADS (bench_main.cc), default 1.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "axon/axon.h"
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

constexpr int64_t kRows = 1024, kCols = 1024;  // 1M floats

graph::Graph Chain() {
  graph::GraphBuilder b("chain8");
  const auto x = b.Input("x", DType::kF32, graph::Shape({kRows, kCols}));
  const auto s = b.Weight("s", Tensor::FromVector(std::vector<float>{0.75f}, {}));
  const auto c = b.Weight("c", Tensor::FromVector(std::vector<float>{0.25f}, {}));
  auto v = b.Op("Add", {b.Op("Mul", {x, s}), b.Weight("bias", Filled({kCols}, 0.1f))});
  v = b.Op("Sub", {b.Op("Mul", {b.Op("Relu", {v}), x}), c});
  v = b.Op("LeakyRelu", {b.Op("Abs", {v})}, {{"alpha", 0.1f}});
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
  return true;
}();

}  // namespace
}  // namespace axon::bench
