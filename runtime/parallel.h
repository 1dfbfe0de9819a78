// Intra-op parallelism for kernels. Runs on the calling thread's task arena (the session's), in
// blocks whose boundaries depend only on n and grain, so results never depend on thread count.
#pragma once

#include <cstdint>
#include <functional>

namespace axon::runtime {

// Threads a parallel loop here can use: the current task arena's, capped by any
// tbb::global_control limit in force.
int MaxThreads();

enum class Schedule {
  kDynamic,  // blocks of `grain` items, balanced by work stealing
  kStatic,   // one contiguous share per thread, the same thread for the same share on every call,
             // so a memory-bound loop over the same data finds its share still in that core's L2
};

// Calls fn(begin, end) over [0, n) in blocks of at least `grain` items; serial when n <= grain.
void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn,
                 Schedule schedule = Schedule::kDynamic);

}  // namespace axon::runtime
