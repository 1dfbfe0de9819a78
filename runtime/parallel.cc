#include "runtime/parallel.h"

#include <algorithm>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

namespace axon::runtime {

int MaxThreads() {
  const auto limit = tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
  return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()), limit));
}

void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn, Schedule schedule) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (n <= grain) {
    fn(0, n);
    return;
  }
  // simple_partitioner splits down to exactly `grain`, so the blocks are the same on 1 or 16
  // threads. Isolation keeps a thread that waits here from picking up an unrelated outer task
  // (another batch's GEMM) that would reuse its thread-local scratch buffers mid-flight.
  tbb::this_task_arena::isolate([&] {
    const tbb::blocked_range<int64_t> range(0, n, grain);
    auto body = [&](const tbb::blocked_range<int64_t>& r) { fn(r.begin(), r.end()); };
    if (schedule == Schedule::kStatic) {
      tbb::parallel_for(range, body, tbb::static_partitioner());
    } else {
      tbb::parallel_for(range, body, tbb::simple_partitioner());
    }
  });
}

}  // namespace axon::runtime
