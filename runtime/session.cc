#include <unistd.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include "axon/axon.h"
#include "formats/model_file.h"
#include "graph/verifier.h"
#include "runtime/executor.h"
#include "runtime/graph_optimizer.h"
#include "runtime/session_factory.h"

namespace axon {

const char* Version() { return "0.1.0"; }

std::string TensorInfo::ToString() const {
  // The graph's shape printer, so "[batch,784]" and an unknown rank's "[?...]" read as everywhere.
  graph::Shape printed = graph::Shape::UnknownRank();
  if (has_rank) {
    std::vector<graph::Dim> dims;
    for (std::size_t i = 0; i < shape.size(); ++i)
      dims.push_back(shape[i] >= 0 ? graph::Dim(shape[i]) : graph::Dim::Symbol(i < symbols.size() ? symbols[i] : ""));
    printed = graph::Shape(std::move(dims));
  }
  return name + ": " + std::string(DTypeName(dtype)) + printed.ToString();
}

struct Session::Impl {
  Impl(graph::Graph graph, int thread_count, runtime::ExecutorOptions options, std::string model_origin)
      : executor(std::move(graph), std::move(options)), threads(thread_count), arena(thread_count),
        origin(std::move(model_origin)) {}
  runtime::Executor executor;
  int threads;
  tbb::task_arena arena;
  std::string origin;  // the file (or "<memory>") the model came from, for error messages
  std::vector<TensorInfo> inputs, outputs;
  std::unordered_map<std::string, std::size_t> input_index;  // a file may declare many inputs
};

namespace {

TensorInfo ToInfo(const graph::ValueInfo& v) {
  TensorInfo info{v.name, v.dtype, {}, {}, v.shape.has_rank()};
  for (const graph::Dim& d : v.shape.dims()) {
    info.shape.push_back(d.value());
    info.symbols.push_back(d.symbol());
  }
  return info;
}

// Checks a bound input against its declaration; symbolic dims must bind consistently in a run.
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

// Half of the machine's physical memory: room for a large model's intermediates, while a file
// whose shapes explode (or many concurrent runs) fails cleanly and leaves the host usable.
int64_t DefaultMemoryLimitBytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0 || pages > std::numeric_limits<int64_t>::max() / page)
    return std::numeric_limits<int64_t>::max() / 2;
  return static_cast<int64_t>(pages) * page / 2;
}

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

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Session detail::SessionFactory::FromModel(graph::Model model, const SessionOptions& options, const std::string& origin) {
  return WithOrigin(origin, [&] {
    if (options.memory_limit_bytes < 0)
      throw Error(ErrorCode::kInvalidArgument, "SessionOptions::memory_limit_bytes is " +
                                                   std::to_string(options.memory_limit_bytes) + "; it must be >= 0");
    if (options.threads < 0)
      throw Error(ErrorCode::kInvalidArgument, "SessionOptions::threads is " + std::to_string(options.threads) +
                                                   "; it must be >= 0 (0 = one per core)");
    if (options.opt_level < 0 || options.opt_level > kMaxOptLevel)
      throw Error(ErrorCode::kInvalidArgument, "SessionOptions::opt_level is " + std::to_string(options.opt_level) +
                                                   "; it must be 0.." + std::to_string(kMaxOptLevel));
    graph::Verify(model.graph);
    // Graph passes run between verification and planning; the plans see the optimized graph.
    runtime::OptimizeGraph(model.graph, {options.opt_level, options.disabled_passes, {}});
    // TBB runs no more threads at once than this (one per core unless the host application set
    // a tbb::global_control); an arena asking for more gets no more, only a warning on stderr.
    const int allowed = static_cast<int>(std::min<std::size_t>(
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism), std::numeric_limits<int>::max()));
    const int threads = options.threads > 0 ? std::min(options.threads, allowed) : allowed;
    runtime::ExecutorOptions executor_options;
    executor_options.max_idle_arenas = static_cast<std::size_t>(threads);
    executor_options.memory_limit_bytes =
        options.memory_limit_bytes > 0 ? options.memory_limit_bytes : DefaultMemoryLimitBytes();
    auto impl = std::make_unique<Session::Impl>(std::move(model.graph), threads, std::move(executor_options), origin);
    for (const auto& v : impl->executor.graph().inputs) {
      impl->input_index.emplace(v.name, impl->inputs.size());
      impl->inputs.push_back(ToInfo(v));
    }
    for (const auto& v : impl->executor.graph().outputs) impl->outputs.push_back(ToInfo(v));
    return Session(std::move(impl));
  });
}

const graph::Graph& detail::SessionFactory::GraphOf(const Session& session) { return session.impl().executor.graph(); }

