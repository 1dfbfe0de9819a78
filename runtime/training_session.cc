// TrainingSession: the gradient graph and the update graph (runtime/training_graphs.h), each run
// by an Executor into buffers the session owns, in one task arena. The update graph writes the
// parameters and optimizer state over themselves (its plan allows that: each optimizer op alone
// reads them, element by element), as torch.optim does: one copy of each, and no pass writing a
// second one. values[0] and values[1] hold the same tensors. Nothing is allocated per step once a
// batch shape has been planned.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include <tbb/task_arena.h>

#include "axon/training.h"
#include "formats/axon_format.h"
#include "formats/model_file.h"
#include "graph/default_passes.h"
#include "graph/op_schema.h"
#include "graph/verifier.h"
#include "runtime/executor.h"
#include "runtime/graph_optimizer.h"
#include "runtime/kernels/finite.h"
#include "runtime/session_common.h"
#include "runtime/sgd_fold.h"
#include "runtime/training_graphs.h"

namespace axon {
namespace {

using detail::WithOrigin;

[[noreturn]] void Invalid(const std::string& message) { throw Error(ErrorCode::kInvalidArgument, message); }

bool IsSgd(const std::string& name) { return name == "sgd" || name == "momentum"; }

// Checks the options as torch.optim's constructors do and fills in the defaults.
OptimizerOptions Resolved(OptimizerOptions o) {
  if (!IsSgd(o.name) && o.name != "adam" && o.name != "adamw")
    Invalid("unknown optimizer '" + o.name + "' (known: sgd, momentum, adam, adamw)");
  const std::string what = "optimizer " + o.name + ": ";
  if (!o.lr) o.lr = IsSgd(o.name) ? 0.01f : 0.001f;
  if (!(*o.lr >= 0.0f) || !std::isfinite(*o.lr)) Invalid(what + "learning rate must be finite and >= 0, got " + std::to_string(*o.lr));
  if (!o.weight_decay) o.weight_decay = o.name == "adamw" ? 0.01f : 0.0f;
  if (!(*o.weight_decay >= 0.0f) || !std::isfinite(*o.weight_decay))
    Invalid(what + "weight decay must be finite and >= 0, got " + std::to_string(*o.weight_decay));
  if (IsSgd(o.name)) {
    if (!o.momentum) o.momentum = o.name == "momentum" ? 0.9f : 0.0f;
    if (!(*o.momentum >= 0.0f) || !std::isfinite(*o.momentum))
      Invalid(what + "momentum must be finite and >= 0, got " + std::to_string(*o.momentum));
    if (!std::isfinite(o.dampening)) Invalid(what + "dampening must be finite");
    if (o.nesterov && (*o.momentum <= 0.0f || o.dampening != 0.0f))
      Invalid(what + "Nesterov momentum requires a momentum > 0 and zero dampening");
    return o;
  }
  if (o.momentum || o.dampening != 0.0f || o.nesterov) Invalid(what + "momentum, dampening and nesterov apply to sgd and momentum only");
  if (!(o.beta1 >= 0.0f && o.beta1 < 1.0f)) Invalid(what + "beta1 must be in [0, 1), got " + std::to_string(o.beta1));
  if (!(o.beta2 >= 0.0f && o.beta2 < 1.0f)) Invalid(what + "beta2 must be in [0, 1), got " + std::to_string(o.beta2));
  if (!(o.epsilon >= 0.0f) || !std::isfinite(o.epsilon)) Invalid(what + "epsilon must be finite and >= 0, got " + std::to_string(o.epsilon));
  return o;
}

runtime::UpdateSpec UpdateFor(const OptimizerOptions& o) {
  if (IsSgd(o.name)) {
    runtime::UpdateSpec spec{"SGD", {}, {}};
    if (*o.momentum != 0.0f) spec.slots = {"velocity"};
    spec.attrs = {{"momentum", *o.momentum},
                  {"dampening", o.dampening},
                  {"nesterov", int64_t{o.nesterov}},
                  {"weight_decay", *o.weight_decay}};
    return spec;
  }
  return {"Adam",
          {"m", "v"},
          {{"beta1", o.beta1},
           {"beta2", o.beta2},
           {"epsilon", o.epsilon},
           {"weight_decay", *o.weight_decay},
           {"decoupled", int64_t{o.name == "adamw"}}}};
}

// The optimizer's settings as a checkpoint keeps them (doubles hold every float exactly).
std::map<std::string, double> HyperParameters(const OptimizerOptions& o) {
  if (IsSgd(o.name))
    return {{"lr", *o.lr}, {"momentum", *o.momentum}, {"dampening", o.dampening}, {"nesterov", o.nesterov ? 1.0 : 0.0},
            {"weight_decay", *o.weight_decay}};
  return {{"lr", *o.lr}, {"beta1", o.beta1}, {"beta2", o.beta2}, {"epsilon", o.epsilon}, {"weight_decay", *o.weight_decay}};
}

// Takes the optimizer's settings out of `hyper` (what is left belongs to the training loop).
// Steps and epochs are counted far below int64's end, so that step + 1 never overflows.
constexpr int64_t kMaxStep = int64_t{1} << 62;
// The hyper-parameter under which a checkpoint records how many parameters it trains.
constexpr const char* kTrainedParameters = "trained_parameters";

OptimizerOptions FromHyperParameters(const std::string& name, std::map<std::string, double>& hyper) {
  OptimizerOptions o;
  o.name = name;
  auto take = [&](const std::string& key) {
    const auto it = hyper.find(key);
    if (it == hyper.end()) Invalid("the checkpoint's training state has no hyper-parameter '" + key + "' for optimizer " + name);
    const double v = it->second;
    hyper.erase(it);
    return static_cast<float>(v);
  };
  o.lr = take("lr");
  o.weight_decay = take("weight_decay");
  if (IsSgd(name)) {
    o.momentum = take("momentum");
    o.dampening = take("dampening");
    o.nesterov = take("nesterov") != 0.0f;
  } else if (name == "adam" || name == "adamw") {
    o.beta1 = take("beta1");
    o.beta2 = take("beta2");
    o.epsilon = take("epsilon");
  }
  return o;
}

// A BatchNormalization in training mode (ONNX's training_mode 1: PyTorch's export of a model in
// train() from opset 14 on) is written in the inference form, marked as a training export: the
// file is an inference model reading the running statistics, and a TrainingSession that loads it
// trains the node in training mode again. Its running-statistics outputs go (nothing may read them).
void WriteInferenceForm(graph::Graph& g) {
  std::set<std::string> read;
  for (const graph::Node& n : g.nodes) read.insert(n.inputs.begin(), n.inputs.end());
  for (const graph::ValueInfo& out : g.outputs) read.insert(out.name);
  for (graph::Node& n : g.nodes) {
    if (n.op_type != "BatchNormalization" || graph::AttrReader(n, graph::SchemaFor(n)).Int("training_mode") != 1) continue;
    if (std::any_of(n.outputs.begin() + 1, n.outputs.end(), [&](const std::string& o) { return !o.empty() && read.count(o); }))
      continue;  // kept as the model has it: its running statistics are read
    n.attrs["training_mode"] = int64_t{0};
    n.attrs["exported_for_training"] = int64_t{1};
    n.outputs.resize(1);
  }
}

std::string NonFinite(const std::vector<std::string>& names, std::span<const Tensor> values) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (kernels::FirstNonFinite(values[i].data<float>(), values[i].size()) >= 0) return names[i];
  return "";
}

// Refuses a tensor holding NaN or infinity on the way in (a hand-made model, or a checkpoint
// older than its checksum): trained on, it would surface steps later as a NaN loss blamed on the
// learning rate.
void RequireFinite(const Tensor& t, const std::string& what) {
  const float* p = t.data<float>();
  if (const int64_t k = kernels::FirstNonFinite(p, t.size()); k >= 0)
    Invalid(what + " holds " + (std::isnan(p[k]) ? "NaN" : std::string(p[k] > 0 ? "+inf" : "-inf")) + " (element " +
            std::to_string(k) + " of " + std::to_string(t.size()) + "): training needs finite values");
}

// The graph passes, as Session runs them.
// (Parameters are graph inputs of these graphs, so constant folding cannot touch them.)
graph::Graph Optimized(graph::Graph g, int opt_level) {
  runtime::OptimizeGraph(g, {.opt_level = opt_level});
  return g;
}

// A graph compiled for this session's runs, with its inputs as the public API describes them.
struct Compiled {
  Compiled(graph::Graph g, int opt_level, runtime::ExecutorOptions options)
      : Compiled(Optimized(std::move(g), opt_level), std::move(options)) {}
  // A graph that went through the passes already.
  Compiled(graph::Graph optimized, runtime::ExecutorOptions options) : executor(std::move(optimized), std::move(options)) {
    for (const auto& v : executor.graph().inputs) infos.push_back(detail::ToInfo(v));
  }
  runtime::Executor executor;
  std::vector<TensorInfo> infos;
};

// Plain SGD (no momentum) is what the fold computes bit for bit (runtime/sgd_fold.h).
bool FoldsSgd(const OptimizerOptions& o) { return IsSgd(o.name) && *o.momentum == 0.0f; }

}  // namespace

