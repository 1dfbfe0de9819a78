// Throughput of the non-GEMM kernel families on shapes taken from real models (MLP, ResNet-18,
// a Transformer layer); gemm_bench.cc covers Sgemm. Each list below feeds one family's
// registrations, so adding a shape is one line. Run: axon_kernel_bench [--benchmark_filter=...];
// AXON_THREADS (bench_main.cc) sets the thread count.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "bench/kernel_bench_copy.h"
#include "runtime/kernels/activation.h"
#include "runtime/kernels/elementwise.h"
#include "runtime/kernels/flat_blocks.h"
#include "runtime/kernels/loss.h"
#include "runtime/kernels/shape_ops.h"
#include "runtime/kernels/softmax.h"
#include "runtime/kernels/unary.h"

namespace axon::bench {
namespace {

using Shape = std::vector<int64_t>;
using kernels::BinaryOp;

int64_t Count(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Smooth values in [-4, 4]: typical pre-activation magnitudes, no denormals.
std::vector<float> Data(int64_t n) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 4.0f * std::sin(0.37f * static_cast<float>(i));
  return v;
}

void SetRate(benchmark::State& state, int64_t elements, int64_t bytes_per_element) {
  state.SetItemsProcessed(state.iterations() * elements);
  state.SetBytesProcessed(state.iterations() * elements * bytes_per_element);
}

// The benchmark loop for the kernels that compare_kernels sets against the copy anchor: it also
// times each call and reports the fastest as the counter best_GBps. On a shared machine
// interference only ever slows a call down, so the fastest of thousands of calls is what the
// kernel costs, where the mean is what the neighbours cost. (The clock adds ~20 ns a call.)
template <class Call>
void RunTimed(benchmark::State& state, int64_t elements, int64_t bytes_per_element, const Call& call) {
  double best = std::numeric_limits<double>::infinity();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    call();
    benchmark::ClobberMemory();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  SetRate(state, elements, bytes_per_element);
  state.counters["best_GBps"] = static_cast<double>(elements * bytes_per_element) / best / 1e9;
}

// ---- activations
struct UnaryShape {
  const char* name;
  int64_t n;
};
const UnaryShape kUnaryShapes[] = {
    {"mlp_hidden_32x512", 32 * 512},
    {"resnet18_conv1_64x112x112", 64 * 112 * 112},
    {"transformer_ffn_128x3072", 128 * 3072},
};
struct UnaryFn {
  const char* name;
  void (*fn)(const float*, float*, int64_t);
};
// The ops with attributes run with ONNX's defaults (captureless lambdas convert to the pointer).
const UnaryFn kUnaryFns[] = {
    {"relu", kernels::Relu},
    {"sigmoid", kernels::Sigmoid},
    {"tanh", kernels::Tanh},
    {"exp", kernels::Exp},
    {"log", kernels::Log},  // of negative inputs: the NaN path costs the same
    {"sqrt", kernels::Sqrt},
    {"neg", kernels::Neg},
    {"abs", kernels::Abs},
    {"erf", kernels::Erf},
    {"gelu", kernels::Gelu},
    {"gelu_tanh", kernels::GeluTanh},
    {"reciprocal", kernels::Reciprocal},
    {"softplus", kernels::Softplus},
    {"hardswish", kernels::HardSwish},
    {"leakyrelu", [](const float* x, float* y, int64_t n) { kernels::LeakyRelu(x, y, n, 0.01f); }},
    {"elu", [](const float* x, float* y, int64_t n) { kernels::Elu(x, y, n, 1.0f); }},
    {"selu", [](const float* x, float* y, int64_t n) { kernels::Selu(x, y, n, 1.67326319f, 1.05070102f); }},
    {"hardsigmoid", [](const float* x, float* y, int64_t n) { kernels::HardSigmoid(x, y, n, 0.2f, 0.5f); }},
    {"clip", [](const float* x, float* y, int64_t n) { kernels::Clip(x, y, n, 0.0f, 6.0f); }},
};

void BM_Unary(benchmark::State& state, UnaryFn f, int64_t n) {
  const std::vector<float> x = Data(n);
  std::vector<float> y(x.size());
  RunTimed(state, n, 8, [&] { f.fn(x.data(), y.data(), n); });
}

// The anchor: a copy of the same output size, read + write, so an elementwise kernel's GB/s
// reads as a fraction of what moving its bytes costs on this machine in this run. Split into the
// elementwise kernels' blocks (flat_blocks.h) over the same threads, so that at AXON_THREADS=2
// the anchor gets both cores too.
void BM_Copy(benchmark::State& state, int64_t n) {
  const std::vector<float> x = Data(n);
  std::vector<float> y(x.size());
  RunTimed(state, n, 8, [&] {
    kernels::ForEachFlatBlock(n, [&](int64_t begin, int64_t end) {
      CopyAnchor(x.data() + begin, y.data() + begin, static_cast<std::size_t>(end - begin) * sizeof(float));
    });
  });
}

// ---- binary elementwise
struct BinaryShape {
  const char* name;
  Shape a, b, y;  // y: the broadcast of a and b
};
const BinaryShape kBinaryShapes[] = {
    {"bias_32x512+512", {32, 512}, {512}, {32, 512}},
    {"residual_64x56x56+same", {1, 64, 56, 56}, {1, 64, 56, 56}, {1, 64, 56, 56}},
    {"channel_scale_64x56x56*64x1x1", {1, 64, 56, 56}, {64, 1, 1}, {1, 64, 56, 56}},
    {"scalar_1M*1", {1 << 20}, {1}, {1 << 20}},
    {"outer_1024x1+1x1024", {1024, 1}, {1, 1024}, {1024, 1024}},
};

void BM_Binary(benchmark::State& state, BinaryOp op, BinaryShape s) {
  const Shape& y_shape = s.y;
  const std::vector<float> a = Data(Count(s.a)), b = Data(Count(s.b));
  std::vector<float> y(static_cast<std::size_t>(Count(y_shape)));
  const kernels::BinaryLayout layout = kernels::MakeBinaryLayout(s.a, s.b, y_shape);
  RunTimed(state, Count(y_shape), 12, [&] { kernels::BinaryF32(op, layout, a.data(), b.data(), y.data()); });
}

// ---- softmax
struct SoftmaxShape {
  const char* name;
  int64_t outer, len, inner;
};
const SoftmaxShape kSoftmaxShapes[] = {
    {"classifier_32x10", 32, 10, 1},
    {"imagenet_64x1000", 64, 1000, 1},
    {"attention_12x128x128", 12 * 128, 128, 1},
    {"channels_axis1_32x10x49", 32, 10, 49},  // strided: softmax over a channel dim
};

void BM_Softmax(benchmark::State& state, bool log, SoftmaxShape s) {
  const int64_t n = s.outer * s.len * s.inner;
  const std::vector<float> x = Data(n);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    (log ? kernels::LogSoftmaxF32 : kernels::SoftmaxF32)(x.data(), y.data(), s.outer, s.len, s.inner);
    benchmark::ClobberMemory();
  }
  SetRate(state, n, 8);
}

// ---- softmax cross-entropy (forward, or forward and backward as a training step runs them)
const SoftmaxShape kCrossEntropyShapes[] = {
    {"mlp_64x10", 64, 10, 1},
    {"mlp_256x10", 256, 10, 1},
    {"imagenet_64x1000", 64, 1000, 1},
    {"segmentation_8x21x1024", 8, 21, 1024},  // strided: classes along dim 1 of [N, C, H·W]
};

void BM_CrossEntropy(benchmark::State& state, bool with_grad, SoftmaxShape s) {
  const int64_t n = s.outer * s.len * s.inner;
  const std::vector<float> x = Data(n);
  std::vector<int64_t> labels(static_cast<std::size_t>(s.outer * s.inner));
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int64_t>(i * 7 % static_cast<std::size_t>(s.len));
  const kernels::ClassLossLayout l{.batch = s.outer, .classes = s.len, .inner = s.inner};
  std::vector<std::byte> workspace(kernels::ClassLossWorkspaceBytes(l) + 64);
  void* ws = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(workspace.data()) + 63) / 64 * 64);
  std::vector<float> dx(x.size());
  float loss = 0, dloss = 1;
  for (auto _ : state) {
    kernels::SoftmaxCrossEntropyF32(l, x.data(), labels.data(), nullptr, &loss, nullptr, ws);
    if (with_grad) kernels::SoftmaxCrossEntropyGradF32(l, &dloss, x.data(), labels.data(), nullptr, dx.data(), ws);
    benchmark::ClobberMemory();
  }
  SetRate(state, n, with_grad ? 12 : 4);
}

