#include "runtime/executor.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <unordered_map>
#include <utility>

namespace axon::runtime {

namespace {

// Whether p lies in one of `ranges` (sorted by start, disjoint: separate allocations).
bool InRanges(const char* p, const std::vector<std::pair<const char*, std::size_t>>& ranges) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), p,
                             [](const char* q, const auto& range) { return q < range.first; });
  return it != ranges.begin() && p < std::prev(it)->first + std::prev(it)->second;
}

std::vector<std::pair<const char*, std::size_t>> StorageRanges(const std::vector<Tensor>& tensors) {
  std::vector<std::pair<const char*, std::size_t>> ranges;
  for (const Tensor& t : tensors)
    if (t.nbytes()) ranges.emplace_back(static_cast<const char*>(t.raw_data()), t.nbytes());
  std::sort(ranges.begin(), ranges.end());
  return ranges;
}

}  // namespace

Executor::Executor(graph::Graph graph, int64_t memory_limit_bytes)
    : graph_(std::move(graph)), memory_limit_bytes_(memory_limit_bytes) {
  std::unordered_map<std::string, int> slot;
  auto slot_of = [&](const std::string& name) {
    auto [it, inserted] = slot.emplace(name, static_cast<int>(slot.size()));
    return it->second;
  };
  for (const auto& in : graph_.inputs) input_slots_.push_back(slot_of(in.name));
  for (const auto& [name, t] : graph_.initializers) slot_of(name);
  for (std::size_t index : graph::TopologicalOrder(graph_)) {
    const graph::Node& node = graph_.nodes[index];
    Step step{&node, &graph::SchemaFor(node), FindKernel(node.op_type), nullptr, {}, {}, {}};
    if (!step.kernel)
      throw Error(ErrorCode::kUnsupported, node.Describe() + ": no kernel for op '" + node.op_type + "' in this runtime");
    for (const std::string& in : node.inputs) step.inputs.push_back(in.empty() ? -1 : slot_of(in));
    for (const std::string& out : node.outputs) step.outputs.push_back(slot_of(out));
    steps_.push_back(std::move(step));
  }
  for (const auto& out : graph_.outputs) output_slots_.push_back(slot_of(out.name));
  num_slots_ = slot.size();

  constants_.resize(num_slots_);
  for (const auto& [name, t] : graph_.initializers) constants_[slot.at(name)] = t;
  constant_ranges_ = StorageRanges(constants_);

  for (Step& step : steps_) {
    if (!step.kernel->prepare) continue;
    graph::AttrReader attrs(*step.node, *step.schema);
    PrepareContext ctx{{}, attrs};
    for (int s : step.inputs) ctx.constants.push_back(s >= 0 && constants_[s].defined() ? &constants_[s] : nullptr);
    try {
      step.prepared = step.kernel->prepare(ctx);
    } catch (const Error& e) {
      throw Error(e.code(), step.node->Describe() + ": " + e.what());
    }
  }

  // Free each intermediate right after its last reader, so peak memory follows live values.
  const std::set<int> keep(output_slots_.begin(), output_slots_.end());
  // A value nothing reads is freed by the step that makes it.
  std::vector<int> last_reader(num_slots_, -1);
  for (std::size_t s = 0; s < steps_.size(); ++s) {
    for (int out : steps_[s].outputs) last_reader[out] = static_cast<int>(s);
    for (int in : steps_[s].inputs)
      if (in >= 0) last_reader[in] = static_cast<int>(s);
  }
  for (std::size_t v = 0; v < num_slots_; ++v)
    if (last_reader[v] >= 0 && !keep.count(static_cast<int>(v)) && !constants_[v].defined())
      steps_[last_reader[v]].release.push_back(static_cast<int>(v));
}

bool Executor::SharesStorage(const Tensor& t, const std::vector<std::pair<const char*, std::size_t>>& inputs) const {
  if (t.is_view()) return true;
  if (t.nbytes() == 0) return false;
  const char* p = static_cast<const char*>(t.raw_data());
  return InRanges(p, constant_ranges_) || InRanges(p, inputs);
}