// Hidden although nested in an exported class (whose members would otherwise be exported too).
struct __attribute__((visibility("hidden"))) TrainingSession::Impl {
  Impl(int thread_count, std::string model_origin) : threads(thread_count), arena(thread_count), origin(std::move(model_origin)) {}

  int threads;
  tbb::task_arena arena;
  std::string origin;
  TrainingOptions options;
  const runtime::LossSpec* loss = nullptr;
  graph::Model model;     // as loaded: what SaveModel writes, with the parameters of the moment
  graph::Graph forward;   // verified, for the predict and evaluate graphs (made on first use)
  runtime::ExecutorOptions executor_options;
  std::vector<TensorInfo> inputs;
  TensorInfo output, labels;
  std::vector<std::string> parameters;
  std::vector<std::string> slots;  // the optimizer's state per parameter: none, velocity, or m and v
  std::unique_ptr<Compiled> gradient, update, predict, evaluate;

  // values[c]: the parameters, then their slots (parameter major); the update reads values[current].
  std::vector<Tensor> values[2];
  int current = 0;
  // BatchNormalization's running statistics (runtime::RunningStatistics): double-buffered too, the
  // gradient graph reading statistics[current_statistics] and writing the other copy.
  std::vector<std::string> statistic_names;
  std::vector<Tensor> statistics[2];
  int current_statistics = 0;
  Tensor lr, step_value;
  int64_t step = 0;
  // Dropout's generator: draw k uses (options.seed, k); seed_value feeds the gradient graph.
  bool takes_seed = false;
  uint64_t rng_counter = 0;
  Tensor seed_value;
  bool gradients_ready = false;
  // model inputs, labels, values[c]'s parameters, the statistics, [the seed]
  std::vector<Tensor> gradient_inputs[2];
  std::vector<Tensor> gradient_outputs;    // loss, prediction, gradients, new statistics
  std::vector<Tensor> update_inputs[2];    // values[c]'s parameters, gradients, values[c]'s slots, lr, step
  std::vector<Tensor> prediction_buffers;  // one per recent batch shape
  TrainingLoopState loop;
  std::atomic<bool> busy{false};  // a run in progress: concurrent use is refused, not raced