Session Session::Load(const std::string& path, const SessionOptions& options) {
  return detail::SessionFactory::FromModel(WithOrigin(path, [&] { return formats::ReadAnyModelFile(path); }), options,
                                           path);
}

Session Session::LoadFromBytes(const void* data, std::size_t size, const SessionOptions& options, const std::string& origin) {
  return detail::SessionFactory::FromModel(WithOrigin(origin, [&] {
                                             if (!data && size > 0)
                                               throw Error(ErrorCode::kInvalidArgument,
                                                           "LoadFromBytes of a null pointer with size " + std::to_string(size));
                                             return formats::ParseAnyModel(data, size, origin);
                                           }),
                                           options, origin);
}

Session::Impl& Session::impl() const {
  if (!impl_) throw Error(ErrorCode::kInvalidArgument, "this axon::Session was moved from and holds no model");
  return *impl_;
}

const std::vector<TensorInfo>& Session::inputs() const { return impl().inputs; }
const std::vector<TensorInfo>& Session::outputs() const { return impl().outputs; }
int Session::threads() const { return impl().threads; }

namespace {

// Checks inputs (graph.inputs order) against their declarations; symbolic dims must bind
// consistently. Needed only when no plan for these shapes exists yet: a cached plan was made
// for inputs that passed.
void CheckInputs(const Session::Impl& impl, std::span<const Tensor> inputs) {
  const auto& declared = impl.executor.graph().inputs;
  if (inputs.size() != declared.size())
    throw Error(ErrorCode::kInvalidArgument, "the model has " + std::to_string(declared.size()) + " inputs, got " +
                                                 std::to_string(inputs.size()));
  std::map<std::string, int64_t> symbols;
  for (std::size_t i = 0; i < declared.size(); ++i) CheckInput(impl.inputs[i], declared[i].shape, inputs[i], symbols);
}

std::shared_ptr<const runtime::Plan> PlanFor(Session::Impl& impl, std::span<const Tensor> inputs) {
  if (auto plan = impl.executor.CachedPlan(inputs)) return plan;
  CheckInputs(impl, inputs);
  std::shared_ptr<const runtime::Plan> plan;
  impl.arena.execute([&] { plan = impl.executor.PlanFor(inputs); });
  return plan;
}

std::vector<Tensor> RunImpl(Session::Impl& impl, const std::vector<NamedTensor>& named) {
  const auto& declared = impl.executor.graph().inputs;
  std::vector<std::optional<Tensor>> bound(declared.size());
  for (const auto& [name, tensor] : named) {
    auto found = impl.input_index.find(name);
    if (found == impl.input_index.end()) {
      constexpr std::size_t kMaxListed = 16;
      std::string names;
      for (std::size_t k = 0; k < impl.inputs.size() && k < kMaxListed; ++k)
        names += (k ? ", " : "") + impl.inputs[k].ToString();
      if (impl.inputs.size() > kMaxListed)
        names += ", ... " + std::to_string(impl.inputs.size() - kMaxListed) + " more";
      throw Error(ErrorCode::kInvalidArgument, "model has no input '" + name + "' (inputs: " + names + ")");
    }
    const std::size_t i = found->second;
    if (bound[i]) throw Error(ErrorCode::kInvalidArgument, "input '" + name + "' is given twice");
    bound[i] = tensor;
  }
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < declared.size(); ++i) {
    if (!bound[i]) throw Error(ErrorCode::kInvalidArgument, "missing input " + impl.inputs[i].ToString());
    inputs.push_back(*bound[i]);
  }
  const auto plan = PlanFor(impl, inputs);
  std::vector<Tensor> outputs;
  impl.arena.execute([&] { outputs = impl.executor.Run(*plan, inputs); });
  return outputs;
}

}  // namespace

std::vector<Tensor> Session::Run(const std::vector<NamedTensor>& named) {
  Impl& self = impl();
  return WithOrigin(self.origin, [&] { return RunImpl(self, named); });
}

void Session::RunInto(std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  Impl& self = impl();
  WithOrigin(self.origin, [&] {
    const auto plan = PlanFor(self, inputs);
    self.arena.execute([&] { self.executor.Run(*plan, inputs, outputs); });
  });
}

std::vector<std::vector<int64_t>> Session::OutputShapes(std::span<const Tensor> inputs) {
  Impl& self = impl();
  return WithOrigin(self.origin, [&] {
    const auto plan = PlanFor(self, inputs);
    std::vector<std::vector<int64_t>> shapes;
    for (const auto& out : plan->outputs) shapes.push_back(out.shape);
    return shapes;
  });
}

}  // namespace axon
