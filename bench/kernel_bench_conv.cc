// Throughput of the spatial kernels (Conv in each path, ConvTranspose, pools, Pad, Resize) on
// shapes from real models: ResNet-18's convolutions and pools, MobileNetV2's depthwise and
// pointwise layers, a U-Net-style x2 upsampling. Conv and ConvTranspose report FLOP/s (compare
// with axon_gemm_bench's Sgemm on this machine), the data-movement kernels bytes/s. Each list
// feeds its family's registrations, so adding a shape is one line.
// Run: axon_kernel_bench --benchmark_filter=conv; AXON_THREADS sets the thread count.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "runtime/kernels/conv.h"
#include "runtime/kernels/conv_transpose.h"
#include "runtime/kernels/pad.h"
#include "runtime/kernels/pool.h"
#include "runtime/kernels/resize.h"
#include "runtime/parallel.h"

namespace axon::bench {
namespace {

std::vector<float> Data(int64_t n) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37f * static_cast<float>(i));
  return v;
}

// A square 2-D window: image size, kernel, stride, pad (both sides).
kernels::WindowGeometry Square(int64_t in, int64_t k, int64_t s, int64_t p) {
  kernels::WindowGeometry g;
  const int64_t out = (in + 2 * p - k) / s + 1;
  g.in = {1, in, in}, g.out = {1, out, out}, g.kernel = {1, k, k}, g.stride = {1, s, s}, g.pad = {0, p, p};
  return g;
}

// Workspace as a plan provides it: sized for this arena, 64-byte aligned.
struct Workspace {
  explicit Workspace(std::size_t bytes) : data(bytes / sizeof(float) + 16) {}
  float* get() { return reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(data.data()) + 63) / 64 * 64); }
  std::vector<float> data;
};

// ---- Conv
struct ConvCase {
  const char* name;
  int64_t c, in, m, k, s, p, group;
};
const ConvCase kConvs[] = {
    {"resnet18_conv1_3x224_64_7x7s2", 3, 224, 64, 7, 2, 3, 1},
    {"resnet18_layer1_64x56_3x3", 64, 56, 64, 3, 1, 1, 1},
    {"resnet18_layer2_down_64x56_128_3x3s2", 64, 56, 128, 3, 2, 1, 1},
    {"resnet18_layer2_128x28_3x3", 128, 28, 128, 3, 1, 1, 1},
    {"resnet18_layer3_256x14_3x3", 256, 14, 256, 3, 1, 1, 1},
    {"resnet18_layer4_512x7_3x3", 512, 7, 512, 3, 1, 1, 1},
    {"resnet18_shortcut_64x56_128_1x1s2", 64, 56, 128, 1, 2, 0, 1},
    {"mobilenetv2_pointwise_32x112_16", 32, 112, 16, 1, 1, 0, 1},
    {"mobilenetv2_pointwise_96x56_24", 96, 56, 24, 1, 1, 0, 1},
    {"mobilenetv2_depthwise_96x112_3x3s2", 96, 112, 96, 3, 2, 1, 96},
    {"mobilenetv2_depthwise_144x56_3x3", 144, 56, 144, 3, 1, 1, 144},
    {"mobilenetv2_depthwise_576x14_3x3", 576, 14, 576, 3, 1, 1, 576},
    {"resnext_grouped_128x56_3x3_g32", 128, 56, 128, 3, 1, 1, 32},
};