  // Step's graph with plain SGD folded into the weight gradients (runtime/sgd_fold.h), made on the
  // first Step; Step takes the two phases instead when the optimizer is another, when no weight
  // folds, or when a batch's plan cannot update the weights in place. ComputeGradients and
  // ApplyOptimizer never fold: there the gradients are kept for the caller.
  struct FoldedStep {
    runtime::SgdFold layout;  // graph moved into `step`
    std::unique_ptr<Compiled> step;
    std::unique_ptr<Compiled> rest;  // the update graph of the unfolded parameters; null when none
    std::vector<Tensor> inputs[2];   // gradient_inputs[c], then lr
    std::vector<Tensor> outputs;     // loss, prediction, unfolded gradients, new statistics, folded weights
    std::vector<Tensor> rest_inputs[2], rest_outputs[2];
  };
  std::unique_ptr<FoldedStep> folded;
  bool fold_tried = false;
  bool gradients_folded = false;  // the last step kept no gradients (a folded Step)

  std::size_t num_parameters() const { return parameters.size(); }
  std::span<const Tensor> Parameters() const { return std::span(values[current]).first(num_parameters()); }
  std::span<Tensor> Gradients() { return std::span(gradient_outputs).subspan(2, num_parameters()); }
  const Tensor& Slot(std::size_t parameter, std::size_t slot) const {
    return values[current][num_parameters() + parameter * slots.size() + slot];
  }
  Compiled& Forward(runtime::GraphKind kind);
  std::vector<Tensor> RunForward(runtime::GraphKind kind, std::span<const Tensor> inputs, const Tensor* labels);
  float ComputeGradients(std::span<const Tensor> inputs, const Tensor& labels);
  void ApplyOptimizer();
  // Step's work through the folded graph; nullopt when it cannot take it (then nothing ran).
  std::optional<float> StepFolded(std::span<const Tensor> inputs, const Tensor& labels);
  FoldedStep* Folded();
  void SetGradientInputs(std::span<const Tensor> batch, const Tensor& batch_labels, std::vector<Tensor>& in);
  Tensor& PredictionBuffer(const runtime::Plan::Output& want);
  void CheckStepLimit() const;
  graph::Model CurrentModel(const std::string& path) const;
};

