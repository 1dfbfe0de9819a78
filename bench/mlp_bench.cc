// End-to-end latency of Session::Run on the MLP 784-512-512-10 (batch 32 by default), the
// shape DESIGN.md compares with ONNX Runtime: Gemm (transB, PyTorch Linear layout) + Relu,
// twice, then Gemm + Softmax. Threads from AXON_THREADS (bench_main.cc).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>

#include "axon/axon.h"
#include "graph/builder.h"
#include "runtime/session_factory.h"

namespace axon::bench {
namespace {

Tensor Weights(int64_t rows, int64_t cols, float scale) {
  Tensor t = Tensor::Zeros(DType::kF32, {rows, cols});
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = scale * std::sin(0.01f * static_cast<float>(i));
  return t;
}

Session MlpSession(int threads) {
  graph::GraphBuilder b("mlp_784_512_512_10");
  std::string h = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 784}));
  const int64_t widths[] = {784, 512, 512, 10};
  for (int layer = 0; layer < 3; ++layer) {
    const std::string name = "fc" + std::to_string(layer + 1);
    const auto w = b.Weight(name + ".weight", Weights(widths[layer + 1], widths[layer], 0.05f));
    const auto bias = b.Weight(name + ".bias", Weights(1, widths[layer + 1], 0.01f).Reshaped({widths[layer + 1]}));
    h = b.Op("Gemm", {h, w, bias}, {{"transB", int64_t{1}}}, name);
    h = b.Op(layer < 2 ? "Relu" : "Softmax", {h});
  }
  b.Output(h, "probs");
  graph::Model m;
  m.graph = b.Build();
  return detail::SessionFactory::FromModel(std::move(m), {.threads = threads}, "mlp");
}

void BM_MlpRun(benchmark::State& state) {
  const char* env = std::getenv("AXON_THREADS");
  Session s = MlpSession(env ? std::max(1, std::atoi(env)) : 1);
  const int64_t batch = state.range(0);
  std::vector<float> x(static_cast<std::size_t>(batch * 784));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.001f * static_cast<float>(i));
  for (auto _ : state) {
    auto out = s.Run({{"x", Tensor::View(x.data(), {batch, 784})}});
    benchmark::DoNotOptimize(out[0].data<float>());
  }
  const double flops = 2.0 * static_cast<double>(batch) * (784 * 512 + 512 * 512 + 512 * 10);
  state.counters["GFLOPS"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpRun)->Name("mlp_784_512_512_10/run")->Arg(1)->Arg(32)->Arg(64)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace axon::bench