// relu6: as a FusedConv with MobileNet's ReLU6 runs it.
void BM_Conv(benchmark::State& state, ConvCase c, bool relu6) {
  kernels::ConvShape s;
  s.batch = 1, s.in_channels = c.c, s.out_channels = c.m, s.group = c.group, s.window = Square(c.in, c.k, c.s, c.p);
  const int threads = runtime::ArenaSlots();
  kernels::ConvLayout l = kernels::MakeConvLayout(s, threads);
  if (relu6) l.activation = kernels::Activation::kRelu6;
  Workspace ws(kernels::ConvWorkspaceBytes(l, threads));
  const std::vector<float> x = Data(c.c * c.in * c.in), w = Data(c.m * c.c / c.group * c.k * c.k), b = Data(c.m);
  std::vector<float> y(static_cast<std::size_t>(c.m * s.window.OutVolume()));
  for (auto _ : state) {
    kernels::ConvF32(l, x.data(), w.data(), b.data(), y.data(), ws.get(), ws.data.size() - 16, threads, nullptr);
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(c.m * s.window.OutVolume() * (c.c / c.group) * c.k * c.k);
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- ConvTranspose
void BM_ConvTranspose(benchmark::State& state, bool prepared) {
  // U-Net / DCGAN-style x2 upsampling: 64 -> 32 channels, 56 -> 112, kernel 4, stride 2, pad 1.
  kernels::ConvTransposeShape s;
  s.batch = 1, s.in_channels = 64, s.out_channels = 32, s.group = 1;
  s.window.in = {1, 112, 112}, s.window.out = {1, 56, 56}, s.window.kernel = {1, 4, 4};
  s.window.stride = {1, 2, 2}, s.window.pad = {0, 1, 1};
  const int threads = runtime::ArenaSlots();
  const kernels::ConvTransposeLayout l = kernels::MakeConvTransposeLayout(s, prepared, threads);
  Workspace ws(kernels::ConvTransposeWorkspaceBytes(l, threads));
  const std::vector<float> x = Data(64 * 56 * 56), w = Data(64 * 32 * 16), b = Data(32);
  const auto wt = kernels::PrepareConvTransposeWeights(s, w.data());
  std::vector<float> y(32 * 112 * 112);
  for (auto _ : state) {
    kernels::ConvTransposeF32(l, x.data(), prepared ? wt.get() : w.data(), b.data(), y.data(), ws.get(), ws.data.size() - 16,
                              threads);
    benchmark::ClobberMemory();
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * 64 * 56 * 56 * 32 * 16, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- pools (bytes: input read + output written)
void BM_Pool(benchmark::State& state, kernels::PoolKind kind, int64_t c, kernels::WindowGeometry g) {
  const int threads = runtime::ArenaSlots();
  const kernels::PoolLayout l = kernels::MakePoolLayout(kind, c, g, {0, g.pad[1], g.pad[2]}, false);
  Workspace ws(kernels::PoolWorkspaceBytes(l, threads));
  const std::vector<float> x = Data(c * g.InVolume());
  std::vector<float> y(static_cast<std::size_t>(c * g.OutVolume()));
  for (auto _ : state) {
    kernels::PoolF32(l, x.data(), y.data(), ws.get(), ws.data.size() - 16, threads);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * c * (g.InVolume() + g.OutVolume()) * 4);
}

void BM_GlobalAveragePool(benchmark::State& state, int64_t c, int64_t plane) {
  const std::vector<float> x = Data(c * plane);
  std::vector<float> y(static_cast<std::size_t>(c));
  for (auto _ : state) {
    kernels::GlobalAveragePoolF32(x.data(), y.data(), c, plane);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * c * plane * 4);
}

// ---- Pad and Resize (bytes: output written)
void BM_Pad(benchmark::State& state, kernels::PadMode mode) {
  const kernels::PadLayout l{{1, 64, 56, 56}, {1, 64, 58, 58}, mode, 4};
  const std::vector<int64_t> pads = {0, 0, 1, 1, 0, 0, 1, 1};
  std::vector<int64_t> ws(kernels::PadWorkspaceBytes(l) / sizeof(int64_t));
  const std::vector<float> x = Data(64 * 56 * 56);
  std::vector<float> y(64 * 58 * 58);
  for (auto _ : state) {
    kernels::PadCopy(l, x.data(), pads.data(), nullptr, y.data(), ws.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(y.size()) * 4);
}

void BM_Resize(benchmark::State& state, kernels::ResizeMode mode) {
  const kernels::ResizeLayout l{{1, 64, 56, 56}, {1, 64, 112, 112}, mode, kernels::ResizeCoordinates::kHalfPixel,
                                kernels::NearestRounding::kRoundPreferFloor};
  Workspace ws(kernels::ResizeWorkspaceBytes(l));
  const std::vector<float> x = Data(64 * 56 * 56), scales = {1, 1, 2, 2};
  std::vector<float> y(64 * 112 * 112);
  for (auto _ : state) {
    kernels::ResizeF32(l, x.data(), scales.data(), y.data(), ws.get());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(y.size()) * 4);
}

const bool registered = [] {
  for (const ConvCase& c : kConvs)
    benchmark::RegisterBenchmark((std::string("conv/") + c.name).c_str(), BM_Conv, c, false)->UseRealTime();
  for (const ConvCase& c : kConvs)
    if (std::string(c.name).rfind("mobilenetv2", 0) == 0)
      benchmark::RegisterBenchmark((std::string("conv_relu6/") + c.name).c_str(), BM_Conv, c, true)->UseRealTime();
  for (bool prepared : {false, true})
    benchmark::RegisterBenchmark(prepared ? "conv_transpose/x2_64x56_32_4x4s2_prepared" : "conv_transpose/x2_64x56_32_4x4s2",
                                 BM_ConvTranspose, prepared)->UseRealTime();
  benchmark::RegisterBenchmark("maxpool/resnet18_64x112_3x3s2", BM_Pool, kernels::PoolKind::kMax, 64, Square(112, 3, 2, 1))
      ->UseRealTime();
  benchmark::RegisterBenchmark("averagepool/64x56_3x3", BM_Pool, kernels::PoolKind::kAverage, 64, Square(56, 3, 1, 1))
      ->UseRealTime();
  benchmark::RegisterBenchmark("globalaveragepool/resnet18_512x7x7", BM_GlobalAveragePool, 512, 49)->UseRealTime();
  benchmark::RegisterBenchmark("pad/constant_64x56_border1", BM_Pad, kernels::PadMode::kConstant)->UseRealTime();
  benchmark::RegisterBenchmark("pad/reflect_64x56_border1", BM_Pad, kernels::PadMode::kReflect)->UseRealTime();
  benchmark::RegisterBenchmark("resize/nearest_x2_64x56", BM_Resize, kernels::ResizeMode::kNearest)->UseRealTime();
  benchmark::RegisterBenchmark("resize/linear_x2_64x56", BM_Resize, kernels::ResizeMode::kLinear)->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace axon::bench