namespace {

std::unique_ptr<TrainingSession::Impl> Make(graph::Model model, TrainingOptions options, const std::string& origin) {
  const int threads = detail::ThreadsFor(options.session);
  auto impl = std::make_unique<TrainingSession::Impl>(threads, origin);
  TrainingSession::Impl& s = *impl;
  s.loss = &runtime::FindLoss(options.loss);
  options.optimizer = Resolved(options.optimizer);
  s.options = options;
  s.forward = model.graph;
  graph::Verify(s.forward);
  s.model = std::move(model);
  s.parameters = runtime::TrainableParameters(s.forward, *s.loss, options.frozen);
  if (s.parameters.empty())
    Invalid("nothing to train: no f32 initializer of rank >= 1 that the loss depends on" +
            std::string(options.frozen.empty() ? "" : " is left unfrozen"));
  s.executor_options = detail::ExecutorOptionsFor(options.session, threads);
  s.gradient = std::make_unique<Compiled>(
      runtime::BuildTrainingGraph(s.forward, s.parameters, *s.loss, runtime::GraphKind::kGradient),
      options.session.opt_level, s.executor_options);

  const std::size_t n = s.parameters.size();
  const std::size_t model_inputs = s.forward.inputs.size();
  s.inputs.assign(s.gradient->infos.begin(), s.gradient->infos.begin() + static_cast<std::ptrdiff_t>(model_inputs));
  s.labels = s.gradient->infos[model_inputs];
  s.output = detail::ToInfo(runtime::ModelOutput(s.forward));

  const runtime::UpdateSpec update = UpdateFor(options.optimizer);
  s.slots = update.slots;
  std::vector<graph::ValueInfo> infos;
  for (std::size_t i = 0; i < n; ++i) {
    const Tensor& t = s.forward.initializers.at(s.parameters[i]);
    RequireFinite(t, "trainable parameter '" + s.parameters[i] + "'");
    infos.push_back(graph::ValueInfo{s.parameters[i], t.dtype(), graph::Shape::FromValues(t.shape())});
    // A view or read-only weight (a model built in memory) is copied: the updates write here.
    s.values[0].push_back(t.is_view() || t.read_only() ? t.Clone() : t);
  }
  s.statistic_names = runtime::RunningStatistics(s.forward);
  for (const std::string& name : s.statistic_names) {
    const Tensor& t = s.forward.initializers.at(name);
    if (t.dtype() != DType::kF32) Invalid("running statistic '" + name + "' is not f32");
    RequireFinite(t, "running statistic '" + name + "'");
    s.statistics[0].push_back(t.is_view() || t.read_only() ? t.Clone() : t);
    s.statistics[1].push_back(Tensor::Uninitialized(t.dtype(), t.shape()));
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < s.slots.size(); ++k) s.values[0].push_back(Tensor::Zeros(DType::kF32, s.values[0][i].shape()));
  s.values[1] = s.values[0];  // the same buffers: updated in place
  s.update = std::make_unique<Compiled>(runtime::BuildUpdateGraph(infos, update), options.session.opt_level, s.executor_options);

  s.lr = Tensor::Zeros(DType::kF32, {});
  s.lr.data<float>()[0] = *options.optimizer.lr;
  s.step_value = Tensor::Zeros(DType::kI64, {});
  s.takes_seed = runtime::TakesSeed(s.forward);
  s.seed_value = Tensor::Zeros(DType::kI64, {2});
  s.gradient_outputs.push_back(Tensor::Zeros(DType::kF32, {}));
  s.gradient_outputs.emplace_back();  // the prediction buffer of the batch at hand
  for (std::size_t i = 0; i < n; ++i) s.gradient_outputs.push_back(Tensor::Zeros(DType::kF32, s.values[0][i].shape()));
  s.gradient_outputs.insert(s.gradient_outputs.end(), s.statistics[1].begin(), s.statistics[1].end());
  for (int c = 0; c < 2; ++c) {
    std::vector<Tensor>& in = s.gradient_inputs[c];
    in.resize(model_inputs + 1);
    in.insert(in.end(), s.values[c].begin(), s.values[c].begin() + static_cast<std::ptrdiff_t>(n));
    in.insert(in.end(), s.statistics[0].begin(), s.statistics[0].end());  // replaced per run
    if (s.takes_seed) in.push_back(s.seed_value);
    std::vector<Tensor>& up = s.update_inputs[c];
    up.assign(s.values[c].begin(), s.values[c].begin() + static_cast<std::ptrdiff_t>(n));
    up.insert(up.end(), s.gradient_outputs.begin() + 2, s.gradient_outputs.begin() + 2 + static_cast<std::ptrdiff_t>(n));
    up.insert(up.end(), s.values[c].begin() + static_cast<std::ptrdiff_t>(n), s.values[c].end());
    up.push_back(s.lr);
    up.push_back(s.step_value);
  }
  return impl;
}

}  // namespace

Compiled& TrainingSession::Impl::Forward(runtime::GraphKind kind) {
  std::unique_ptr<Compiled>& compiled = kind == runtime::GraphKind::kPredict ? predict : evaluate;
  if (!compiled)
    compiled = std::make_unique<Compiled>(runtime::BuildTrainingGraph(forward, parameters, *loss, kind),
                                          options.session.opt_level, executor_options);
  return *compiled;
}

std::vector<Tensor> TrainingSession::Impl::RunForward(runtime::GraphKind kind, std::span<const Tensor> batch,
                                                      const Tensor* batch_labels) {
  if (batch.size() != inputs.size())
    Invalid("the model has " + std::to_string(inputs.size()) + " inputs, got " + std::to_string(batch.size()));
  Compiled& c = Forward(kind);
  std::vector<Tensor> in(batch.begin(), batch.end());
  if (batch_labels) in.push_back(*batch_labels);
  for (const Tensor& p : Parameters()) in.push_back(p);
  for (const Tensor& t : statistics[current_statistics]) in.push_back(t);
  const auto plan = detail::PlanFor(c.executor, c.infos, arena, in);
  std::vector<Tensor> out;
  arena.execute([&] { out = c.executor.Run(*plan, in); });
  return out;
}

