// Throughput of the optimizer updates on the parameter sizes of the models Axon trains (the
// issue's 784-512-512-10 MLP, a ResNet-18 conv). The update is memory-bound: bytes/s against a
// copy of the same traffic (CopyAnchor) says how close to the machine's bandwidth one fused pass
// gets.
// Run: axon_kernel_bench --benchmark_filter='sgd|adam'.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "bench/kernel_bench_copy.h"
#include "runtime/kernels/optimizer.h"

namespace axon::bench {
namespace {

struct ParamShape {
  const char* name;
  int64_t n;
};
const ParamShape kParamShapes[] = {
    {"mlp_fc2_512x512", 512 * 512},
    {"mlp_fc1_784x512", 784 * 512},
    {"resnet18_layer4_512x512x3x3", 512 * 512 * 9},
};

std::vector<float> Data(int64_t n, float scale) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = scale * std::sin(0.37f * static_cast<float>(i));
  return v;
}

// In place, as a training step runs it: x, g, v read; x, v written (20 bytes per element).
void BM_SgdMomentum(benchmark::State& state, int64_t n) {
  std::vector<float> x = Data(n, 1), g = Data(n, 0.01f), v = Data(n, 0.001f);
  const kernels::SgdConfig c{.momentum = 0.9, .dampening = 0, .weight_decay = 1e-4, .nesterov = false};
  int64_t step = 2;
  for (auto _ : state) {
    kernels::SgdF32(c, 1e-3, step++, x.data(), g.data(), v.data(), x.data(), v.data(), n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * 20);
}

// x, g, m, v read; x, m, v written (28 bytes per element).
void BM_AdamW(benchmark::State& state, int64_t n) {
  std::vector<float> x = Data(n, 1), g = Data(n, 0.01f), m = Data(n, 0.001f), v = Data(n, 1e-6f);
  for (float& e : v) e = std::fabs(e);
  const kernels::AdamConfig c{.beta1 = 0.9, .beta2 = 0.999, .epsilon = 1e-8, .weight_decay = 0.01, .decoupled = true};
  int64_t step = 1;
  for (auto _ : state) {
    kernels::AdamF32(c, 1e-3, step++, x.data(), g.data(), m.data(), v.data(), x.data(), m.data(), v.data(), n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * 28);
}

// The same bytes copied (half read, half written), the bandwidth anchor.
void BM_Copy(benchmark::State& state, int64_t bytes) {
  std::vector<char> a(static_cast<std::size_t>(bytes / 2), 1), b(a.size());
  for (auto _ : state) {
    CopyAnchor(a.data(), b.data(), a.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}

const bool registered = [] {
  for (const ParamShape& s : kParamShapes) {
    benchmark::RegisterBenchmark((std::string("sgd_momentum/") + s.name).c_str(), BM_SgdMomentum, s.n)->UseRealTime();
    benchmark::RegisterBenchmark((std::string("adamw/") + s.name).c_str(), BM_AdamW, s.n)->UseRealTime();
    benchmark::RegisterBenchmark((std::string("copy_adamw_bytes/") + s.name).c_str(), BM_Copy, s.n * 28)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
}  // namespace axon::bench
