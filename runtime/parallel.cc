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

int ArenaSlots() { return tbb::this_task_arena::max_concurrency(); }

int ThreadIndex() {
  const int index = tbb::this_task_arena::current_thread_index();
  return index == tbb::task_arena::not_initialized ? -1 : index;
}

namespace {

// The blocks simple_partitioner makes: blocked_range halves [begin, end) at begin + size / 2
// until a piece is no larger than grain. Visiting the same blocks on one thread keeps results
// identical to a parallel run for kernels whose blocking shows in their rounding.
void SerialBlocks(int64_t begin, int64_t end, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn) {
  while (end - begin > grain) {
    const int64_t middle = begin + (end - begin) / 2;
    SerialBlocks(begin, middle, grain, fn);  // depth is log2(n / grain): no deep recursion
    begin = middle;
  }
  fn(begin, end);
}

}  // namespace

void ParallelFor(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn, Schedule schedule) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (n <= grain) {
    fn(0, n);
    return;
  }
  // One thread: no task to spawn, no allocation, a few ns instead of a TBB round trip.
  if (MaxThreads() <= 1) return SerialBlocks(0, n, grain, fn);
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
