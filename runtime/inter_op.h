// Inter-op parallelism: independent branches of a plan run at once. A plan with at least two
// steps that are worth a task each and that no dependency orders runs as a graph of its steps:
// each step has a counter of the steps whose results it reads, and starts on the thread that
// finishes the last of them; no step waits for anything else (no levels, no barriers). Memory
// stays safe without extra edges because the arena is laid out for that graph: a buffer takes
// bytes another one gave back only when every step that touched them is an ancestor of the step
// that writes it, and a step writes over an input in place only when every other reader of that
// input is its ancestor. A plan without such a pair of steps (a chain, or branches too small to
// pay for a task) runs one step after another, exactly as a serial plan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/memory_planner.h"
#include "runtime/parallel.h"

namespace axon::runtime {

// Work a step must have to run beside another: flops plus bytes moved. A TBB task costs a few
// microseconds to hand to another thread, the time of about this much work on one core.
inline constexpr double kInterOpMinWork = double(1 << 18);
// Plans with more steps stay serial: the ancestor sets take steps² bits while planning.
inline constexpr std::size_t kInterOpMaxSteps = 8192;

// Which steps must have finished before which: the transitive closure of "reads a result of".
class Ancestry {
 public:
  // preds[k]: steps, each < k, whose results step k reads (steps are in a topological order).
  explicit Ancestry(const std::vector<std::vector<int>>& preds);
  // True when a is an ancestor of b: every run finishes a before b starts.
  bool Before(int a, int b) const {
    return (bits_[static_cast<std::size_t>(b) * words_ + static_cast<std::size_t>(a) / 64] >> (a % 64)) & 1;
  }
  // Two of the marked steps may run at once (neither is an ancestor of the other).
  bool AnyUnordered(const std::vector<bool>& marked) const;

 private:
  std::size_t words_ = 0;
  std::vector<uint64_t> bits_;  // row b: the ancestors of b
};

// Arena offsets for buffers of a plan whose steps may run at once. touchers[i]: every step that
// writes or reads buffer i. Like PlanArena (steps in order, best fit), but bytes a buffer gave back
// go only to a buffer whose writing step (BufferLifetime::first) has all their touchers as
// ancestors, so no two steps that may overlap in time ever share bytes.
ArenaLayout PlanConcurrentArena(const std::vector<BufferLifetime>& buffers,
                                const std::vector<std::vector<int>>& touchers, const Ancestry& order);

// The run-time form: per step, the steps that read its results, and how many steps it waits for.
struct StepGraph {
  std::vector<uint32_t> first_successor;  // per step and one more: successors[first[k], first[k+1])
  std::vector<uint32_t> successors;
  std::vector<int32_t> num_predecessors;
  std::vector<bool> heavy;  // worth a task of its own (else it runs on the thread that readied it)

  bool empty() const { return num_predecessors.empty(); }
  std::size_t size() const { return num_predecessors.size(); }
};

// The step graph of a plan from its compiled steps: preds[k] as for Ancestry; plan_step[k]: step
// k's index among the steps that run, or -1 for one that runs nothing (an alias), whose readers
// wait for its own predecessors instead; heavy: per compiled step.
StepGraph MakeStepGraph(const std::vector<std::vector<int>>& preds, const std::vector<int>& plan_step,
                        const std::vector<bool>& heavy);

// Runs fn(k) for every step of `graph`, each once its predecessors are done, as TBB tasks of the
// current task arena, returning when all are done; the first exception thrown is rethrown here
// (steps that depended on the failed one never start). counters: graph.size() ints of scratch.
// Not isolated: the calling thread, once out of steps, helps with the blocks of a step another
// thread is running (its ParallelFor is an isolated region of its own, which a thread waiting in
// an enclosing isolated region could never enter). It may also take a step of another run of the
// same session: that run's arena is its own, and this thread is inside no kernel while it waits.
void RunStepGraph(const StepGraph& graph, int32_t* counters, FunctionRef<void(std::size_t)> fn);

}  // namespace axon::runtime