// The gradient graph's inputs for a batch (the folded step's begin with the same).
void TrainingSession::Impl::SetGradientInputs(std::span<const Tensor> batch, const Tensor& batch_labels,
                                              std::vector<Tensor>& in) {
  if (batch.size() != inputs.size())
    Invalid("the model has " + std::to_string(inputs.size()) + " inputs, got " + std::to_string(batch.size()));
  // The mean loss of no samples is 0/0: say so rather than report a NaN loss.
  for (const Tensor& t : batch)
    if (t.rank() >= 1 && t.shape()[0] == 0) Invalid("an empty batch (0 samples in dim 0 of an input) has no loss to train on");
  // Handles are assigned into slots that exist already: no allocation once shapes repeat.
  for (std::size_t i = 0; i < batch.size(); ++i) in[i] = batch[i];
  in[batch.size()] = batch_labels;
  // The statistics are read from one copy and updated into the other.
  const std::size_t first_statistic = batch.size() + 1 + num_parameters();
  for (std::size_t k = 0; k < statistic_names.size(); ++k) in[first_statistic + k] = statistics[current_statistics][k];
}

Tensor& TrainingSession::Impl::PredictionBuffer(const runtime::Plan::Output& want) {
  auto found = std::find_if(prediction_buffers.begin(), prediction_buffers.end(),
                            [&](const Tensor& t) { return t.shape() == want.shape; });
  if (found == prediction_buffers.end()) {
    constexpr std::size_t kKept = 4;  // a full batch, the last partial one, a validation batch...
    if (prediction_buffers.size() >= kKept) prediction_buffers.erase(prediction_buffers.begin());
    prediction_buffers.push_back(Tensor::Uninitialized(want.dtype, want.shape));
    found = prediction_buffers.end() - 1;
  }
  return *found;
}

float TrainingSession::Impl::ComputeGradients(std::span<const Tensor> batch, const Tensor& batch_labels) {
  std::vector<Tensor>& in = gradient_inputs[current];
  SetGradientInputs(batch, batch_labels, in);
  for (std::size_t k = 0; k < statistic_names.size(); ++k)
    gradient_outputs[2 + num_parameters() + k] = statistics[1 - current_statistics][k];
  const auto plan = detail::PlanFor(gradient->executor, gradient->infos, arena, in);
  gradient_outputs[1] = PredictionBuffer(plan->outputs[1]);
  gradients_ready = false;
  gradients_folded = false;
  if (takes_seed) {  // a new draw of every mask, numbered
    seed_value.data<int64_t>()[0] = static_cast<int64_t>(options.seed);
    seed_value.data<int64_t>()[1] = static_cast<int64_t>(rng_counter++);
  }
  arena.execute([&] { gradient->executor.Run(*plan, in, gradient_outputs); });
  if (!statistic_names.empty()) current_statistics = 1 - current_statistics;
  gradients_ready = true;
  return gradient_outputs[0].data<float>()[0];
}

TrainingSession::Impl::FoldedStep* TrainingSession::Impl::Folded() {
  if (fold_tried) return folded.get();
  fold_tried = true;
  if (!FoldsSgd(options.optimizer)) return nullptr;
  runtime::SgdFold layout = runtime::FoldSgd(gradient->executor.graph(), parameters, *options.optimizer.weight_decay);
  if (layout.folded.empty()) return nullptr;
  auto f = std::make_unique<FoldedStep>();
  f->step = std::make_unique<Compiled>(std::move(layout.graph), executor_options);
  f->layout = std::move(layout);
  f->outputs.resize(2 + f->layout.unfolded.size() + statistic_names.size() + f->layout.folded.size());
  f->outputs[0] = gradient_outputs[0];
  for (std::size_t u = 0; u < f->layout.unfolded.size(); ++u) f->outputs[2 + u] = gradient_outputs[2 + f->layout.unfolded[u]];
  const std::size_t first_weight = 2 + f->layout.unfolded.size() + statistic_names.size();
  for (std::size_t k = 0; k < f->layout.folded.size(); ++k) f->outputs[first_weight + k] = values[0][f->layout.folded[k]];
  std::vector<graph::ValueInfo> rest;
  for (std::size_t i : f->layout.unfolded) {
    const Tensor& t = values[0][i];
    rest.push_back(graph::ValueInfo{parameters[i], t.dtype(), graph::Shape::FromValues(t.shape())});
  }
  if (!rest.empty())
    f->rest = std::make_unique<Compiled>(runtime::BuildUpdateGraph(rest, UpdateFor(options.optimizer)),
                                         options.session.opt_level, executor_options);
  for (int c = 0; c < 2; ++c) {
    f->inputs[c] = gradient_inputs[c];
    f->inputs[c].push_back(lr);
    // No slots (no momentum): parameters, gradients, lr, step; the new parameters over the old.
    for (std::size_t i : f->layout.unfolded) f->rest_inputs[c].push_back(values[c][i]);
    for (std::size_t i : f->layout.unfolded) f->rest_inputs[c].push_back(gradient_outputs[2 + i]);
    f->rest_inputs[c].push_back(lr);
    f->rest_inputs[c].push_back(step_value);
    for (std::size_t i : f->layout.unfolded) f->rest_outputs[c].push_back(values[1 - c][i]);
  }
  folded = std::move(f);
  return folded.get();
}

void TrainingSession::Impl::CheckStepLimit() const {
  if (step >= kMaxStep - 1) Invalid("optimizer step " + std::to_string(step) + " is the last one counted (2^62)");
}

