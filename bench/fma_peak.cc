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

// The GEMM micro-kernel's instruction mix with every operand in L1, written in assembly so that
// the compiler's register allocation does not enter: per k, NV vector loads of B, MR broadcast
// loads of A and MR·NV FMAs into MR·NV accumulators (8 × 3 on AVX-512, 6 × 2 on AVX2; B 64 rows,
// A 64 k: 14 KiB). It answers whether the anchor above, FMAs on registers alone, is a peak the
// GEMM can reach: the same 512-bit FMAs (the same frequency licence), with the loads the GEMM
// needs beside them. Returns 0 where there is no such loop (not x86, or another target).
int64_t FmaMixLoop(int64_t iterations, float* sink) {
#if HWY_ARCH_X86_64 && (HWY_TARGET <= HWY_AVX3 || HWY_TARGET == HWY_AVX2) && defined(__GNUC__)
#if HWY_TARGET <= HWY_AVX3
  constexpr int64_t kMR = 8, kNV = 3, kLanes = 16;
#define AXON_B(k, v, r) "vmovups " #k "*192+" #v "*64(%[b]), %%zmm" #r "\n\t"
#define AXON_ROW(k, i, r, c0, c1, c2)                                                       \
  "vbroadcastss " #k "*32+" #i "*4(%[a]), %%zmm" #r "\n\t"                                  \
  "vfmadd231ps %%zmm24, %%zmm" #r ", %%zmm" #c0 "\n\t"                                      \
  "vfmadd231ps %%zmm25, %%zmm" #r ", %%zmm" #c1 "\n\t"                                      \
  "vfmadd231ps %%zmm26, %%zmm" #r ", %%zmm" #c2 "\n\t"
#define AXON_STEP(k)                                                                        \
  AXON_B(k, 0, 24) AXON_B(k, 1, 25) AXON_B(k, 2, 26) AXON_ROW(k, 0, 27, 0, 1, 2)           \
  AXON_ROW(k, 1, 28, 3, 4, 5) AXON_ROW(k, 2, 29, 6, 7, 8) AXON_ROW(k, 3, 30, 9, 10, 11)       \
  AXON_ROW(k, 4, 31, 12, 13, 14) AXON_ROW(k, 5, 27, 15, 16, 17) AXON_ROW(k, 6, 28, 18, 19, 20) \
  AXON_ROW(k, 7, 29, 21, 22, 23)
#define AXON_ZERO "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
#define AXON_COPY(r) "vmovaps %%zmm0, %%zmm" #r "\n\t"
#define AXON_SINK "vmovups %%zmm0, (%[sink])\n\t"
#define AXON_STRIDES "add $768, %[b]\n\tadd $128, %[a]\n\t"
#else
  constexpr int64_t kMR = 6, kNV = 2, kLanes = 8;
#define AXON_B(k, v, r) "vmovups " #k "*64+" #v "*32(%[b]), %%ymm" #r "\n\t"
#define AXON_ROW(k, i, r, c0, c1)                                                           \
  "vbroadcastss " #k "*24+" #i "*4(%[a]), %%ymm" #r "\n\t"                                  \
  "vfmadd231ps %%ymm12, %%ymm" #r ", %%ymm" #c0 "\n\t"                                      \
  "vfmadd231ps %%ymm13, %%ymm" #r ", %%ymm" #c1 "\n\t"
#define AXON_STEP(k)                                                                        \
  AXON_B(k, 0, 12) AXON_B(k, 1, 13) AXON_ROW(k, 0, 14, 0, 1) AXON_ROW(k, 1, 15, 2, 3)         \
  AXON_ROW(k, 2, 14, 4, 5) AXON_ROW(k, 3, 15, 6, 7) AXON_ROW(k, 4, 14, 8, 9) AXON_ROW(k, 5, 15, 10, 11)
#define AXON_ZERO "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
#define AXON_COPY(r) "vmovaps %%ymm0, %%ymm" #r "\n\t"
#define AXON_SINK "vmovups %%ymm0, (%[sink])\n\t"
#define AXON_STRIDES "add $256, %[b]\n\tadd $96, %[a]\n\t"
#endif
  constexpr int64_t kSteps = 64;  // k per pass over the buffers, four per loop iteration
  alignas(64) static float a[kSteps * kMR], b[kSteps * kNV * kLanes];
  alignas(64) float out[kLanes];
  for (float& x : a) x = 1e-3f;
  for (float& x : b) x = 1e-3f;
  // Early-clobber operands: with plain "+r", GCC gave a and a0 one register (equal at entry).
  float *pa = a, *pb = b;
  int64_t passes = iterations, count = 0;
  asm volatile(
      AXON_ZERO AXON_COPY(1) AXON_COPY(2) AXON_COPY(3) AXON_COPY(4) AXON_COPY(5) AXON_COPY(6) AXON_COPY(7)
      AXON_COPY(8) AXON_COPY(9) AXON_COPY(10) AXON_COPY(11)
#if HWY_TARGET <= HWY_AVX3
      AXON_COPY(12) AXON_COPY(13) AXON_COPY(14) AXON_COPY(15) AXON_COPY(16) AXON_COPY(17) AXON_COPY(18)
      AXON_COPY(19) AXON_COPY(20) AXON_COPY(21) AXON_COPY(22) AXON_COPY(23)
#endif
      "2:\n\t"
      "mov %[a0], %[a]\n\t"
      "mov %[b0], %[b]\n\t"
      "mov $16, %[count]\n\t"
      "3:\n\t" AXON_STEP(0) AXON_STEP(1) AXON_STEP(2) AXON_STEP(3) AXON_STRIDES
      "dec %[count]\n\t"
      "jnz 3b\n\t"
      "dec %[passes]\n\t"
      "jnz 2b\n\t" AXON_SINK
      : [a] "+&r"(pa), [b] "+&r"(pb), [count] "+&r"(count), [passes] "+&r"(passes)
      : [a0] "r"(a), [b0] "r"(b), [sink] "r"(out)
      : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
#if HWY_TARGET <= HWY_AVX3
        , "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26",
        "xmm27", "xmm28", "xmm29", "xmm30", "xmm31"
#endif
  );
#undef AXON_B
#undef AXON_ROW
#undef AXON_STEP
#undef AXON_ZERO
#undef AXON_COPY
#undef AXON_SINK
#undef AXON_STRIDES
  *sink = out[0];
  return iterations * kSteps * kMR * kNV * kLanes * 2;  // FLOPs
#else
  *sink = 0;
  (void)iterations;
  return 0;
#endif
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
HWY_EXPORT(FmaMixLoop);

// Runs `loop` (FLOPs done per call) as long as the benchmark wants; cpu_GFLOPS: the median call
// by the thread's CPU time, as gemm_bench.cc reports the GEMMs. False when the loop did nothing.
template <class Loop>
static bool MeasureFlops(benchmark::State& state, Loop loop) {
  float sink = 0;
  int64_t flops = 0, call_flops = 0;
  std::vector<double> cpu;
  for (auto _ : state) {
    const double cpu0 = ThreadCpuSeconds();
    call_flops = loop(&sink);
    cpu.push_back(ThreadCpuSeconds() - cpu0);
    flops += call_flops;
  }
  if (call_flops == 0) return false;
  benchmark::DoNotOptimize(sink);
  state.counters["GFLOPS"] = benchmark::Counter(static_cast<double>(flops) / 1e9, benchmark::Counter::kIsRate);
  state.counters["cpu_GFLOPS"] = static_cast<double>(call_flops) / 1e9 / MedianSeconds(std::move(cpu));
  return true;
}

// HWY_DYNAMIC_DISPATCH follows AXON_TARGET (bench_main.cc), so under AXON_TARGET=AVX2 this is
// the AVX2 peak, the one the AVX2 GEMM is measured against.
static void BM_FmaPeak(benchmark::State& state) {
  MeasureFlops(state, [](float* sink) { return HWY_DYNAMIC_DISPATCH(FmaLoop)(1 << 18, sink); });
}
BENCHMARK(BM_FmaPeak)->Name("fma_peak/1thread");

// FmaMixLoop's rate, measured as BM_FmaPeak's. Not named fma_peak/..., so compare_gemm keeps
// its anchor; compare the two by hand: `axon_gemm_bench --benchmark_filter=fma_`.
static void BM_FmaMix(benchmark::State& state) {
  if (!MeasureFlops(state, [](float* sink) { return HWY_DYNAMIC_DISPATCH(FmaMixLoop)(1 << 12, sink); }))
    state.SkipWithError("no GEMM-mix loop for this target");
}
BENCHMARK(BM_FmaMix)->Name("fma_mix/1thread");

}  // namespace axon::bench
#endif
