#include "runtime/inter_op.h"

#include <algorithm>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

namespace axon::runtime {

std::vector<int> DependencyLevels(const std::vector<std::vector<int>>& step_inputs,
                                  const std::vector<std::vector<int>>& step_outputs, std::size_t num_slots) {
  std::vector<int> slot_level(num_slots, -1);  // level of the step that writes the slot; -1: no step
  std::vector<int> levels;
  for (std::size_t k = 0; k < step_inputs.size(); ++k) {
    int level = 0;
    for (int in : step_inputs[k])
      if (in >= 0) level = std::max(level, slot_level[static_cast<std::size_t>(in)] + 1);
    for (int out : step_outputs[k]) slot_level[static_cast<std::size_t>(out)] = level;
    levels.push_back(level);
  }
  return levels;
}

InterOpSchedule::InterOpSchedule(const std::vector<int>& levels, const std::vector<bool>& heavy) {
  const int n = static_cast<int>(levels.size());
  for (int begin = 0; begin < n;) {
    int end = begin, heavy_steps = 0;
    while (end < n && levels[static_cast<std::size_t>(end)] == levels[static_cast<std::size_t>(begin)])
      heavy_steps += heavy[static_cast<std::size_t>(end++)] ? 1 : 0;
    if (heavy_steps >= 2) groups_.emplace_back(begin, end);
    begin = end;
  }
  if (groups_.empty()) return;
  time_.resize(static_cast<std::size_t>(n));
  concurrent_.assign(static_cast<std::size_t>(n), false);
  int t = 0;
  auto group = groups_.begin();
  for (int s = 0; s < n;) {
    if (group != groups_.end() && group->first == s) {
      for (; s < group->second; ++s) {
        time_[static_cast<std::size_t>(s)] = t;
        concurrent_[static_cast<std::size_t>(s)] = true;
      }
      ++group;
    } else {
      time_[static_cast<std::size_t>(s++)] = t;
    }
    ++t;
  }
}

void RunConcurrently(std::size_t begin, std::size_t end, FunctionRef<void(std::size_t)> fn) {
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(begin, end, 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          for (std::size_t k = r.begin(); k != r.end(); ++k) fn(k);
        },
        tbb::simple_partitioner());
  });
}

}  // namespace axon::runtime
