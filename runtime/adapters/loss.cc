// Adapters of the loss ops and their gradient ops (graph/ops/loss.cc). The class losses check
// their labels on every run before the kernel reads anything by them: a label that is neither a
// class nor ignore_index is an axon::Error (the executor prefixes the node and op) naming it.
#include <string>

#include "runtime/adapter.h"
#include "runtime/kernels/loss.h"

namespace axon::runtime {
namespace {

using kernels::ClassLossLayout;
using kernels::LossReduction;
using kernels::PointwiseLoss;

LossReduction ReductionOf(const BindContext& b) {
  const std::string& r = b.attrs().String("reduction");  // the schema checked it
  return r == "none" ? LossReduction::kNone : r == "sum" ? LossReduction::kSum : LossReduction::kMean;
}

int64_t Elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// BCELoss's input must be probabilities, as PyTorch checks: a model that forgot its sigmoid is
// told so rather than trained on NaN.
void CheckProbabilities(const float* x, int64_t n) {
  const int64_t bad = kernels::FindNonProbability(x, n);
  if (bad < 0) return;
  throw Error(ErrorCode::kInvalidArgument,
              "input element " + std::to_string(bad) + " is " + std::to_string(x[bad]) +
                  ": BCELoss takes probabilities in [0, 1] (BCEWithLogitsLoss takes logits)");
}

AdapterFn BindPointwise(PointwiseLoss loss) {
  return [loss](const BindContext& b) {
    const LossReduction reduction = ReductionOf(b);
    const int64_t n = Elements(b.InShape(0));
    return BoundStep{.run = [loss, reduction, n](const StepArgs& a) {
                       if (loss == PointwiseLoss::kBCE) CheckProbabilities(a.In<float>(0), n);
                       kernels::PointwiseLossF32(loss, reduction, a.In<float>(0), a.In<float>(1), n, a.Out<float>(0),
                                                 a.workspace);
                     },
                     .workspace_bytes = static_cast<int64_t>(kernels::PointwiseLossWorkspaceBytes(n, reduction))};
  };
}

// Inputs dLoss, X, Target. dX may take X's buffer (the kernel reads each element before writing it).
AdapterFn BindPointwiseGrad(PointwiseLoss loss) {
  return [loss](const BindContext& b) {
    const LossReduction reduction = ReductionOf(b);
    const int64_t n = Elements(b.InShape(1));
    return BoundStep{.run = [loss, reduction, n](const StepArgs& a) {
                       kernels::PointwiseLossGradF32(loss, reduction, a.In<float>(0), a.In<float>(1), a.In<float>(2),
                                                     n, a.Out<float>(0));
                     },
                     .in_place_input = 1};
  };
}

// Scores [N, C, d1..dk] at input `scores`, labels right after it.
ClassLossLayout ClassLayout(const BindContext& b, std::size_t scores) {
  const std::vector<int64_t>& shape = b.InShape(scores);
  ClassLossLayout l;
  l.batch = shape[0];
  l.classes = shape[1];
  for (std::size_t i = 2; i < shape.size(); ++i) l.inner *= shape[i];
  l.labels_i32 = b.InType(scores + 1) == DType::kI32;
  l.has_ignore = b.attrs().Has("ignore_index");
  if (l.has_ignore) l.ignore_index = b.attrs().Int("ignore_index");
  l.reduction = ReductionOf(b);
  return l;
}

void CheckLabels(const ClassLossLayout& l, const void* labels) {
  const int64_t bad = kernels::FindBadLabel(l, labels);
  if (bad < 0) return;
  throw Error(ErrorCode::kInvalidArgument,
              "label " + std::to_string(kernels::LabelAt(l, labels, bad)) + " (labels element " +
                  std::to_string(bad) + ") is not a class: valid are 0 to " + std::to_string(l.classes - 1) +
                  (l.has_ignore ? " and ignore_index " + std::to_string(l.ignore_index) : std::string()));
}

// The weights input, or null (StepArgs::In is null past the node's own inputs too).
const float* Weights(const StepArgs& a, std::size_t i, bool has) { return has ? a.In<float>(i) : nullptr; }

}  // namespace

AXON_ADAPTER(MSELoss, BindPointwise(PointwiseLoss::kMSE));
AXON_ADAPTER(MSELossGrad, BindPointwiseGrad(PointwiseLoss::kMSE));
AXON_ADAPTER(BCELoss, BindPointwise(PointwiseLoss::kBCE));
AXON_ADAPTER(BCELossGrad, BindPointwiseGrad(PointwiseLoss::kBCE));
AXON_ADAPTER(BCEWithLogitsLoss, BindPointwise(PointwiseLoss::kBCEWithLogits));
AXON_ADAPTER(BCEWithLogitsLossGrad, BindPointwiseGrad(PointwiseLoss::kBCEWithLogits));

AXON_ADAPTER(SoftmaxCrossEntropyLoss, [](const BindContext& b) {
  const ClassLossLayout l = ClassLayout(b, 0);
  const bool log_prob = b.node().outputs.size() > 1, weights = b.HasIn(2);
  return BoundStep{.run = [l, log_prob, weights](const StepArgs& a) {
                     CheckLabels(l, a.in[1]);
                     kernels::SoftmaxCrossEntropyF32(l, a.In<float>(0), a.in[1], Weights(a, 2, weights), a.Out<float>(0),
                                                     log_prob ? a.Out<float>(1) : nullptr, a.workspace);
                   },
                   .workspace_bytes = static_cast<int64_t>(kernels::ClassLossWorkspaceBytes(l))};
});

AXON_ADAPTER(SoftmaxCrossEntropyLossGrad, [](const BindContext& b) {
  const ClassLossLayout l = ClassLayout(b, 1);
  const bool weights = b.HasIn(3);
  return BoundStep{.run = [l, weights](const StepArgs& a) {
                     CheckLabels(l, a.in[2]);
                     kernels::SoftmaxCrossEntropyGradF32(l, a.In<float>(0), a.In<float>(1), a.in[2], Weights(a, 3, weights),
                                                         a.Out<float>(0), a.workspace);
                   },
                   .in_place_input = 1,  // each score is read before its gradient is written
                   .workspace_bytes = static_cast<int64_t>(kernels::ClassLossWorkspaceBytes(l))};
});

AXON_ADAPTER(NegativeLogLikelihoodLoss, [](const BindContext& b) {
  const ClassLossLayout l = ClassLayout(b, 0);
  const bool weights = b.HasIn(2);
  return BoundStep{.run = [l, weights](const StepArgs& a) {
                     CheckLabels(l, a.in[1]);
                     kernels::NegativeLogLikelihoodF32(l, a.In<float>(0), a.in[1], Weights(a, 2, weights), a.Out<float>(0),
                                                       a.workspace);
                   },
                   .workspace_bytes = static_cast<int64_t>(kernels::ClassLossWorkspaceBytes(l))};
});

AXON_ADAPTER(NegativeLogLikelihoodLossGrad, [](const BindContext& b) {
  const ClassLossLayout l = ClassLayout(b, 1);
  const bool weights = b.HasIn(3);
  return BoundStep{.run = [l, weights](const StepArgs& a) {
                     CheckLabels(l, a.in[2]);
                     kernels::NegativeLogLikelihoodGradF32(l, a.In<float>(0), a.in[2], Weights(a, 3, weights), a.Out<float>(0),
                                                           a.workspace);
                   },
                   .workspace_bytes = static_cast<int64_t>(kernels::ClassLossWorkspaceBytes(l))};
});

}  // namespace axon::runtime
