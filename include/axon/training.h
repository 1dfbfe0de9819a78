// Training through the embedding API: a model, a loss and an optimizer, stepped on batches.
// Only standard-library types and Axon's vocabulary types appear here (axon.h includes it).
//
//   axon::TrainingSession t = axon::TrainingSession::Load("mlp.axon", {.loss = "ce",
//       .optimizer = {.name = "adam", .lr = 1e-3f}});
//   for (...) float loss = t.Step(axon::Tensor::View(x, {64, 784}), axon::Tensor::View(y, {64}));
//   t.SaveModel("trained.axon");
//
// A step has three phases that may be called one by one, so that data-parallel training can
// reduce the gradients between them: ComputeGradients (forward, loss, backward), then anything
// on gradients() (an all-reduce, clipping), then ApplyOptimizer. Step does all three.
//
// Semantics are PyTorch 1.13's: losses as torch.nn's with reduction "mean", optimizers as
// torch.optim's, so the same initial weights, batches and hyper-parameters give the same
// trajectory (up to float rounding).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "axon/axon.h"

namespace axon {

struct OptimizerOptions {
  // "sgd" (torch.optim.SGD), "momentum" (SGD with momentum, 0.9 unless set), "adam"
  // (torch.optim.Adam: weight decay is L2 added to the gradient), "adamw" (torch.optim.AdamW:
  // decoupled weight decay, 0.01 unless set).
  std::string name = "sgd";
  std::optional<float> lr{};  // sgd and momentum: 0.01; adam and adamw: 0.001, torch.optim.Adam's
  // sgd and momentum only.
  std::optional<float> momentum{};  // sgd: 0; momentum: 0.9
  float dampening = 0.0f;
  bool nesterov = false;          // needs momentum > 0 and dampening 0, as in torch
  std::optional<float> weight_decay{};  // 0, or 0.01 for adamw
  // adam and adamw only.
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
};

// The class label that "ce" and "nll" ignore (no loss, no gradient, not in the mean), as
// torch.nn.CrossEntropyLoss and NLLLoss do by default (ignore_index=-100).
inline constexpr int64_t kIgnoredClass = -100;

struct TrainingOptions {
  SessionOptions session{};
  // The loss on the model's single output, mean over the batch as torch.nn's:
  //   "mse"        MSELoss; labels f32 of the output's shape
  //   "bce"        BCELoss on probabilities (the output of a Sigmoid); labels f32 of the output's shape
  //   "bce-logits" BCEWithLogitsLoss on logits; labels f32 of the output's shape
  //   "ce"         CrossEntropyLoss on logits [N,C,...]; labels i64 class indices [N,...] (kIgnoredClass: ignored)
  //   "nll"        NLLLoss on log-probabilities [N,C,...]; labels i64 class indices [N,...] (kIgnoredClass: ignored)
  std::string loss = "mse";
  OptimizerOptions optimizer{};
  // Initializers to keep as they are (named as in the model); each must be a trainable one.
  std::vector<std::string> frozen{};
  // The seed of the training-mode random ops: each ComputeGradients (each Step) draws every
  // Dropout node's mask from (seed, the number of draws before it, the node), so a run is
  // reproducible, does not depend on the thread count, and resumes from a checkpoint exactly.
  uint64_t seed = 0;
};

// What a training loop keeps in a checkpoint besides the session's own state, so that a resumed
// loop continues exactly where it stopped (axon train: epochs done, the data-order seed, and its
// settings such as batch_size).
struct TrainingLoopState {
  int64_t epoch = 0;
  uint64_t shuffle_seed = 0;
  std::map<std::string, double> settings{};
  // The data trained on (axon train: every sample of --data, and a hash of data and labels), so
  // that a resume with other data can be refused; 0 when not recorded.
  int64_t data_samples = 0;
  uint64_t data_fingerprint = 0;
};

// Used from one thread at a time (a step's kernels run on the session's threads).
class AXON_API TrainingSession {
 public:
  // Loads a model (.axon or ONNX, recognized by content, as Session::Load) and prepares its
  // training. Trainable parameters: the f32 initializers of rank >= 1 that the loss depends on
  // through differentiable ops, less `frozen`. The model must have exactly one output. A
  // trainable parameter or running statistic holding NaN or infinity is refused, naming it.
  // Throws axon::Error naming the file.
  static TrainingSession Load(const std::string& path, const TrainingOptions& options = {});
  static TrainingSession LoadFromBytes(const void* data, std::size_t size, const TrainingOptions& options = {},
                                       const std::string& origin = "<memory>");
  // Continues from a checkpoint that SaveCheckpoint wrote: the same parameters, optimizer state,
  // step count, loss, optimizer and hyper-parameters, so the steps that follow are bit for bit
  // those an uninterrupted session would have taken. Refuses, naming it, a parameter or optimizer
  // slot holding NaN or infinity, and a file that is not an Axon checkpoint (an ONNX model).
  static TrainingSession Resume(const std::string& checkpoint_path, const SessionOptions& options = {});

