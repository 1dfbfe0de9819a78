#include "runtime/training_graphs.h"

#include <algorithm>
#include <set>

#include "axon/training.h"
#include "graph/autodiff.h"
#include "graph/op_schema.h"
#include "graph/rewrite.h"
#include "graph/verifier.h"

namespace axon::runtime {
namespace {

const std::vector<LossSpec>& Losses() {
  static const std::vector<LossSpec> losses = {
      {"mse", "MSELoss", false},
      {"bce", "BCELoss", false},
      {"bce-logits", "BCEWithLogitsLoss", false},
      {"ce", "SoftmaxCrossEntropyLoss", true},
      {"nll", "NegativeLogLikelihoodLoss", true},
  };
  return losses;
}

// Every value `value` is computed from, itself included.
std::set<std::string> Ancestors(const graph::GraphEditor& e, const std::string& value) {
  std::set<std::string> seen = {value};
  std::vector<std::string> stack = {value};
  while (!stack.empty()) {
    const std::string v = std::move(stack.back());
    stack.pop_back();
    if (const graph::Node* producer = e.Producer(v))
      for (const std::string& in : producer->inputs)
        if (!in.empty() && seen.insert(in).second) stack.push_back(in);
  }
  return seen;
}

bool TrainsInTrainingMode(const graph::Node& n) {
  if (n.op_type != "BatchNormalization") return false;
  const graph::AttrReader attrs(n, graph::SchemaFor(n));
  return attrs.Int("training_mode") == 1 || attrs.Int("exported_for_training") == 1;
}

}  // namespace

std::vector<std::string> RunningStatistics(const graph::Graph& forward) {
  std::vector<std::string> names;
  for (const graph::Node& n : forward.nodes) {
    if (!TrainsInTrainingMode(n)) continue;
    for (std::size_t k = 3; k < 5; ++k) {
      const std::string what = "node '" + n.name + "' (BatchNormalization, trained in training mode): its " +
                               (k == 3 ? "input_mean" : "input_var") + " '" + n.inputs[k] + "'";
      if (!forward.IsInitializer(n.inputs[k]))
        throw Error(ErrorCode::kUnsupported, what + " is not an initializer, so it cannot hold a running statistic");
      if (std::find(names.begin(), names.end(), n.inputs[k]) != names.end())
        throw Error(ErrorCode::kUnsupported, what + " is a running statistic of another node too");
      names.push_back(n.inputs[k]);
    }
  }
  return names;
}

const LossSpec& FindLoss(const std::string& name) {
  std::string known;
  for (const LossSpec& loss : Losses()) {
    if (loss.name == name) return loss;
    known += (known.empty() ? "" : ", ") + loss.name;
  }
  throw Error(ErrorCode::kInvalidArgument, "unknown loss '" + name + "' (known: " + known + ")");
}

graph::ValueInfo ModelOutput(const graph::Graph& forward) {
  if (forward.outputs.size() != 1) {
    std::string names;
    for (const auto& out : forward.outputs) names += (names.empty() ? "" : ", ") + out.name;
    throw Error(ErrorCode::kInvalidArgument, "the model has " + std::to_string(forward.outputs.size()) +
                                                 " outputs (" + names +
                                                 "); training needs exactly one, which feeds the loss");
  }
  const graph::ValueInfo& declared = forward.outputs[0];
  const auto inferred = forward.value_info.find(declared.name);
  graph::ValueInfo out = inferred != forward.value_info.end() ? inferred->second : declared;
  if (out.dtype != DType::kF32)
    throw Error(ErrorCode::kInvalidArgument, "the model's output " + out.ToString() + " is not f32: no loss applies to it");
  return out;
}

graph::ValueInfo LabelsFor(const graph::ValueInfo& output, const LossSpec& loss) {
  graph::ValueInfo labels{"labels", DType::kF32, output.shape};
  if (!loss.class_indices) return labels;
  // Scores [N, C, d...] take class indices [N, d...].
  labels.dtype = DType::kI64;
  if (output.shape.has_rank()) {
    if (output.shape.rank() < 2)
      throw Error(ErrorCode::kInvalidArgument, "loss '" + loss.name + "' needs class scores [N,C,...]; the model's output is " +
                                                   output.ToString());
    std::vector<graph::Dim> dims = output.shape.dims();
    dims.erase(dims.begin() + 1);
    labels.shape = graph::Shape(std::move(dims));
  }
  return labels;
}

graph::Graph BuildTrainingGraph(const graph::Graph& forward, const std::vector<std::string>& parameters,
                                const LossSpec& loss, GraphKind kind) {
  const graph::ValueInfo output = ModelOutput(forward);
  graph::Graph g = forward;
  graph::GraphEditor e(g);
  if (kind != GraphKind::kPredict) {
    graph::ValueInfo labels = LabelsFor(output, loss);
    labels.name = e.UniqueName("labels");
    g.inputs.push_back(std::move(labels));
  }
  const std::vector<std::string> statistics = RunningStatistics(forward);
  std::vector<std::string> fed = parameters;
  fed.insert(fed.end(), statistics.begin(), statistics.end());
  for (const std::string& p : fed) {
    const auto it = g.initializers.find(p);
    if (it == g.initializers.end())
      throw Error(ErrorCode::kInternal, "parameter or statistic '" + p + "' is not an initializer of the model");
    g.inputs.push_back(graph::ValueInfo{p, it->second.dtype(), graph::Shape::FromValues(it->second.shape())});
    g.initializers.erase(it);
  }
  // Batch statistics in the gradient graph, the running ones (the inference form) elsewhere.
  std::vector<graph::ValueInfo> new_statistics;
  for (graph::Node& n : g.nodes) {
    if (!TrainsInTrainingMode(n)) continue;
    n.attrs["training_mode"] = int64_t{kind == GraphKind::kGradient};
    n.outputs.resize(1);
    if (kind != GraphKind::kGradient) continue;
    for (std::size_t k = 3; k < 5; ++k) {
      const std::string out = e.UniqueName("new:" + n.inputs[k]);
      n.outputs.push_back(out);
      new_statistics.push_back(graph::ValueInfo{out, DType::kF32, graph::Shape::FromValues(forward.initializers.at(n.inputs[k]).shape())});
    }
  }
  e.Refresh();
  if (kind == GraphKind::kPredict) {
    graph::Verify(g);
    return g;
  }
  if (kind == GraphKind::kGradient && TakesSeed(forward)) {
    const std::string seed = e.UniqueName("rng_seed");
    int64_t stream = 0;
    for (graph::Node& n : g.nodes) {
      if (n.op_type != "Dropout" || (n.inputs.size() > 1 && !n.inputs[1].empty())) continue;
      n.inputs.resize(2);
      n.inputs[1] = seed;
      n.attrs["stream"] = stream++;
    }
    g.inputs.push_back(graph::ValueInfo{seed, DType::kI64, graph::Shape::FromValues({2})});
    e.Refresh();
  }
  const std::string labels = g.inputs[forward.inputs.size()].name;
  std::map<std::string, graph::Attribute> loss_attrs;
  if (loss.class_indices) loss_attrs["ignore_index"] = kIgnoredClass;
  const std::string loss_value = e.AddNode(loss.op_type, {output.name, labels}, 1, std::move(loss_attrs), "loss").outputs[0];
  g.outputs = {graph::ValueInfo{loss_value, DType::kF32, graph::Shape(std::vector<graph::Dim>{})}, output};
  e.Refresh();
  if (kind == GraphKind::kGradient) {
    // Outputs in a fixed order whatever autodiff appends: loss, output, one gradient a parameter.
    const std::vector<std::string> grads = graph::AppendGradients(g, loss_value, parameters);
    std::vector<graph::ValueInfo> outputs(g.outputs.begin(), g.outputs.begin() + 2);
    for (const std::string& grad : grads) {
      const auto it = std::find_if(g.outputs.begin(), g.outputs.end(), [&](const auto& v) { return v.name == grad; });
      if (it == g.outputs.end()) throw Error(ErrorCode::kInternal, "autodiff made no graph output '" + grad + "'");
      outputs.push_back(*it);
    }
    outputs.insert(outputs.end(), new_statistics.begin(), new_statistics.end());
    g.outputs = std::move(outputs);
  }
  graph::Verify(g);
  return g;
}

bool TakesSeed(const graph::Graph& forward) {
  return std::any_of(forward.nodes.begin(), forward.nodes.end(), [](const graph::Node& n) {
    return n.op_type == "Dropout" && (n.inputs.size() < 2 || n.inputs[1].empty());
  });
}

std::vector<std::string> TrainableParameters(const graph::Graph& forward, const LossSpec& loss,
                                             const std::vector<std::string>& frozen) {
  for (const std::string& name : frozen)
    if (!forward.IsInitializer(name))
      throw Error(ErrorCode::kInvalidArgument, "cannot freeze '" + name + "': the model has no initializer of that name");
  // Running statistics are updated by the step, never by the optimizer.
  const std::vector<std::string> statistics = RunningStatistics(forward);
  const graph::ValueInfo output = ModelOutput(forward);
  graph::Graph copy = forward;
  const graph::GraphEditor editor(copy);
  const std::set<std::string> reach = Ancestors(editor, output.name);
  // Read only by ops without a gradient rule (a Resize scale): nothing could differentiate it, and
  // asking autodiff to would fail the whole model.
  auto differentiable_use = [&](const std::string& name) {
    const auto& uses = editor.Consumers(name);
    return std::any_of(uses.begin(), uses.end(), [&](const graph::Use& u) { return graph::SchemaFor(copy.nodes[u.node]).has_grad(); });
  };
  std::vector<std::string> candidates;
  for (const auto& [name, t] : forward.initializers)
    if (t.dtype() == DType::kF32 && t.rank() >= 1 && reach.count(name) && differentiable_use(name) &&
        std::find(frozen.begin(), frozen.end(), name) == frozen.end() &&
        std::find(statistics.begin(), statistics.end(), name) == statistics.end())
      candidates.push_back(name);
  if (candidates.empty()) return candidates;
  // A gradient that a rule made reads the labels (every loss's gradient op takes them); the zeros
  // that autodiff gives a value no rule differentiated do not.
  graph::Graph g = BuildTrainingGraph(forward, candidates, loss, GraphKind::kGradient);
  graph::GraphEditor e(g);
  const std::string& labels = g.inputs[forward.inputs.size()].name;
  std::vector<std::string> trainable;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (Ancestors(e, g.outputs[2 + i].name).count(labels)) trainable.push_back(candidates[i]);
  return trainable;
}

graph::Graph BuildUpdateGraph(const std::vector<graph::ValueInfo>& parameters, const UpdateSpec& update) {
  // Value names are positional ("x0", "g0", "velocity0"): parameter names may be anything, and
  // the node names, which errors quote, carry them instead.
  graph::Graph g;
  g.name = "update";
  const std::size_t n = parameters.size();
  auto input = [&](const std::string& name, const graph::ValueInfo& like) {
    g.inputs.push_back(graph::ValueInfo{name, like.dtype, like.shape});
  };
  for (std::size_t i = 0; i < n; ++i) input("x" + std::to_string(i), parameters[i]);
  for (std::size_t i = 0; i < n; ++i) input("g" + std::to_string(i), parameters[i]);
  for (std::size_t i = 0; i < n; ++i)
    for (const std::string& slot : update.slots) input(slot + std::to_string(i), parameters[i]);
  g.inputs.push_back(graph::ValueInfo{"lr", DType::kF32, graph::Shape(std::vector<graph::Dim>{})});
  g.inputs.push_back(graph::ValueInfo{"step", DType::kI64, graph::Shape(std::vector<graph::Dim>{})});
  std::vector<graph::ValueInfo> new_slots;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    graph::Node node;
    node.name = "update:" + parameters[i].name;
    node.op_type = update.op_type;
    node.inputs = {"x" + k, "g" + k, "lr", "step"};
    node.outputs = {"new_x" + k};
    for (const std::string& slot : update.slots) {
      node.inputs.push_back(slot + k);
      node.outputs.push_back("new_" + slot + k);
      new_slots.push_back(graph::ValueInfo{"new_" + slot + k, parameters[i].dtype, parameters[i].shape});
    }
    node.attrs = update.attrs;
    g.outputs.push_back(graph::ValueInfo{"new_x" + k, parameters[i].dtype, parameters[i].shape});
    g.nodes.push_back(std::move(node));
  }
  g.outputs.insert(g.outputs.end(), new_slots.begin(), new_slots.end());
  graph::Verify(g);
  return g;
}

}  // namespace axon::runtime
