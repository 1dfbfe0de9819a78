#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include <tbb/task_arena.h>

#include "axon/axon.h"
#include "formats/model_file.h"
#include "graph/verifier.h"
#include "runtime/executor.h"
#include "runtime/graph_optimizer.h"
#include "runtime/session_common.h"
#include "runtime/session_factory.h"

namespace axon {

const char* Version() { return AXON_VERSION_STRING; }

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

// Hidden although nested in an exported class (whose members would otherwise be exported too).
struct __attribute__((visibility("hidden"))) Session::Impl {
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

using detail::WithOrigin;

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Session detail::SessionFactory::FromModel(graph::Model model, const SessionOptions& options, const std::string& origin) {
  return WithOrigin(origin, [&] {
    const int threads = detail::ThreadsFor(options);
    graph::Verify(model.graph);
    // Graph passes run between verification and planning; the plans see the optimized graph.
    runtime::ExecutorOptions executor_options = detail::ExecutorOptionsFor(options, threads);
    runtime::OptimizeGraph(model.graph, {options.opt_level, options.disabled_passes, {}, executor_options.memory_limit_bytes});
    // Independent branches run at once where a second thread can take one (runtime/inter_op.h).
    executor_options.inter_op = threads > 1;
    auto impl = std::make_unique<Session::Impl>(std::move(model.graph), threads, std::move(executor_options), origin);
    for (const auto& v : impl->executor.graph().inputs) {
      impl->input_index.emplace(v.name, impl->inputs.size());
      impl->inputs.push_back(detail::ToInfo(v));
    }
    for (const auto& v : impl->executor.graph().outputs) impl->outputs.push_back(detail::ToInfo(v));
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

std::shared_ptr<const runtime::Plan> PlanFor(Session::Impl& impl, std::span<const Tensor> inputs) {
  return detail::PlanFor(impl.executor, impl.inputs, impl.arena, inputs);
}

// `profiled`, when given, gets the plan and each step's time.
std::vector<Tensor> RunImpl(Session::Impl& impl, const std::vector<NamedTensor>& named,
                            detail::SessionFactory::ProfiledRun* profiled = nullptr) {
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
  runtime::StepRecord* records = nullptr;
  if (profiled) {
    profiled->plan = plan;
    profiled->steps.assign(plan->steps.size(), {});
    records = profiled->steps.data();
  }
  std::vector<Tensor> outputs;
  impl.arena.execute([&] { outputs = impl.executor.Run(*plan, inputs, records); });
  return outputs;
}

}  // namespace

std::vector<Tensor> Session::Run(const std::vector<NamedTensor>& named) {
  Impl& self = impl();
  return WithOrigin(self.origin, [&] { return RunImpl(self, named); });
}

detail::SessionFactory::ProfiledRun detail::SessionFactory::RunProfiled(Session& session,
                                                                         const std::vector<NamedTensor>& inputs) {
  Session::Impl& self = session.impl();
  ProfiledRun run;
  run.outputs = WithOrigin(self.origin, [&] { return RunImpl(self, inputs, &run); });
  return run;
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
