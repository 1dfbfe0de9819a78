// Shared main for Axon's benchmark binaries: AXON_THREADS (default 1) caps TBB's worker count
// for Axon's kernels; anchors such as oneDNN take their own (OMP_NUM_THREADS).
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  const char* env = std::getenv("AXON_THREADS");
  const int threads = env ? std::max(1, std::atoi(env)) : 1;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  benchmark::AddCustomContext("axon_threads", std::to_string(threads));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