std::vector<Tensor> Executor::Run(std::vector<Tensor> inputs) const {
  // The caller's input buffers, owning or not: an output must never share them.
  const auto input_ranges = StorageRanges(inputs);
  std::vector<Tensor> env = constants_;
  for (std::size_t i = 0; i < inputs.size(); ++i) env[input_slots_[i]] = std::move(inputs[i]);
  // Buffers this run allocated, with their size and how many live slots use them (an alias
  // shares its input's buffer): a buffer's bytes count against the limit until its last user
  // is released.
  struct Held {
    int64_t bytes;
    int users;
  };
  std::unordered_map<const void*, Held> held;
  int64_t live = 0;
  auto storage = [&](int s) { return std::as_const(env[s]).raw_data(); };
  auto release = [&](int s) {
    auto it = held.find(storage(s));
    if (it != held.end() && --it->second.users == 0) {
      live -= it->second.bytes;
      held.erase(it);
    }
    env[s] = Tensor();
  };

  for (const Step& step : steps_) {
    const graph::Node& node = *step.node;
    graph::InferContext ctx(node, *step.schema);
    std::vector<const Tensor*> in_tensors;
    for (std::size_t i = 0; i < step.inputs.size(); ++i) {
      const Tensor* t = step.inputs[i] < 0 ? nullptr : &env[step.inputs[i]];
      in_tensors.push_back(t);
      ctx.inputs.push_back(t ? graph::ValueInfo{node.inputs[i], t->dtype(), graph::Shape::FromValues(t->shape())}
                             : graph::ValueInfo{});
      ctx.input_values.push_back(t);
    }
    step.schema->RunInference(ctx);
    std::vector<std::vector<int64_t>> shapes;
    for (const graph::ValueInfo& info : ctx.outputs) {
      auto shape = info.shape.values();
      if (!shape)
        throw Error(ErrorCode::kInternal, node.Describe() + ": output shape " + info.shape.ToString() +
                                              " unknown at run time");
      shapes.push_back(std::move(*shape));
    }

    if (step.kernel->alias_input >= 0) {
      const int from = step.inputs[static_cast<std::size_t>(step.kernel->alias_input)];
      env[step.outputs[0]] = env[from].Reshaped(shapes[0]);
      if (auto it = held.find(storage(from)); it != held.end()) ++it->second.users;
    } else {
      std::vector<Tensor*> out_tensors;
      for (std::size_t o = 0; o < step.outputs.size(); ++o) {
        // Shape inference bounded the element count, so the byte count fits in int64.
        const graph::ValueInfo& info = ctx.outputs[o];
        const int64_t bytes = ElementCount(shapes[o]) * static_cast<int64_t>(DTypeSize(info.dtype));
        if (bytes > memory_limit_bytes_ - live)
          throw Error(ErrorCode::kInvalidArgument,
                      node.Describe() + ": output '" + info.name + "' " + std::string(DTypeName(info.dtype)) +
                          ShapeToString(shapes[o]) + " needs " + std::to_string(bytes) + " bytes; with the " +
                          std::to_string(live) +
                          " bytes of intermediates already held that exceeds the memory limit of " +
                          std::to_string(memory_limit_bytes_) + " bytes" + ctx.DescribeInputs());
        Tensor& out = env[step.outputs[o]];
        out = Tensor::Uninitialized(info.dtype, shapes[o]);  // kernels write every element of their outputs
        if (bytes) held[storage(step.outputs[o])] = Held{bytes, 1};
        live += bytes;
        out_tensors.push_back(&out);
      }
      KernelContext kctx(std::move(in_tensors), std::move(out_tensors), ctx.attrs, step.prepared.get());
      try {
        step.kernel->run(kctx);
      } catch (const Error& e) {
        throw Error(e.code(), node.Describe() + ": " + e.what());
      }
    }
    for (int s : step.release) release(s);
  }

  // The caller owns what Run returns and may write to it or free its input buffers afterwards,
  // so an output that is a weight or caller memory (the graph output is an initializer or a
  // graph input, or reaches one through an aliasing op such as Identity or Reshape) is copied.
  // The copies count against the memory limit like intermediates: a file may list one weight as
  // its output any number of times, or reach it through any number of Identity nodes. An output
  // listed twice shares one copy.
  std::vector<Tensor> outputs;
  std::unordered_map<int, Tensor> copies;
  for (std::size_t o = 0; o < output_slots_.size(); ++o) {
    const int s = output_slots_[o];
    if (!SharesStorage(env[s], input_ranges)) {
      outputs.push_back(env[s]);
      continue;
    }
    auto copy = copies.find(s);
    if (copy == copies.end()) {
      const auto bytes = static_cast<int64_t>(env[s].nbytes());
      if (bytes > memory_limit_bytes_ - live)
        throw Error(ErrorCode::kInvalidArgument,
                    "graph output '" + graph_.outputs[o].name + "' " + std::string(DTypeName(env[s].dtype())) +
                        ShapeToString(env[s].shape()) + " needs a copy of " + std::to_string(bytes) +
                        " bytes; with the " + std::to_string(live) +
                        " bytes already held that exceeds the memory limit of " + std::to_string(memory_limit_bytes_) +
                        " bytes");
      live += bytes;
      copy = copies.emplace(s, env[s].Clone()).first;
    }
    outputs.push_back(copy->second);
  }
  return outputs;
}

}  // namespace axon::runtime
