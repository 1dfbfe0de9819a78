#include "runtime/executor.h"

#include <set>

namespace axon::runtime {

Executor::Executor(graph::Graph graph) : graph_(std::move(graph)) {
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
  std::vector<int> last_reader(num_slots_, -1);
  for (std::size_t s = 0; s < steps_.size(); ++s)
    for (int in : steps_[s].inputs)
      if (in >= 0) last_reader[in] = static_cast<int>(s);
  for (std::size_t v = 0; v < num_slots_; ++v)
    if (last_reader[v] >= 0 && !keep.count(static_cast<int>(v)) && !constants_[v].defined())
      steps_[last_reader[v]].release.push_back(static_cast<int>(v));
}

std::vector<Tensor> Executor::Run(std::vector<Tensor> inputs) const {
  std::vector<Tensor> env = constants_;
  for (std::size_t i = 0; i < inputs.size(); ++i) env[input_slots_[i]] = std::move(inputs[i]);

  for (const Step& step : steps_) {
    const graph::Node& node = *step.node;
    graph::InferContext ctx(node, *step.schema);
    std::vector<const Tensor*> in_tensors;
    for (int s : step.inputs) {
      const Tensor* t = s < 0 ? nullptr : &env[s];
      in_tensors.push_back(t);
      ctx.inputs.push_back(t ? graph::ValueInfo{"", t->dtype(), graph::Shape::FromValues(t->shape())} : graph::ValueInfo{});
      ctx.input_values.push_back(t);
    }
    step.schema->RunInference(ctx);
    std::vector<Tensor*> out_tensors;
    for (std::size_t o = 0; o < step.outputs.size(); ++o) {
      const auto shape = ctx.outputs[o].shape.values();
      if (!shape)
        throw Error(ErrorCode::kInternal, node.Describe() + ": output shape " + ctx.outputs[o].shape.ToString() +
                                              " unknown at run time");
      Tensor& out = env[step.outputs[o]];
      out = Tensor::Zeros(ctx.outputs[o].dtype, *shape);
      out_tensors.push_back(&out);
    }
    KernelContext kctx(std::move(in_tensors), std::move(out_tensors), ctx.attrs, step.prepared.get());
    try {
      step.kernel->run(kctx);
    } catch (const Error& e) {
      throw Error(e.code(), node.Describe() + ": " + e.what());
    }
    for (int s : step.release) env[s] = Tensor();
  }

  std::vector<Tensor> outputs;
  for (int s : output_slots_) outputs.push_back(env[s]);
  return outputs;
}

}  // namespace axon::runtime