std::optional<float> TrainingSession::Impl::StepFolded(std::span<const Tensor> batch, const Tensor& batch_labels) {
  FoldedStep* f = Folded();
  if (!f) return std::nullopt;
  CheckStepLimit();
  std::vector<Tensor>& in = f->inputs[current];
  SetGradientInputs(batch, batch_labels, in);
  const auto plan = detail::PlanFor(f->step->executor, f->step->infos, arena, in);
  // Every folded weight's new value must be the plan's update in place of the weight itself.
  const std::size_t first_weight = 2 + f->layout.unfolded.size() + statistic_names.size();
  const std::size_t first_parameter = batch.size() + 1;
  for (std::size_t k = 0; k < f->layout.folded.size(); ++k) {
    const auto pair = std::make_pair(static_cast<int32_t>(first_weight + k),
                                     static_cast<int32_t>(first_parameter + f->layout.folded[k]));
    if (std::find(plan->in_place_outputs.begin(), plan->in_place_outputs.end(), pair) == plan->in_place_outputs.end())
      return std::nullopt;
  }
  for (std::size_t k = 0; k < statistic_names.size(); ++k)
    f->outputs[2 + f->layout.unfolded.size() + k] = statistics[1 - current_statistics][k];
  gradient_outputs[1] = f->outputs[1] = PredictionBuffer(plan->outputs[1]);
  gradients_ready = false;
  gradients_folded = true;
  if (takes_seed) {
    seed_value.data<int64_t>()[0] = static_cast<int64_t>(options.seed);
    seed_value.data<int64_t>()[1] = static_cast<int64_t>(rng_counter++);
  }
  arena.execute([&] { f->step->executor.Run(*plan, in, f->outputs); });
  if (!statistic_names.empty()) current_statistics = 1 - current_statistics;
  const float loss = f->outputs[0].data<float>()[0];
  if (!std::isfinite(loss)) return loss;  // the folded steps left their weights alone; Step refuses
  if (f->rest) {
    step_value.data<int64_t>()[0] = step + 1;
    std::vector<Tensor>& rest_in = f->rest_inputs[current];
    const auto rest_plan = detail::PlanFor(f->rest->executor, f->rest->infos, arena, rest_in);
    arena.execute([&] { f->rest->executor.Run(*rest_plan, rest_in, f->rest_outputs[current]); });
  }
  current = 1 - current;
  ++step;
  return loss;
}

void TrainingSession::Impl::ApplyOptimizer() {
  if (!gradients_ready) Invalid("ApplyOptimizer needs gradients: call ComputeGradients first (once per step)");
  CheckStepLimit();
  step_value.data<int64_t>()[0] = step + 1;  // the optimizer ops take the 1-based number of this step
  std::vector<Tensor>& in = update_inputs[current];
  const std::size_t n = num_parameters();
  for (std::size_t i = 0; i < n; ++i) in[n + i] = gradient_outputs[2 + i];  // the reduce hook may have replaced them
  const auto plan = detail::PlanFor(update->executor, update->infos, arena, in);
  std::vector<Tensor>& out = values[1 - current];  // the same buffers as values[current]: in place
  arena.execute([&] { update->executor.Run(*plan, in, out); });
  current = 1 - current;
  ++step;
  gradients_ready = false;
}

graph::Model TrainingSession::Impl::CurrentModel(const std::string& path) const {
  const std::string when = " after optimizer step " + std::to_string(step) + " (training diverged)";
  if (const std::string bad = NonFinite(parameters, Parameters()); !bad.empty())
    Invalid(path + ": not written: parameter '" + bad + "' holds NaN or infinity" + when);
  if (const std::string bad = NonFinite(statistic_names, statistics[current_statistics]); !bad.empty())
    Invalid(path + ": not written: running statistic '" + bad + "' holds NaN or infinity" + when);
  graph::Model m = model;
  for (std::size_t i = 0; i < parameters.size(); ++i) m.graph.initializers[parameters[i]] = values[current][i];
  for (std::size_t k = 0; k < statistic_names.size(); ++k)
    m.graph.initializers[statistic_names[k]] = statistics[current_statistics][k];
  WriteInferenceForm(m.graph);
  return m;
}

TrainingSession::TrainingSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrainingSession::TrainingSession(TrainingSession&&) noexcept = default;
TrainingSession& TrainingSession::operator=(TrainingSession&&) noexcept = default;
TrainingSession::~TrainingSession() = default;

namespace {

// Holds a session's busy flag for one call. A second thread's call throws instead of racing
// on the shared buffers (plans, parameters, gradients).
class Exclusive {
 public:
  explicit Exclusive(std::atomic<bool>& busy) : busy_(busy) {
    if (busy_.exchange(true, std::memory_order_acquire))
      throw Error(ErrorCode::kInvalidArgument,
                  "TrainingSession is not thread-safe: another thread is using this session (one call at a time)");
  }
  ~Exclusive() { busy_.store(false, std::memory_order_release); }
  Exclusive(const Exclusive&) = delete;
  Exclusive& operator=(const Exclusive&) = delete;

 private:
  std::atomic<bool>& busy_;
};

}  // namespace

TrainingSession::Impl& TrainingSession::impl() const {
  if (!impl_) throw Error(ErrorCode::kInvalidArgument, "this axon::TrainingSession was moved from and holds no model");
  return *impl_;
}

