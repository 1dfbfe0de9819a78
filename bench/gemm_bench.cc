// sgemm throughput: Axon, oneDNN's dnnl_sgemm and OpenBLAS's cblas_sgemm (the anchors, each when
// found at configure time) on the same shapes. Row-major C = A·B, A: M×K, B: K×N.
// bench/compare_gemm runs each library in its own process (--benchmark_filter) and tabulates.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "bench/cpu_time.h"
#include "bench/gemm_shapes.h"
#include "runtime/kernels/gemm.h"

#ifdef AXON_HAVE_DNNL
#include <dnnl.h>
#endif
#ifdef AXON_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace axon::bench {
namespace {

struct Operands {
  std::vector<float> a, b, c;
  explicit Operands(const GemmShape& s)
      : a(static_cast<std::size_t>(s.m * s.k)), b(static_cast<std::size_t>(s.k * s.n)), c(static_cast<std::size_t>(s.m * s.n)) {
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::sin(0.1f * static_cast<float>(i));
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::cos(0.1f * static_cast<float>(i));
  }
};

// Times every call and reports, beside the mean rate (GFLOPS), the rate of the fastest call by
// wall clock (best_GFLOPS: other processes only ever slow a call down) and of the median call by
// the calling thread's CPU time (cpu_GFLOPS, cpu_time.h), which leaves out the time the thread
// waited for a core: the whole cost of a call only when the library runs it on the calling
// thread (1 thread).
template <class Call>
void RunGemm(benchmark::State& state, const GemmShape& s, const Call& call) {
  double best_wall = std::numeric_limits<double>::infinity();
  std::vector<double> cpu;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu0 = ThreadCpuSeconds();
    call();
    benchmark::ClobberMemory();
    cpu.push_back(ThreadCpuSeconds() - cpu0);
    best_wall = std::min(best_wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double gflop = 2.0 * static_cast<double>(s.m * s.n * s.k) / 1e9;
  state.counters["GFLOPS"] = benchmark::Counter(gflop, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["best_GFLOPS"] = gflop / best_wall;
  state.counters["cpu_GFLOPS"] = gflop / MedianSeconds(std::move(cpu));
}

void BM_AxonSgemm(benchmark::State& state, GemmShape s) {
  Operands o(s);
  RunGemm(state, s, [&] {
    kernels::Sgemm(false, false, s.m, s.n, s.k, 1.0f, o.a.data(), s.k, o.b.data(), s.n, 0.0f, o.c.data(), s.n);
  });
}

#ifdef AXON_HAVE_DNNL
void BM_OnednnSgemm(benchmark::State& state, GemmShape s) {
  Operands o(s);
  RunGemm(state, s, [&] { dnnl_sgemm('N', 'N', s.m, s.n, s.k, 1.0f, o.a.data(), s.k, o.b.data(), s.n, 0.0f, o.c.data(), s.n); });
}
#endif

#ifdef AXON_HAVE_OPENBLAS
void BM_OpenblasSgemm(benchmark::State& state, GemmShape s) {
  Operands o(s);
  RunGemm(state, s, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(s.m), static_cast<int>(s.n),
                static_cast<int>(s.k), 1.0f, o.a.data(), static_cast<int>(s.k), o.b.data(), static_cast<int>(s.n), 0.0f,
                o.c.data(), static_cast<int>(s.n));
  });
}
#endif

// The GEMM's own code with every operand in L1 (B 128 × 48, one AVX-512 panel or three AVX2 ones;
// A 24 × 128, whole row tiles on both; C 24 × 48: 41 KiB), 64 calls a timed pass: what the
// micro-kernels reach when nothing misses, the ceiling the driver's blocking can approach.
// compare_gemm does not run it; set against fma_peak/1thread and fma_mix/1thread (the same
// instruction mix in assembly, fma_peak.cc) it separates the kernel's code from the anchor.
void BM_AxonSgemmL1(benchmark::State& state) {
  const GemmShape s{24, 128, 48};
  Operands o(s);
  constexpr int kCalls = 64;
  RunGemm(state, GemmShape{s.m * kCalls, s.k, s.n}, [&] {
    for (int i = 0; i < kCalls; ++i)
      kernels::Sgemm(false, false, s.m, s.n, s.k, 1.0f, o.a.data(), s.k, o.b.data(), s.n, 0.0f, o.c.data(), s.n);
  });
}
BENCHMARK(BM_AxonSgemmL1)->Name("sgemm_l1/axon/24x128x48x64calls")->UseRealTime();

// Registered at start-up from the shape list, so a shape cannot be benchmarked for one side only.
const bool registered = [] {
  for (const GemmShape& s : GemmShapes()) {
    benchmark::RegisterBenchmark(("sgemm/axon/" + s.Name()).c_str(), BM_AxonSgemm, s)->UseRealTime();
#ifdef AXON_HAVE_DNNL
    benchmark::RegisterBenchmark(("sgemm/onednn/" + s.Name()).c_str(), BM_OnednnSgemm, s)->UseRealTime();
#endif
#ifdef AXON_HAVE_OPENBLAS
    benchmark::RegisterBenchmark(("sgemm/openblas/" + s.Name()).c_str(), BM_OpenblasSgemm, s)->UseRealTime();
#endif
  }
  return true;
}();

}  // namespace
}  // namespace axon::bench
