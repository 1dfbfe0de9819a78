// This machine's single-core f32 FMA peak, measured on the Highway target the kernels use, so
// GEMM throughput can be quoted as a fraction of what the core can do.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/fma_peak.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace axon::bench {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// 12 independent accumulators: 2 FMA ports x 4 cycles latency needs at least 8 chains in
// flight; 12 leaves headroom and still fits the 16 architectural registers of AVX2.
int64_t FmaLoop(int64_t iterations, float* sink) {
  const hn::ScalableTag<float> d;
  auto a0 = hn::Set(d, 1.0f), a1 = hn::Set(d, 1.1f), a2 = hn::Set(d, 1.2f), a3 = hn::Set(d, 1.3f);
  auto a4 = hn::Set(d, 1.4f), a5 = hn::Set(d, 1.5f), a6 = hn::Set(d, 1.6f), a7 = hn::Set(d, 1.7f);
  auto a8 = hn::Set(d, 1.8f), a9 = hn::Set(d, 1.9f), a10 = hn::Set(d, 2.0f), a11 = hn::Set(d, 2.1f);
  const auto m = hn::Set(d, 0.999999f), c = hn::Set(d, 1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    a0 = hn::MulAdd(a0, m, c); a1 = hn::MulAdd(a1, m, c); a2 = hn::MulAdd(a2, m, c);
    a3 = hn::MulAdd(a3, m, c); a4 = hn::MulAdd(a4, m, c); a5 = hn::MulAdd(a5, m, c);
    a6 = hn::MulAdd(a6, m, c); a7 = hn::MulAdd(a7, m, c); a8 = hn::MulAdd(a8, m, c);
    a9 = hn::MulAdd(a9, m, c); a10 = hn::MulAdd(a10, m, c); a11 = hn::MulAdd(a11, m, c);
  }
  auto sum = hn::Add(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)), hn::Add(hn::Add(a4, a5), hn::Add(a6, a7)));
  sum = hn::Add(sum, hn::Add(hn::Add(a8, a9), hn::Add(a10, a11)));
  *sink = hn::GetLane(sum);
  return iterations * 12 * static_cast<int64_t>(hn::Lanes(d)) * 2;  // FLOPs
}

}  // namespace HWY_NAMESPACE
}  // namespace axon::bench
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <benchmark/benchmark.h>

#include <utility>
#include <vector>

#include "bench/cpu_time.h"

namespace axon::bench {
HWY_EXPORT(FmaLoop);

// HWY_DYNAMIC_DISPATCH follows AXON_TARGET (bench_main.cc), so under AXON_TARGET=AVX2 this is
// the AVX2 peak, the one the AVX2 GEMM is measured against. cpu_GFLOPS: the median call by the
// thread's CPU time, as gemm_bench.cc reports the GEMMs.
static void BM_FmaPeak(benchmark::State& state) {
  float sink = 0;
  int64_t flops = 0, call_flops = 0;
  std::vector<double> cpu;
  for (auto _ : state) {
    const double cpu0 = ThreadCpuSeconds();
    call_flops = HWY_DYNAMIC_DISPATCH(FmaLoop)(1 << 18, &sink);
    cpu.push_back(ThreadCpuSeconds() - cpu0);
    flops += call_flops;
  }
  benchmark::DoNotOptimize(sink);
  state.counters["GFLOPS"] = benchmark::Counter(static_cast<double>(flops) / 1e9, benchmark::Counter::kIsRate);
  state.counters["cpu_GFLOPS"] = static_cast<double>(call_flops) / 1e9 / MedianSeconds(std::move(cpu));
}
BENCHMARK(BM_FmaPeak)->Name("fma_peak/1thread");

}  // namespace axon::bench
#endif
