// Throughput of the backward kernels that gradient rules emit (activation gradients, softmax
// gradients, Gather's and pooling's gradients, Conv's weight gradient) on shapes of the models in
// kernel_bench.cc, with a copy of the same bytes as the anchor (CopyAnchor). Run: axon_kernel_bench
// --benchmark_filter=grad
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/kernels/activation_grad.h"
#include "runtime/kernels/conv_grad.h"
#include "runtime/kernels/softmax_grad.h"

namespace axon::bench {
namespace {

std::vector<float> Wave(int64_t n, float phase) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37f * static_cast<float>(i) + phase);
  return v;
}

struct GradFn {
  const char* name;
  void (*fn)(const float*, const float*, float*, int64_t);
};
const GradFn kGradFns[] = {
    {"relu_grad", kernels::ReluGrad},
    {"sigmoid_grad", kernels::SigmoidGrad},
    {"tanh_grad", kernels::TanhGrad},
    {"leakyrelu_grad", [](const float* dy, const float* x, float* dx, int64_t n) { kernels::LeakyReluGrad(dy, x, dx, n, 0.01f); }},
};
struct Size {
  const char* name;
  int64_t n;
};
const Size kSizes[] = {{"mlp_hidden_64x512", 64 * 512}, {"mlp_hidden_256x512", 256 * 512}, {"resnet18_conv1_64x112x112", 64 * 112 * 112}};

void BM_Grad(benchmark::State& state, GradFn f, int64_t n) {
  const std::vector<float> dy = Wave(n, 0), x = Wave(n, 1);
  std::vector<float> dx(dy.size());
  for (auto _ : state) {
    f.fn(dy.data(), x.data(), dx.data(), n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * n * 12);
}

struct SoftmaxShape {
  const char* name;
  int64_t outer, len, inner;
};
const SoftmaxShape kSoftmaxShapes[] = {
    {"classifier_64x10", 64, 10, 1}, {"imagenet_64x1000", 64, 1000, 1}, {"channels_axis1_32x10x49", 32, 10, 49}};

void BM_SoftmaxGrad(benchmark::State& state, bool log, SoftmaxShape s) {
  const int64_t n = s.outer * s.len * s.inner;
  const std::vector<float> dy = Wave(n, 0), y = Wave(n, 1);
  std::vector<float> dx(dy.size());
  for (auto _ : state) {
    (log ? kernels::LogSoftmaxGradF32 : kernels::SoftmaxGradF32)(dy.data(), y.data(), dx.data(), s.outer, s.len, s.inner);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * n * 12);
}

// ResNet-18's second stage: 3x3 convolution, 64 -> 64 channels on 56x56, batch 8.
void BM_ConvWeightGrad(benchmark::State& state) {
  kernels::ConvWeightGradShape s;
  s.batch = 8, s.in_channels = 64, s.out_channels = 64;
  s.window.in = {1, 56, 56}, s.window.out = {1, 56, 56}, s.window.kernel = {1, 3, 3}, s.window.pad = {0, 1, 1};
  const std::vector<float> x = Wave(s.batch * 64 * 56 * 56, 0), dy = Wave(s.batch * 64 * 56 * 56, 1);
  std::vector<float> dw(64 * 64 * 9), scratch(kernels::ConvWeightGradWorkspaceFloats(s));
  for (auto _ : state) {
    kernels::ConvWeightGradF32(s, dy.data(), x.data(), dw.data(), scratch.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * 64 * 64 * 9 * 56 * 56 * s.batch * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

const bool registered = [] {
  for (const GradFn& f : kGradFns)
    for (const Size& s : kSizes)
      benchmark::RegisterBenchmark((std::string(f.name) + "/" + s.name).c_str(), BM_Grad, f, s.n)->UseRealTime();
  for (bool log : {false, true})
    for (const SoftmaxShape& s : kSoftmaxShapes)
      benchmark::RegisterBenchmark((std::string(log ? "logsoftmax_grad/" : "softmax_grad/") + s.name).c_str(),
                                   BM_SoftmaxGrad, log, s)
          ->UseRealTime();
  benchmark::RegisterBenchmark("conv_weight_grad/resnet18_64x56x56_3x3_batch8", BM_ConvWeightGrad)->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace axon::bench