TrainingSession TrainingSession::Load(const std::string& path, const TrainingOptions& options) {
  return WithOrigin(path, [&] { return TrainingSession(Make(formats::ReadAnyModelFile(path), options, path)); });
}

TrainingSession TrainingSession::LoadFromBytes(const void* data, std::size_t size, const TrainingOptions& options,
                                               const std::string& origin) {
  return WithOrigin(origin, [&] {
    if (!data && size > 0) Invalid("LoadFromBytes of a null pointer with size " + std::to_string(size));
    return TrainingSession(Make(formats::ParseAnyModel(data, size, origin), options, origin));
  });
}

TrainingSession TrainingSession::Resume(const std::string& path, const SessionOptions& session_options) {
  return WithOrigin(path, [&] {
    formats::Checkpoint c = formats::ReadCheckpointFile(path);
    if (!c.training)
      Invalid("has no training state: not a checkpoint (TrainingSession::SaveCheckpoint and axon train --checkpoint write "
              "them), or one cut short");
    formats::TrainingState& t = *c.training;
    if (t.loss.empty()) Invalid("the checkpoint does not record its loss, so training cannot resume");
    if (t.step < 0 || t.step >= kMaxStep)
      Invalid("the checkpoint's step " + std::to_string(t.step) + " is out of range (0 to 2^62)");
    if (t.epoch < 0 || t.epoch >= kMaxStep)
      Invalid("the checkpoint's epoch " + std::to_string(t.epoch) + " is out of range (0 to 2^62)");
    TrainingOptions options;
    options.session = session_options;
    options.loss = t.loss;
    options.seed = t.rng_seed;
    std::map<std::string, double> rest = t.hyper_parameters;
    options.optimizer = FromHyperParameters(t.optimizer, rest);
    // The parameters trained before are the ones trained now: the others were frozen.
    graph::Graph verified = c.model.graph;
    graph::Verify(verified);
    const std::vector<std::string> all = runtime::TrainableParameters(verified, runtime::FindLoss(t.loss), {});
    for (const auto& [name, slots] : t.slots)
      if (std::find(all.begin(), all.end(), name) == all.end())
        Invalid("the checkpoint trains '" + name + "', which is no trainable parameter of its model");
    // A checkpoint records how many parameters it trains, so that one whose optimizer state was
    // lost or cut out is refused instead of silently freezing those parameters.
    if (const auto it = rest.find(kTrainedParameters); it != rest.end()) {
      const double count = it->second;
      rest.erase(it);
      if (count != static_cast<double>(t.slots.size()))
        for (const std::string& name : all)
          if (!t.slots.count(name))
            Invalid("the checkpoint has no optimizer state for parameter '" + name + "', which it trains (" +
                    std::to_string(t.slots.size()) + " of the " + std::to_string(static_cast<int64_t>(std::clamp(count, 0.0, 1e15))) +
                    " trained parameters have state)");
    }
    for (const std::string& name : all)
      if (!t.slots.count(name)) options.frozen.push_back(name);

    auto impl = Make(std::move(c.model), options, path);
    Impl& s = *impl;
    for (std::size_t i = 0; i < s.parameters.size(); ++i) {
      const auto& saved = t.slots.at(s.parameters[i]);
      if (saved.size() != s.slots.size())
        Invalid("the checkpoint holds " + std::to_string(saved.size()) + " optimizer slot(s) for parameter '" +
                s.parameters[i] + "'; " + t.optimizer + " keeps " + std::to_string(s.slots.size()));
      for (std::size_t k = 0; k < s.slots.size(); ++k) {
        const auto it = saved.find(s.slots[k]);
        if (it == saved.end())
          Invalid("the checkpoint has no slot '" + s.slots[k] + "' for parameter '" + s.parameters[i] + "'");
        if (it->second.dtype() != DType::kF32)
          Invalid("slot '" + s.slots[k] + "' of parameter '" + s.parameters[i] + "' is not f32");
        RequireFinite(it->second, "the checkpoint's optimizer slot '" + s.slots[k] + "' of parameter '" + s.parameters[i] + "'");
        Tensor& dst = s.values[0][s.parameters.size() + i * s.slots.size() + k];
        std::copy_n(static_cast<const char*>(it->second.raw_data()), dst.nbytes(), static_cast<char*>(dst.raw_data()));
      }
    }
    s.step = t.step;
    s.rng_counter = t.rng_counter;
    s.loop = TrainingLoopState{t.epoch, t.shuffle_seed, std::move(rest), t.data_samples, t.data_fingerprint};
    return TrainingSession(std::move(impl));
  });
}

const std::vector<TensorInfo>& TrainingSession::inputs() const { return impl().inputs; }
const TensorInfo& TrainingSession::output() const { return impl().output; }
const TensorInfo& TrainingSession::labels() const { return impl().labels; }
const std::vector<std::string>& TrainingSession::parameters() const { return impl().parameters; }
// The accessors of what a step changes take the busy flag too: read during another thread's step
// they would race with it.
const TrainingOptions& TrainingSession::options() const {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  return s.options;
}
int TrainingSession::threads() const { return impl().threads; }
int64_t TrainingSession::step() const {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  return s.step;
}
const TrainingLoopState& TrainingSession::loop_state() const { return impl().loop; }

