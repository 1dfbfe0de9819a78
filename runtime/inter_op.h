// Inter-op parallelism: which steps of a plan run at once. Steps are grouped by dependency level
// (1 + the highest level among their inputs' producers), so two steps of one level never depend on
// each other. A level that holds at least two steps with enough work to pay for a task each runs
// as one concurrent group, every other step runs alone, in order; all of a group's steps finish
// before the next step starts. The memory planner then sees a group as one instant: its buffers
// are all live together, so no two steps that may run at once share bytes, and none writes over
// an input in place (another step of the group may still read it). A plan without such a level
// (a chain, or branches too small to pay for the tasks) runs exactly as a serial plan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "runtime/parallel.h"

namespace axon::runtime {

// Per step (in a topological order), its dependency level from the value slots it reads and writes.
std::vector<int> DependencyLevels(const std::vector<std::vector<int>>& step_inputs,
                                  const std::vector<std::vector<int>>& step_outputs, std::size_t num_slots);

// Work a step must have to run beside another: flops plus bytes moved. A TBB task costs a few
// microseconds to hand to another thread, the time of about this much work on one core.
inline constexpr double kInterOpMinWork = double(1 << 18);

class InterOpSchedule {
 public:
  InterOpSchedule() = default;
  // levels: per step, non-decreasing (the steps sorted by level); heavy: per step, worth a task.
  InterOpSchedule(const std::vector<int>& levels, const std::vector<bool>& heavy);

  bool empty() const { return groups_.empty(); }
  // Ranges [begin, end) of steps that run at once, in step order.
  const std::vector<std::pair<int, int>>& groups() const { return groups_; }
  // The instant step s runs at, for buffer lifetimes: steps of one group share one.
  int Time(int s) const { return time_.empty() ? s : time_[static_cast<std::size_t>(s)]; }
  bool Concurrent(int s) const { return !concurrent_.empty() && concurrent_[static_cast<std::size_t>(s)]; }

 private:
  std::vector<std::pair<int, int>> groups_;
  std::vector<int> time_;
  std::vector<bool> concurrent_;
};

// Runs fn(k) for k in [begin, end) as concurrent TBB tasks of the current task arena, returning
// when all are done; the first exception thrown is rethrown here. Isolated: a thread waiting here
// runs only these steps, never another run's.
void RunConcurrently(std::size_t begin, std::size_t end, FunctionRef<void(std::size_t)> fn);

}  // namespace axon::runtime