  TrainingSession(TrainingSession&&) noexcept;
  TrainingSession& operator=(TrainingSession&&) noexcept;
  ~TrainingSession();

  const std::vector<TensorInfo>& inputs() const;  // the model's inputs
  const TensorInfo& output() const;               // the model's output, which feeds the loss
  const TensorInfo& labels() const;               // what Step's labels must be
  const std::vector<std::string>& parameters() const;  // trainable parameters, by name
  // The options in force, defaults resolved (momentum, weight_decay set).
  const TrainingOptions& options() const;
  int threads() const;
  int64_t step() const;  // optimizer steps taken

  // One training step on a batch; returns the batch's loss. A loss that is NaN or infinite
  // throws axon::Error (naming the step) before the parameters are touched.
  float Step(const Tensor& inputs, const Tensor& labels);
  float Step(std::span<const Tensor> inputs, const Tensor& labels);  // inputs in inputs() order

  // Phase 1: forward, loss and backward into gradients(); returns the loss (not checked).
  float ComputeGradients(const Tensor& inputs, const Tensor& labels);
  float ComputeGradients(std::span<const Tensor> inputs, const Tensor& labels);
  // Phase 2: the gradients of the last ComputeGradients, in parameters() order, writable in
  // place (an all-reduce may replace their values; not their shapes).
  std::span<Tensor> gradients();
  // The model's output for the last ComputeGradients' batch.
  const Tensor& predictions() const;
  // Phase 3: one optimizer step from gradients(). Throws unless ComputeGradients ran since the
  // last ApplyOptimizer.
  void ApplyOptimizer();

  // The model with the current parameters, on a batch: its outputs (Predict), or the loss and
  // outputs against labels (Evaluate). Neither changes anything.
  std::vector<Tensor> Predict(const Tensor& inputs);
  std::vector<Tensor> Predict(std::span<const Tensor> inputs);
  struct Evaluation {
    float loss;
    Tensor predictions;
  };
  Evaluation Evaluate(const Tensor& inputs, const Tensor& labels);
  Evaluation Evaluate(std::span<const Tensor> inputs, const Tensor& labels);

  Tensor Parameter(const std::string& name) const;  // a copy of its current value
  // The first trainable parameter (in parameters() order) holding NaN or infinity, or "" when
  // all are finite. Reads them in place, cheap enough to call after every step (a loss can stay
  // finite while an update overflows a weight).
  std::string NonFiniteParameter() const;
  void set_learning_rate(float lr);                 // for a schedule; the next steps use it

  // Writes the trained model as a plain inference model (.axon, atomically: the old file stays
  // whole on failure). Refuses (axon::Error naming the parameter) when a parameter holds NaN or
  // infinity, so a diverged run never replaces a good file.
  void SaveModel(const std::string& path) const;
  // Writes a checkpoint: the model with the current parameters (which Session::Load runs too),
  // plus the optimizer state, step count, loss, optimizer and hyper-parameters, and `loop`.
  // Atomic, and refused for non-finite parameters, as SaveModel.
  void SaveCheckpoint(const std::string& path, const TrainingLoopState& loop = {}) const;
  // The loop state of the checkpoint this session was resumed from (empty otherwise).
  const TrainingLoopState& loop_state() const;

  struct Impl;  // opaque: defined in runtime/training_session.cc

 private:
  explicit TrainingSession(std::unique_ptr<Impl> impl);
  Impl& impl() const;  // throws axon::Error on a moved-from session
  std::unique_ptr<Impl> impl_;
};

}  // namespace axon
