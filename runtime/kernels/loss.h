// Loss kernels and their gradients (docs/training.md, "Losses"), Highway-dispatched, with
// PyTorch's torch.nn semantics and ONNX's for the two class losses. Results never depend on the
// thread count: per-element work is split in blocks fixed by the sizes, and sums are pairwise
// (reduce-inl.h's tree, on one thread) over per-element losses that are first written out (to the
// output for reduction "none", else to the workspace).
#pragma once

#include <cstddef>
#include <cstdint>

namespace axon::kernels {

enum class LossReduction {
  kNone,  // one loss per element (pointwise losses) or per sample (class losses)
  kSum,
  kMean,  // an empty mean is NaN (0 / 0), as in PyTorch
};

// Losses of a prediction x and a target t of the same shape, element by element.
enum class PointwiseLoss {
  kMSE,            // (x - t)^2
  kBCE,            // (t - 1)·max(log(1 - x), -100) - t·max(log x, -100): x is a probability
  kBCEWithLogits,  // max(x, 0) - x·t + log(1 + exp(-|x|)): x is a logit; never overflows
};

// The position of the first x[i] outside [0, 1] (NaN included), or -1: PyTorch's BCELoss refuses
// such input rather than return NaN.
int64_t FindNonProbability(const float* x, int64_t n);

// Scratch PointwiseLossF32 needs (64-byte aligned).
std::size_t PointwiseLossWorkspaceBytes(int64_t n, LossReduction reduction);
// kNone: y[i] = loss(x[i], t[i]) for i < n; kSum, kMean: y[0] is their sum or mean.
void PointwiseLossF32(PointwiseLoss loss, LossReduction reduction, const float* x, const float* t, int64_t n,
                      float* y, void* workspace);
// dx[i] = d loss(x[i], t[i]) / dx[i] · g, with g = dy[i] (kNone), dy[0] (kSum) or dy[0] / n (kMean):
//   MSE 2·(x - t); BCE (x - t) / max((1 - x)·x, 1e-12), PyTorch's clamp; BCEWithLogits sigmoid(x) - t.
// dx may be x (in place).
void PointwiseLossGradF32(PointwiseLoss loss, LossReduction reduction, const float* dy, const float* x,
                          const float* t, int64_t n, float* dx);

// Class losses: scores (or log-probabilities) seen as [batch, classes, inner] row-major, labels as
// [batch, inner] (ONNX's [N, C, d1..dk] and [N, d1..dk], inner = d1·..·dk). A sample's weight is
// weights[label] (1 without weights), 0 when its label is ignore_index; "mean" divides the
// weighted sum by the sum of the weights of the samples (ONNX, and PyTorch's CrossEntropyLoss).
struct ClassLossLayout {
  int64_t batch = 0, classes = 0, inner = 1;
  bool labels_i32 = false;  // labels are int32_t, else int64_t
  bool has_ignore = false;
  int64_t ignore_index = 0;
  LossReduction reduction = LossReduction::kMean;
  int64_t Samples() const { return batch * inner; }
};

// The position of the first label that is neither ignore_index nor in [0, classes), or -1: the
// kernels below read only labels this accepts, so a caller checks first.
int64_t FindBadLabel(const ClassLossLayout& layout, const void* labels);
// Label i as an int64_t.
inline int64_t LabelAt(const ClassLossLayout& layout, const void* labels, int64_t i) {
  return layout.labels_i32 ? static_cast<const int32_t*>(labels)[i] : static_cast<const int64_t*>(labels)[i];
}
// Sample i's weight, and its label in *label: -1 (and weight 0) when the label is ignore_index.
// The label must have passed FindBadLabel.
inline float SampleWeight(const ClassLossLayout& layout, const void* labels, const float* weights, int64_t i,
                          int64_t* label) {
  const int64_t value = LabelAt(layout, labels, i);
  if (layout.has_ignore && value == layout.ignore_index) {
    *label = -1;
    return 0.0f;
  }
  *label = value;
  return weights ? weights[value] : 1.0f;
}

// Scratch that each class-loss kernel (forward and gradient) needs (64-byte aligned).
std::size_t ClassLossWorkspaceBytes(const ClassLossLayout& layout);

// loss = -weight·log_softmax(scores)[label] per sample, reduced; log_prob (may be null) receives
// the whole log_softmax along the classes. One fused pass per sample (max, sum of exp, the
// label's term), numerically stable for scores of any magnitude. weights may be null.
void SoftmaxCrossEntropyF32(const ClassLossLayout& layout, const float* scores, const void* labels,
                            const float* weights, float* loss, float* log_prob, void* workspace);
// dscores = (softmax(scores) - onehot(label))·weight·g per sample, g from dloss as for the
// pointwise losses (kMean: divided by the weight sum); zero for ignored samples. dscores may be
// scores (in place).
void SoftmaxCrossEntropyGradF32(const ClassLossLayout& layout, const float* dloss, const float* scores,
                                const void* labels, const float* weights, float* dscores, void* workspace);

// loss = -weight·input[label] per sample, reduced (input holds log-probabilities).
void NegativeLogLikelihoodF32(const ClassLossLayout& layout, const float* input, const void* labels,
                              const float* weights, float* loss, void* workspace);
// dinput = -weight·g at each sample's label, 0 elsewhere.
void NegativeLogLikelihoodGradF32(const ClassLossLayout& layout, const float* dloss, const void* labels,
                                  const float* weights, float* dinput, void* workspace);

}  // namespace axon::kernels