// ---- MSE (forward and backward): the seed's XOR net has 4 outputs, where per-call overhead is all
void BM_MseFwdBwd(benchmark::State& state, int64_t n) {
  const std::vector<float> x = Data(n), t = Data(n + 1);
  std::vector<std::byte> workspace(kernels::PointwiseLossWorkspaceBytes(n, kernels::LossReduction::kMean) + 64);
  void* ws = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(workspace.data()) + 63) / 64 * 64);
  std::vector<float> dx(x.size());
  float loss = 0, dloss = 1;
  for (auto _ : state) {
    kernels::PointwiseLossF32(kernels::PointwiseLoss::kMSE, kernels::LossReduction::kMean, x.data(), t.data(), n,
                              &loss, ws);
    kernels::PointwiseLossGradF32(kernels::PointwiseLoss::kMSE, kernels::LossReduction::kMean, &dloss, x.data(),
                                  t.data(), n, dx.data());
    benchmark::ClobberMemory();
  }
  SetRate(state, n, 12);
}

// ---- transpose
struct TransposeCase {
  const char* name;
  Shape shape, perm;
};
const TransposeCase kTransposeCases[] = {
    {"weights_768x3072", {768, 3072}, {1, 0}},
    {"heads_1x128x12x64_to_1x12x128x64", {1, 128, 12, 64}, {0, 2, 1, 3}},
    {"nchw_to_nhwc_1x64x56x56", {1, 64, 56, 56}, {0, 2, 3, 1}},
};

