#include "runtime/session_common.h"

#include <unistd.h>

#include <algorithm>
#include <limits>

#include <tbb/global_control.h>

namespace axon::detail {

TensorInfo ToInfo(const graph::ValueInfo& v) {
  TensorInfo info{v.name, v.dtype, {}, {}, v.shape.has_rank()};
  for (const graph::Dim& d : v.shape.dims()) {
    info.shape.push_back(d.value());
    info.symbols.push_back(d.symbol());
  }
  return info;
}

void CheckInput(const TensorInfo& info, const graph::Shape& declared, const Tensor& t,
                std::map<std::string, int64_t>& symbols) {
  const std::string given = std::string(DTypeName(t.dtype())) + ShapeToString(t.shape());
  if (t.dtype() != info.dtype)
    throw Error(ErrorCode::kInvalidArgument, "input '" + info.name + "' must be " + info.ToString() + ", got " + given);
  if (!declared.has_rank()) return;
  if (t.rank() != declared.rank())
    throw Error(ErrorCode::kInvalidArgument, "input '" + info.name + "' must have rank " + std::to_string(declared.rank()) +
                                                 " (" + info.ToString() + "), got " + given);
  for (int64_t i = 0; i < t.rank(); ++i) {
    const graph::Dim& d = declared[i];
    if (d.known() && d.value() != t.shape()[i])
      throw Error(ErrorCode::kInvalidArgument, "input '" + info.name + "' must be " + info.ToString() + ", got " + given);
    if (!d.symbol().empty()) {
      auto [it, inserted] = symbols.emplace(d.symbol(), t.shape()[i]);
      if (!inserted && it->second != t.shape()[i])
        throw Error(ErrorCode::kInvalidArgument, "input '" + info.name + "' binds " + d.symbol() + "=" +
                                                     std::to_string(t.shape()[i]) + " but another input bound it to " +
                                                     std::to_string(it->second));
    }
  }
}

void CheckInputs(const std::vector<graph::ValueInfo>& declared, const std::vector<TensorInfo>& infos,
                 std::span<const Tensor> inputs) {
  if (inputs.size() != declared.size())
    throw Error(ErrorCode::kInvalidArgument, "the model has " + std::to_string(declared.size()) + " inputs, got " +
                                                 std::to_string(inputs.size()));
  std::map<std::string, int64_t> symbols;
  for (std::size_t i = 0; i < declared.size(); ++i) CheckInput(infos[i], declared[i].shape, inputs[i], symbols);
}

std::shared_ptr<const runtime::Plan> PlanFor(runtime::Executor& executor, const std::vector<TensorInfo>& infos,
                                             tbb::task_arena& arena, std::span<const Tensor> inputs) {
  if (auto plan = executor.CachedPlan(inputs)) return plan;
  CheckInputs(executor.graph().inputs, infos, inputs);
  std::shared_ptr<const runtime::Plan> plan;
  arena.execute([&] { plan = executor.PlanFor(inputs); });
  return plan;
}

namespace {

// Half of the machine's physical memory: room for a large model's intermediates, while a file
// whose shapes explode (or many concurrent runs) fails cleanly and leaves the host usable.
int64_t DefaultMemoryLimitBytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0 || pages > std::numeric_limits<int64_t>::max() / page)
    return std::numeric_limits<int64_t>::max() / 2;
  return static_cast<int64_t>(pages) * page / 2;
}

}  // namespace

int ThreadsFor(const SessionOptions& options) {
  if (options.memory_limit_bytes < 0)
    throw Error(ErrorCode::kInvalidArgument, "SessionOptions::memory_limit_bytes is " +
                                                 std::to_string(options.memory_limit_bytes) + "; it must be >= 0");
  if (options.threads < 0)
    throw Error(ErrorCode::kInvalidArgument, "SessionOptions::threads is " + std::to_string(options.threads) +
                                                 "; it must be >= 0 (0 = one per core)");
  if (options.opt_level < 0 || options.opt_level > kMaxOptLevel)
    throw Error(ErrorCode::kInvalidArgument, "SessionOptions::opt_level is " + std::to_string(options.opt_level) +
                                                 "; it must be 0.." + std::to_string(kMaxOptLevel));
  // TBB runs no more threads at once than this (one per core unless the host application set
  // a tbb::global_control); an arena asking for more gets no more, only a warning on stderr.
  const int allowed = static_cast<int>(std::min<std::size_t>(
      tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism), std::numeric_limits<int>::max()));
  return options.threads > 0 ? std::min(options.threads, allowed) : allowed;
}

runtime::ExecutorOptions ExecutorOptionsFor(const SessionOptions& options, int threads) {
  runtime::ExecutorOptions executor_options;
  executor_options.max_idle_arenas = static_cast<std::size_t>(threads);
  executor_options.memory_limit_bytes =
      options.memory_limit_bytes > 0 ? options.memory_limit_bytes : DefaultMemoryLimitBytes();
  return executor_options;
}

}  // namespace axon::detail