float TrainingSession::Step(const Tensor& inputs, const Tensor& labels) { return Step(std::span(&inputs, 1), labels); }

float TrainingSession::Step(std::span<const Tensor> inputs, const Tensor& labels) {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  return WithOrigin(s.origin, [&] {
    const std::optional<float> folded = s.StepFolded(inputs, labels);
    const float loss = folded ? *folded : s.ComputeGradients(inputs, labels);
    if (!std::isfinite(loss))
      Invalid("loss is " + std::string(std::isnan(loss) ? "NaN" : "infinite") + " at step " + std::to_string(s.step + 1) +
              "; the parameters were not updated");
    if (!folded) s.ApplyOptimizer();
    return loss;
  });
}

float TrainingSession::ComputeGradients(const Tensor& inputs, const Tensor& labels) {
  return ComputeGradients(std::span(&inputs, 1), labels);
}

float TrainingSession::ComputeGradients(std::span<const Tensor> inputs, const Tensor& labels) {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  return WithOrigin(s.origin, [&] { return s.ComputeGradients(inputs, labels); });
}

std::span<Tensor> TrainingSession::gradients() {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  if (s.gradients_folded)
    Invalid(s.origin + ": gradients(): the last Step folded its SGD update into the weight-gradient GEMMs and kept no "
                       "gradients; ComputeGradients makes them (then ApplyOptimizer takes the step)");
  return s.Gradients();
}

const Tensor& TrainingSession::predictions() const {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  return s.gradient_outputs[1];
}

void TrainingSession::ApplyOptimizer() {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  WithOrigin(s.origin, [&] { s.ApplyOptimizer(); });
}

std::vector<Tensor> TrainingSession::Predict(const Tensor& inputs) { return Predict(std::span(&inputs, 1)); }

std::vector<Tensor> TrainingSession::Predict(std::span<const Tensor> inputs) {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  return WithOrigin(s.origin, [&] { return s.RunForward(runtime::GraphKind::kPredict, inputs, nullptr); });
}

TrainingSession::Evaluation TrainingSession::Evaluate(const Tensor& inputs, const Tensor& labels) {
  return Evaluate(std::span(&inputs, 1), labels);
}

TrainingSession::Evaluation TrainingSession::Evaluate(std::span<const Tensor> inputs, const Tensor& labels) {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  return WithOrigin(s.origin, [&] {
    std::vector<Tensor> out = s.RunForward(runtime::GraphKind::kEvaluate, inputs, &labels);
    return Evaluation{out[0].data<float>()[0], std::move(out[1])};
  });
}

std::string TrainingSession::NonFiniteParameter() const {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  return NonFinite(s.parameters, s.Parameters());
}

Tensor TrainingSession::Parameter(const std::string& name) const {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  const auto it = std::find(s.parameters.begin(), s.parameters.end(), name);
  if (it == s.parameters.end()) Invalid(s.origin + ": '" + name + "' is not a trainable parameter of this model");
  return s.values[s.current][static_cast<std::size_t>(it - s.parameters.begin())].Clone();
}

void TrainingSession::set_learning_rate(float lr) {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  OptimizerOptions o = s.options.optimizer;
  o.lr = lr;
  s.options.optimizer = Resolved(o);
  s.lr.data<float>()[0] = lr;
}

void TrainingSession::SaveModel(const std::string& path) const {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  formats::WriteModelFile(s.CurrentModel(path), path);
}

void TrainingSession::SaveCheckpoint(const std::string& path, const TrainingLoopState& loop) const {
  Impl& s = impl();
  const Exclusive in_use(s.busy);
  formats::Checkpoint c{s.CurrentModel(path), formats::TrainingState{}};
  formats::TrainingState& t = *c.training;
  t.step = s.step;
  t.optimizer = s.options.optimizer.name;
  t.hyper_parameters = HyperParameters(s.options.optimizer);
  t.hyper_parameters[kTrainedParameters] = static_cast<double>(s.parameters.size());
  for (const auto& [name, value] : loop.settings)
    if (!t.hyper_parameters.emplace(name, value).second)
      Invalid(path + ": not written: loop setting '" + name + "' has the name of one of the optimizer's hyper-parameters");
  for (std::size_t i = 0; i < s.parameters.size(); ++i) {
    auto& slots = t.slots[s.parameters[i]];  // present even when the optimizer keeps no state
    for (std::size_t k = 0; k < s.slots.size(); ++k) slots[s.slots[k]] = s.Slot(i, k);
  }
  t.epoch = loop.epoch;
  t.shuffle_seed = loop.shuffle_seed;
  t.data_samples = loop.data_samples;
  t.data_fingerprint = loop.data_fingerprint;
  t.loss = s.options.loss;
  t.rng_seed = s.options.seed;
  t.rng_counter = s.rng_counter;
  formats::WriteCheckpointFile(c, path);
}

}  // namespace axon
