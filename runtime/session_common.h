// What Session and TrainingSession share: checking options and inputs, thread and memory
// defaults, and reporting errors under the model's origin.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <vector>

#include <tbb/task_arena.h>

#include "axon/axon.h"
#include "graph/ir.h"
#include "runtime/executor.h"

namespace axon::detail {

TensorInfo ToInfo(const graph::ValueInfo& v);

// Checks a bound input against its declaration; symbolic dims must bind consistently in a run.
void CheckInput(const TensorInfo& info, const graph::Shape& declared, const Tensor& t,
                std::map<std::string, int64_t>& symbols);
// Checks inputs (graph.inputs order) against their declarations (infos in the same order).
void CheckInputs(const std::vector<graph::ValueInfo>& declared, const std::vector<TensorInfo>& infos,
                 std::span<const Tensor> inputs);

// The executor's plan for these inputs: the cached one, or (after checking the inputs against
// their declarations, `infos` in graph.inputs order) a new one made inside `arena`.
std::shared_ptr<const runtime::Plan> PlanFor(runtime::Executor& executor, const std::vector<TensorInfo>& infos,
                                             tbb::task_arena& arena, std::span<const Tensor> inputs);

// Throws axon::Error for options out of range; returns the thread count to use.
int ThreadsFor(const SessionOptions& options);
runtime::ExecutorOptions ExecutorOptionsFor(const SessionOptions& options, int threads);

// Runs f, reporting every failure as an axon::Error whose message starts with origin. Running
// out of memory is reported too: a file may legitimately ask for more than this machine has,
// and the public API promises axon::Error for anything a model or its inputs do.
template <class F>
auto WithOrigin(const std::string& origin, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.rfind(origin + ": ", 0) == 0) throw;
    throw Error(e.code(), origin + ": " + message);
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::kInvalidArgument, origin + ": out of memory");
  }
}

}  // namespace axon::detail