void BM_Transpose(benchmark::State& state, TransposeCase s) {
  const std::vector<float> x = Data(Count(s.shape));
  std::vector<float> y(x.size());
  const kernels::TransposeLayout layout = kernels::MakeTransposeLayout(s.shape, s.perm, sizeof(float));
  for (auto _ : state) {
    kernels::TransposeCopy(layout, x.data(), y.data());
    benchmark::ClobberMemory();
  }
  SetRate(state, Count(s.shape), 8);
}

const bool registered = [] {
  for (const UnaryShape& s : kUnaryShapes)
    benchmark::RegisterBenchmark((std::string("copy/") + s.name).c_str(), BM_Copy, s.n)->UseRealTime();
  for (const UnaryFn& f : kUnaryFns)
    for (const UnaryShape& s : kUnaryShapes)
      benchmark::RegisterBenchmark((std::string(f.name) + "/" + s.name).c_str(), BM_Unary, f, s.n)->UseRealTime();
  // pow: the general path (the exponents are Data's, not 2 or 0.5); prelu: a slope per channel is
  // the channel_scale shape.
  const std::pair<const char*, BinaryOp> ops[] = {{"add", BinaryOp::kAdd},
                                                  {"mul", BinaryOp::kMul},
                                                  {"div", BinaryOp::kDiv},
                                                  {"pow", BinaryOp::kPow},
                                                  {"prelu", BinaryOp::kPRelu}};
  for (const BinaryShape& s : kBinaryShapes)
    benchmark::RegisterBenchmark((std::string("copy/") + s.name).c_str(), BM_Copy,
                                 Count(s.y))->UseRealTime();
  for (const auto& [name, op] : ops)
    for (const BinaryShape& s : kBinaryShapes)
      benchmark::RegisterBenchmark((std::string(name) + "/" + s.name).c_str(), BM_Binary, op, s)->UseRealTime();
  for (bool log : {false, true})
    for (const SoftmaxShape& s : kSoftmaxShapes)
      benchmark::RegisterBenchmark((std::string(log ? "logsoftmax/" : "softmax/") + s.name).c_str(), BM_Softmax, log, s)
          ->UseRealTime();
  for (bool grad : {false, true})
    for (const SoftmaxShape& s : kCrossEntropyShapes)
      benchmark::RegisterBenchmark((std::string(grad ? "cross_entropy_fwd_bwd/" : "cross_entropy/") + s.name).c_str(),
                                   BM_CrossEntropy, grad, s)
          ->UseRealTime();
  for (int64_t n : {4, 640, 65536})
    benchmark::RegisterBenchmark(("mse_fwd_bwd/" + std::to_string(n)).c_str(), BM_MseFwdBwd, n)->UseRealTime();
  for (const TransposeCase& s : kTransposeCases)
    benchmark::RegisterBenchmark((std::string("transpose/") + s.name).c_str(), BM_Transpose, s)->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace axon::bench
