// Shared main for Axon's benchmark binaries: AXON_THREADS (default 1) caps TBB's worker count
// for Axon's kernels; anchors such as oneDNN take their own (OMP_NUM_THREADS). AXON_TARGET
// (e.g. AVX2, SSE4) makes the kernels dispatch to that Highway target instead of this CPU's
// best, so one machine can measure the code that another CPU would run.
#include <benchmark/benchmark.h>
#include <hwy/targets.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/kernels/target.h"

namespace {

// Restricts dispatch to the named target (it must be compiled in and runnable here); returns
// false when it cannot.
bool RestrictTarget(const char* name) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    if (std::string(hwy::TargetName(target)) == name) {
      hwy::SetSupportedTargetsForTest(target);
      return true;
    }
  }
  std::fprintf(stderr, "AXON_TARGET=%s: not compiled in or not supported by this CPU\n", name);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("AXON_THREADS");
  const int threads = env ? std::max(1, std::atoi(env)) : 1;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  benchmark::AddCustomContext("axon_threads", std::to_string(threads));
  if (const char* target = std::getenv("AXON_TARGET")) {
    if (!RestrictTarget(target)) return 1;
  }
  benchmark::AddCustomContext("highway_target", axon::kernels::DispatchedTargetName());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
