// Per-call CPU time for the benchmarks that quote a rate on a shared machine.
#pragma once

#include <time.h>

#include <algorithm>
#include <vector>

namespace axon::bench {

// CPU time of the calling thread, in seconds. It leaves out the time the thread waited for a
// core, and the time the hypervisor took the core away (steal time, on a KVM guest).
inline double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// The median of per-call CPU times: not the minimum, because steal time is accounted late, so
// that a call can be charged less than it ran (a 3 µs oneDNN call once read as 207 GFLOP/s on a
// 125 GFLOP/s core); not the mean, which a few calls slowed by cache-evicting neighbours pull.
inline double MedianSeconds(std::vector<double> times) {
  if (times.empty()) return 0.0;
  const auto mid = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), mid, times.end());
  return *mid;
}

}  // namespace axon::bench
