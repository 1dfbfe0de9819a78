// Compiles a verified graph once (topological order, kernel adapters looked up, constants kept)
// and runs it through plans: one per binding of the input shapes, made on first use and cached.
// Safe to run from several threads at once: each run takes its own arena from a small pool, and
// all runs of one executor share its memory limit.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/op_schema.h"
#include "runtime/adapter.h"
#include "runtime/inter_op.h"
#include "runtime/plan.h"

namespace axon::runtime {

struct ExecutorOptions {
  // Most bytes the runs of this executor hold at once: arenas (intermediates, kernel scratch) and
  // the outputs they are making. Inputs and weights are not counted.
  int64_t memory_limit_bytes = int64_t{1} << 30;
  // Initializers that may change between runs (trained weights); the others are constants.
  std::set<std::string> parameters;
  std::size_t max_plans = 8;  // cached plans; the least recently used is dropped
  // Arenas kept for reuse between runs: as many as runs can be in progress at once (a session
  // runs at most one per thread of its task arena).
  std::size_t max_idle_arenas = 2;
  // Run independent branches of a plan at once where they are large enough to gain from it
  // (runtime/inter_op.h). Worth it only with more than one thread; off, every plan is serial.
  bool inter_op = false;
};

// When and where one plan step ran, for profiling (axon profile): steady-clock nanoseconds and
// the thread's index in the session's task arena.
struct StepRecord {
  int64_t start_ns = 0, end_ns = 0;
  int thread = -1;
};

class Executor final : private BindHost {
 public:
  // Takes a graph that passed graph::Verify. Throws axon::Error for an op with no adapter.
  Executor(graph::Graph graph, ExecutorOptions options);
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  ~Executor() override;

  const graph::Graph& graph() const { return graph_; }

  // The cached plan for these inputs (graph.inputs order), or null when there is none yet: the
  // caller then checks the inputs against the declarations and asks PlanFor. Allocates nothing.
  std::shared_ptr<const Plan> CachedPlan(std::span<const Tensor> inputs) const;
  // Makes (or finds) the plan. Call from inside the task arena that will run it. A constant whose
  // every reader uses only what was prepared from it (a packed weight) is released afterwards,
  // so a weight is held once, packed, rather than twice.
  std::shared_ptr<const Plan> PlanFor(std::span<const Tensor> inputs);

  // Runs into caller buffers: outputs[i] must have the plan's dtype and shape for output i and be
  // writable. Allocates nothing once an arena for this plan is pooled.
  void Run(const Plan& plan, std::span<const Tensor> inputs, std::span<Tensor> outputs);
  // Runs and returns new output tensors (an output listed twice is returned twice as one tensor).
  // With `records` (plan.steps.size() of them), each step's time is recorded there; without, a
  // run costs what it did before profiling existed (the plain serial loop; see Execute).
  std::vector<Tensor> Run(const Plan& plan, std::span<const Tensor> inputs, StepRecord* records = nullptr);

  // Bytes the runs of this executor hold now: arenas (in use or kept idle) and outputs being made.
  int64_t held_bytes() const;

  // Replaces a parameter's value (same dtype and shape) and re-makes what was prepared from it.
  // Waits for runs in progress.
  void SetParameter(const std::string& name, const Tensor& value);

 private:
  struct CompiledStep {
    std::size_t node;
    const graph::OpSchema* schema;
    const AdapterFn* adapter;
    std::vector<int> inputs, outputs;  // value slots; -1 for an omitted optional input
  };
  struct Arena {
    char* data = nullptr;
    int64_t bytes = 0;
  };

  const PreparedEntry* Prepare(std::size_t node, int key, std::vector<int> from_slots,
                               std::function<std::shared_ptr<const void>()> make) override;
  // Makes a plan; `releasable` gets the constants that every step reads only in prepared form.
  std::shared_ptr<const Plan> Build(std::span<const Tensor> inputs, std::vector<int>& releasable);
  bool Matches(const Plan& plan, std::span<const Tensor> inputs) const;
  // Per step: worth a task of its own, from its work at these shapes (runtime/inter_op.h).
  std::vector<bool> Heavy(const std::vector<std::vector<int64_t>>& shapes, const std::vector<DType>& types,
                          const std::vector<BoundStep>& bound) const;
  Arena Acquire(int64_t arena_bytes, int64_t extra_bytes);
  void Release(Arena arena, int64_t extra_bytes);
  void Execute(const Plan& plan, std::span<const Tensor> inputs, void* const* output_data, Arena& arena,
               StepRecord* records) const;
  // The steps of a plan with a step graph, or of a profiled run (Execute's other loop is the plain
  // serial one).
  void ExecuteScheduled(const Plan& plan, char* arena, void** argv, StepRecord* records) const;

  graph::Graph graph_;
  ExecutorOptions options_;
  std::vector<CompiledStep> steps_;
  std::vector<std::string> slot_names_;
  std::vector<Tensor> constants_;   // by slot; defined for initializers not yet released
  std::vector<bool> is_constant_;   // by slot: an initializer (constant or parameter)
  std::vector<bool> is_parameter_;  // by slot
  std::vector<std::vector<int64_t>> constant_shapes_;  // by slot, kept when a constant is released
  std::vector<DType> constant_types_;
  std::vector<int> input_slots_, output_slots_;
  std::vector<bool> value_inputs_;  // by input: its data is part of a plan's key

  // Lock order: params_ before plans_mutex_ before pool_mutex_.
  mutable std::shared_mutex params_;  // runs share it; SetParameter takes it alone
  mutable std::mutex plans_mutex_;
  mutable std::vector<std::shared_ptr<const Plan>> plans_;  // most recently used first
  std::map<std::pair<std::size_t, int>, std::unique_ptr<PreparedEntry>> prepared_;
  std::atomic<int64_t> largest_plan_arena_{0};  // of the cached plans: idle arenas beyond it go

  mutable std::mutex pool_mutex_;
  std::vector<Arena> free_arenas_;
  int64_t held_bytes_ = 0;  // all arenas (pooled or in use) and outputs being made
  int runs_in_flight_ = 0;
};

}  // namespace axon::runtime
