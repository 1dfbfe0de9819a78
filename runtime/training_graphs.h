// The graphs a TrainingSession runs, built from the model's forward graph (docs/training.md):
//   predict:  model inputs..., parameters..., statistics...          -> model output
//   evaluate: model inputs..., labels, parameters..., statistics...  -> loss, model output
//   gradient: model inputs..., labels, parameters..., statistics..., [seed]
//                 -> loss, model output, grad:<parameter>..., new statistics...
//   update:   parameters..., gradients..., slots..., lr, step -> new parameters..., new slots...
// Trainable parameters are graph inputs in all of them (never constants that a plan could fold or
// pack once), so one compiled graph serves every step.
#pragma once

#include <string>
#include <vector>

#include "graph/ir.h"

namespace axon::runtime {

// The loss op for a loss name and the labels it takes.
struct LossSpec {
  std::string name;     // "mse", "bce", "bce-logits", "ce", "nll"
  std::string op_type;  // "MSELoss", ...
  bool class_indices;   // labels are i64 class indices [N, d...] (else f32 of the output's shape)
};
// Throws axon::Error listing the known names.
const LossSpec& FindLoss(const std::string& name);

// The model's single output (dtype and shape as inferred) and the labels the loss wants for it.
// Throws axon::Error when the graph has more or fewer than one output, or the output's dtype
// does not suit the loss. The graph must have been verified.
graph::ValueInfo ModelOutput(const graph::Graph& forward);
graph::ValueInfo LabelsFor(const graph::ValueInfo& output, const LossSpec& loss);

enum class GraphKind { kPredict, kEvaluate, kGradient };

// The forward graph with `parameters` (initializers) turned into graph inputs and, for kEvaluate
// and kGradient, the labels input and the loss; for kGradient also the backward pass, and the
// training mode of the random ops: every Dropout reads a last graph input, the i64 [2] seed
// (seed, counter), each with its own stream (its rank among the graph's Dropout nodes), so the
// session draws new masks per step by feeding a new counter. Verified.
graph::Graph BuildTrainingGraph(const graph::Graph& forward, const std::vector<std::string>& parameters,
                                const LossSpec& loss, GraphKind kind);
// Whether the gradient graph of `forward` takes the seed input (it has a Dropout node).
bool TakesSeed(const graph::Graph& forward);

// The running statistics that training updates: input_mean then input_var of each
// BatchNormalization trained in training mode (training_mode 1, or exported_for_training 1: a
// PyTorch export of a model in train()), in node order. They are state, not parameters: graph
// inputs of every training graph (the inference form of predict and evaluate reads them), and
// the gradient graph, where those nodes run in training mode, outputs their new values. Throws
// axon::Error naming the node when one is not an initializer or is shared with another node.
std::vector<std::string> RunningStatistics(const graph::Graph& forward);

// The parameters a loss trains: the f32 initializers of rank >= 1 whose gradient the loss
// determines, less `frozen`. A value read only by ops without a gradient rule (a Resize scale) is
// left out first; then one whose gradient does not depend on the labels (every loss's gradient
// op reads them) is left out too: autodiff gave it zeros, as for BatchNormalization's running
// statistics, which its rule does not differentiate. Throws axon::Error for a frozen name that
// is no initializer.
std::vector<std::string> TrainableParameters(const graph::Graph& forward, const LossSpec& loss,
                                             const std::vector<std::string>& frozen);

// The optimizer op of every parameter. `slots` names each parameter's state tensors ("velocity";
// "m", "v"); attrs are the op's attributes.
struct UpdateSpec {
  std::string op_type;  // "SGD" or "Adam"
  std::vector<std::string> slots;
  std::map<std::string, graph::Attribute> attrs;
};
// Input order: parameter i, gradient i (for each i), then each parameter's slots (parameter
// major), then lr (f32 scalar) and step (i64 scalar). Outputs: new parameters, then new slots in
// the same order.
graph::Graph BuildUpdateGraph(const std::vector<graph::ValueInfo>& parameters, const UpdateSpec& update);

}  // namespace axon::runtime
