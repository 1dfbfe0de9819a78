#include "runtime/inter_op.h"

#include <algorithm>
#include <atomic>

#include <tbb/task_group.h>

namespace axon::runtime {

Ancestry::Ancestry(const std::vector<std::vector<int>>& preds) : words_((preds.size() + 63) / 64) {
  bits_.assign(preds.size() * words_, 0);
  for (std::size_t b = 0; b < preds.size(); ++b) {
    uint64_t* row = bits_.data() + b * words_;
    for (int a : preds[b]) {
      const uint64_t* from = bits_.data() + static_cast<std::size_t>(a) * words_;
      for (std::size_t w = 0; w < words_; ++w) row[w] |= from[w];
      row[static_cast<std::size_t>(a) / 64] |= uint64_t{1} << (a % 64);
    }
  }
}

bool Ancestry::AnyUnordered(const std::vector<bool>& marked) const {
  std::vector<int> seen;
  for (int b = 0; b < static_cast<int>(marked.size()); ++b) {
    if (!marked[static_cast<std::size_t>(b)]) continue;
    // Steps come in a topological order, so an earlier step is either b's ancestor or unordered.
    for (int a : seen)
      if (!Before(a, b)) return true;
    seen.push_back(b);
  }
  return false;
}

namespace {

// Only the latest steps matter: one that is an ancestor of another is implied by it.
void Prune(std::vector<int>& steps, const Ancestry& order) {
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  std::vector<int> kept;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    bool implied = false;
    for (std::size_t j = i + 1; j < steps.size() && !implied; ++j) implied = order.Before(steps[i], steps[j]);
    if (!implied) kept.push_back(steps[i]);
  }
  steps = std::move(kept);
}

// Free bytes remember the steps that touched them last (pruned to the latest): a writer may take
// them once every one of those steps is its ancestor.
struct ConcurrentBlocks {
  struct Block {
    int64_t size;
    std::vector<int> after;  // the steps that must have finished before these bytes are written again
  };
  const std::vector<std::vector<int>>& touchers;
  const Ancestry& order;

  Block Freed(std::size_t buffer, int64_t size) const {
    Block b{size, touchers[buffer]};
    Prune(b.after, order);
    return b;
  }
  void Join(Block& into, Block&& from) const {
    into.size += from.size;
    into.after.insert(into.after.end(), from.after.begin(), from.after.end());
    Prune(into.after, order);
  }
  bool Usable(const Block& block, int writer) const {
    return std::all_of(block.after.begin(), block.after.end(), [&](int t) { return order.Before(t, writer); });
  }
};

}  // namespace

ArenaLayout PlanConcurrentArena(const std::vector<BufferLifetime>& buffers,
                                const std::vector<std::vector<int>>& touchers, const Ancestry& order) {
  return PlanBestFit(buffers, ConcurrentBlocks{touchers, order});
}

StepGraph MakeStepGraph(const std::vector<std::vector<int>>& preds, const std::vector<int>& plan_step,
                        const std::vector<bool>& heavy) {
  // Per compiled step, the running steps a reader of its outputs waits for.
  std::vector<std::vector<uint32_t>> waits_for(preds.size());
  std::vector<std::vector<uint32_t>> successors;
  StepGraph graph;
  for (std::size_t k = 0; k < preds.size(); ++k) {
    std::vector<uint32_t> mine;
    for (int p : preds[k]) mine.insert(mine.end(), waits_for[static_cast<std::size_t>(p)].begin(), waits_for[static_cast<std::size_t>(p)].end());
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    if (plan_step[k] < 0) {
      waits_for[k] = std::move(mine);
      continue;
    }
    const auto self = static_cast<uint32_t>(plan_step[k]);
    for (uint32_t p : mine) successors[p].push_back(self);
    successors.emplace_back();
    graph.num_predecessors.push_back(static_cast<int32_t>(mine.size()));
    graph.heavy.push_back(heavy[k]);
    waits_for[k] = {self};
  }
  graph.first_successor.push_back(0);
  for (const auto& s : successors) {
    graph.successors.insert(graph.successors.end(), s.begin(), s.end());
    graph.first_successor.push_back(static_cast<uint32_t>(graph.successors.size()));
  }
  return graph;
}

namespace {

// One run of a step graph. A thread that finishes a step continues with one of the steps that
// became ready (no task handed over for a chain), runs ready light steps itself, and hands every
// further heavy one to a new task, which an idle thread of the arena takes.
class GraphRun {
 public:
  GraphRun(const StepGraph& graph, int32_t* counters, FunctionRef<void(std::size_t)> fn, tbb::task_group& tasks)
      : graph_(graph), counters_(counters), fn_(fn), tasks_(tasks) {}

  void Go(uint32_t first) const {
    constexpr int kHeld = 32;
    uint32_t held[kHeld];
    int top = 0, heavy_held = 0;
    held[top++] = first;
    heavy_held += graph_.heavy[first];
    while (top > 0) {
      const uint32_t k = held[--top];
      heavy_held -= graph_.heavy[k];
      fn_(k);
      for (uint32_t e = graph_.first_successor[k]; e < graph_.first_successor[k + 1]; ++e) {
        const uint32_t next = graph_.successors[e];
        // acq_rel: the last predecessor to finish sees every other one's writes, and passes them on.
        if (std::atomic_ref<int32_t>(counters_[next]).fetch_sub(1, std::memory_order_acq_rel) != 1) continue;
        if ((graph_.heavy[next] && heavy_held > 0) || top == kHeld) {
          tasks_.run([this, next] { Go(next); });
        } else {
          held[top++] = next;
          heavy_held += graph_.heavy[next];
        }
      }
    }
  }

 private:
  const StepGraph& graph_;
  int32_t* counters_;
  FunctionRef<void(std::size_t)> fn_;
  tbb::task_group& tasks_;
};

}  // namespace

void RunStepGraph(const StepGraph& graph, int32_t* counters, FunctionRef<void(std::size_t)> fn) {
  std::copy(graph.num_predecessors.begin(), graph.num_predecessors.end(), counters);
  tbb::task_group tasks;
  const GraphRun run(graph, counters, fn, tasks);
  int last_root = -1;
  for (std::size_t k = 0; k < graph.size(); ++k) {
    if (graph.num_predecessors[k] != 0) continue;
    if (last_root >= 0) tasks.run([&run, root = static_cast<uint32_t>(last_root)] { run.Go(root); });
    last_root = static_cast<int>(k);
  }
  // The last root runs on this thread; run_and_wait returns once every task is done, and
  // rethrows the first exception any of them threw.
  if (last_root >= 0) {
    tasks.run_and_wait([&run, root = static_cast<uint32_t>(last_root)] { run.Go(root); });
  } else {
    tasks.wait();
  }
}

}  // namespace axon::runtime
