#include <map>
#include <memory>
#include <optional>

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "graph/verifier.h"
#include "runtime/executor.h"
#include "runtime/session_factory.h"

namespace axon {

const char* Version() { return "0.1.0"; }

std::string TensorInfo::ToString() const {
  std::string s = name + ": " + std::string(DTypeName(dtype)) + "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] >= 0 ? std::to_string(shape[i]) : symbols[i].empty() ? "?" : symbols[i];
  }
  return s + "]";
}

struct Session::Impl {
  Impl(graph::Graph graph, int thread_count)
      : executor(std::move(graph)), threads(thread_count), arena(thread_count) {}
  runtime::Executor executor;
  int threads;
  tbb::task_arena arena;
  std::vector<TensorInfo> inputs, outputs;
};

namespace {

TensorInfo ToInfo(const graph::ValueInfo& v) {
  TensorInfo info{v.name, v.dtype, {}, {}};
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

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Session detail::SessionFactory::FromModel(graph::Model model, const SessionOptions& options, const std::string& origin) {
  try {
    graph::Verify(model.graph);
  } catch (const Error& e) {
    throw Error(e.code(), origin + ": " + e.what());
  }
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  auto impl = std::make_unique<Session::Impl>(std::move(model.graph), threads);
  for (const auto& v : impl->executor.graph().inputs) impl->inputs.push_back(ToInfo(v));
  for (const auto& v : impl->executor.graph().outputs) impl->outputs.push_back(ToInfo(v));
  return Session(std::move(impl));
}

const graph::Graph& detail::SessionFactory::GraphOf(const Session& session) { return session.impl_->executor.graph(); }

Session Session::Load(const std::string& path, const SessionOptions& options) {
  return detail::SessionFactory::FromModel(formats::ReadModelFile(path), options, path);
}

Session Session::LoadFromBytes(const void* data, std::size_t size, const SessionOptions& options, const std::string& origin) {
  return detail::SessionFactory::FromModel(formats::ParseModel(data, size, origin), options, origin);
}

const std::vector<TensorInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Session::outputs() const { return impl_->outputs; }
int Session::threads() const { return impl_->threads; }

std::vector<Tensor> Session::Run(const std::vector<NamedTensor>& named) {
  const auto& declared = impl_->executor.graph().inputs;
  std::vector<std::optional<Tensor>> bound(declared.size());
  std::map<std::string, int64_t> symbols;
  for (const auto& [name, tensor] : named) {
    std::size_t i = 0;
    while (i < declared.size() && declared[i].name != name) ++i;
    if (i == declared.size()) {
      std::string names;
      for (const auto& d : impl_->inputs) names += (names.empty() ? "" : ", ") + d.ToString();
      throw Error(ErrorCode::kInvalidArgument, "model has no input '" + name + "' (inputs: " + names + ")");
    }
    if (bound[i]) throw Error(ErrorCode::kInvalidArgument, "input '" + name + "' is given twice");
    CheckInput(impl_->inputs[i], declared[i].shape, tensor, symbols);
    bound[i] = tensor;
  }
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < declared.size(); ++i) {
    if (!bound[i]) throw Error(ErrorCode::kInvalidArgument, "missing input " + impl_->inputs[i].ToString());
    inputs.push_back(*bound[i]);
  }
  std::vector<Tensor> outputs;
  impl_->arena.execute([&] { outputs = impl_->executor.Run(std::move(inputs)); });
  return outputs;
}

}  // namespace axon
