// Loss ops and their gradient ops (docs/training.md, "Losses"). The pointwise losses (MSE, BCE,
// BCE with logits) compare a prediction with a target of its shape, as torch.nn's; the class
// losses (SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss) are ONNX's ops of those names
// (opset 13), which are torch.nn's CrossEntropyLoss and NLLLoss. Each has a `reduction` ("mean",
// "sum", "none": then the loss keeps the per-element or per-sample shape). A gradient op takes the
// gradient of the loss output, then the forward op's inputs, and returns the gradient of the first
// input; the forward op's gradient rule emits it.
#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

const Attribute kMean = std::string("mean");

// The reduction attribute, checked; true when it keeps the per-element shape ("none").
bool KeepsShape(const InferContext& ctx) {
  const std::string& r = ctx.attrs.String("reduction");
  ctx.Require(r == "mean" || r == "sum" || r == "none",
              "reduction must be \"mean\", \"sum\" or \"none\", got \"" + r + "\"");
  return r == "none";
}

// Dims of a and b that are both known must agree; the result takes a's dims, filling in b's
// known ones where a's are not.
Shape Agree(const InferContext& ctx, const Shape& a, const Shape& b, const std::string& what) {
  if (!a.has_rank()) return b;
  if (!b.has_rank()) return a;
  ctx.Require(a.rank() == b.rank(), what + ": shapes " + a.ToString() + " and " + b.ToString() + " differ in rank");
  std::vector<Dim> dims = a.dims();
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const Dim& x = dims[i];
    const Dim& y = b[i];
    ctx.Require(!x.known() || !y.known() || x.value() == y.value(),
                what + ": shapes " + a.ToString() + " and " + b.ToString() + " differ");
    if (!x.known() && y.known()) dims[i] = y;
  }
  return Shape(std::move(dims));
}

// The shape of a reduced loss or of its gradient input: a scalar, or the per-element shape.
Shape LossShape(bool keep, const Shape& per_element) { return keep ? per_element : Shape(std::vector<Dim>{}); }

// dLoss must have the loss output's shape.
void RequireLossGradShape(const InferContext& ctx, bool keep, const Shape& per_element) {
  const Shape want = LossShape(keep, per_element);
  Agree(ctx, ctx.InShape(0), want, "dLoss must have the loss output's shape");
}

void InferPointwiseLoss(InferContext& ctx) {
  ctx.RequireFloat(0);
  ctx.RequireFloat(1);
  const Shape shape = Agree(ctx, ctx.InShape(0), ctx.InShape(1), "the target must have the input's shape");
  ctx.SetOutput(0, DType::kF32, LossShape(KeepsShape(ctx), shape));
}

// Inputs dLoss, X, Target; output dX.
void InferPointwiseLossGrad(InferContext& ctx) {
  for (std::size_t i = 0; i < 3; ++i) ctx.RequireFloat(i);
  const Shape shape = Agree(ctx, ctx.InShape(1), ctx.InShape(2), "the target must have the input's shape");
  RequireLossGradShape(ctx, KeepsShape(ctx), shape);
  ctx.SetOutput(0, DType::kF32, shape);
}

// Scores (or log-probabilities) [N, C, d1..dk] at input `scores`, labels [N, d1..dk] (i64 or i32)
// after it, optional weights [C] after those. Returns the per-sample shape [N, d1..dk].
Shape InferClassInputs(const InferContext& ctx, std::size_t scores) {
  ctx.RequireFloat(scores);
  const std::size_t labels = scores + 1, weights = scores + 2;
  const DType lt = ctx.InType(labels);
  ctx.Require(lt == DType::kI64 || lt == DType::kI32,
              "labels must be i64 or i32, got " + std::string(DTypeName(lt)));
  const Shape& s = ctx.InShape(scores);
  Shape per_sample = ctx.InShape(labels);
  if (s.has_rank()) {
    ctx.Require(s.rank() >= 2, "scores must have shape [N, C, d1..dk] (rank >= 2), got " + s.ToString());
    std::vector<Dim> dims = s.dims();
    dims.erase(dims.begin() + 1);
    per_sample = Agree(ctx, Shape(std::move(dims)), per_sample, "labels must have the scores' shape without dim 1");
  }
  if (ctx.HasInput(weights)) {
    ctx.RequireFloat(weights);
    const Shape& w = ctx.InShape(weights);
    if (w.has_rank()) {
      ctx.Require(w.rank() == 1, "weights must be 1-D [C], got " + w.ToString());
      if (s.has_rank())
        Agree(ctx, w, Shape({s[1]}), "weights must have one entry per class (dim 1 of the scores)");
    }
  }
  return per_sample;
}

void InferClassLoss(InferContext& ctx) {
  const Shape per_sample = InferClassInputs(ctx, 0);
  ctx.SetOutput(0, DType::kF32, LossShape(KeepsShape(ctx), per_sample));
  if (ctx.node.outputs.size() > 1) ctx.SetOutput(1, DType::kF32, ctx.InShape(0));  // log_prob
}

// Inputs dLoss, then the forward op's; output the gradient of the scores.
void InferClassLossGrad(InferContext& ctx) {
  ctx.RequireFloat(0);
  const Shape per_sample = InferClassInputs(ctx, 1);
  RequireLossGradShape(ctx, KeepsShape(ctx), per_sample);
  ctx.SetOutput(0, DType::kF32, ctx.InShape(1));
}

// dX of a loss: its gradient op on (dLoss, the forward op's inputs), with the forward node's
// attributes (the same names and meanings). Only the first input gets a gradient: the others are
// targets, labels and class weights, data rather than parameters.
void LossGradRule(GradContext& g, const std::string& grad_op) {
  if (!g.NeedsGrad(0)) return;
  std::vector<std::string> inputs = {g.OutGrad(0)};
  for (std::size_t i = 0; i < g.NumInputs(); ++i) inputs.push_back(g.Input(i));
  g.SetInputGrad(0, g.Op(grad_op, std::move(inputs), g.node().attrs));
}

GradFn LossGrad(std::string grad_op) {
  return [grad_op = std::move(grad_op)](GradContext& g) { LossGradRule(g, grad_op); };
}

// A few operations per element (subtract, square or a log or two, add to the sum), counted over
// the first input of the forward op (the second of a gradient op).
template <std::size_t kInput>
double LossFlops(const FlopContext& f) {
  double n = 1;
  for (int64_t d : f.inputs[kInput]) n *= static_cast<double>(d);
  return 4 * n;
}

}  // namespace

AXON_OP(MSELoss).Inputs({"X", "Target"}).Outputs({"loss"}).Attr("reduction", AttrType::kString, kMean)
    .Infer(InferPointwiseLoss).Flops(LossFlops<0>).Since(3)
    .Grad(LossGrad("MSELossGrad"));
AXON_OP(MSELossGrad).Inputs({"dLoss", "X", "Target"}).Outputs({"dX"}).Attr("reduction", AttrType::kString, kMean)
    .Infer(InferPointwiseLossGrad).Flops(LossFlops<1>).Since(3);

AXON_OP(BCELoss).Inputs({"X", "Target"}).Outputs({"loss"}).Attr("reduction", AttrType::kString, kMean)
    .Infer(InferPointwiseLoss).Flops(LossFlops<0>).Since(3)
    .Grad(LossGrad("BCELossGrad"));
AXON_OP(BCELossGrad).Inputs({"dLoss", "X", "Target"}).Outputs({"dX"}).Attr("reduction", AttrType::kString, kMean)
    .Infer(InferPointwiseLossGrad).Flops(LossFlops<1>).Since(3);

AXON_OP(BCEWithLogitsLoss).Inputs({"X", "Target"}).Outputs({"loss"}).Attr("reduction", AttrType::kString, kMean)
    .Infer(InferPointwiseLoss).Flops(LossFlops<0>).Since(3)
    .Grad(LossGrad("BCEWithLogitsLossGrad"));
AXON_OP(BCEWithLogitsLossGrad).Inputs({"dLoss", "X", "Target"}).Outputs({"dX"})
    .Attr("reduction", AttrType::kString, kMean)
    .Infer(InferPointwiseLossGrad).Flops(LossFlops<1>).Since(3);

// ignore_index has no default: without it, every label must be a class.
AXON_OP(SoftmaxCrossEntropyLoss).Inputs({"scores", "labels", "weights"}, 2).Outputs({"output", "log_prob"}, 1)
    .Attr("reduction", AttrType::kString, kMean).Attr("ignore_index", AttrType::kInt)
    .Infer(InferClassLoss).Flops(LossFlops<0>).Since(3)
    .Grad([](GradContext& g) {
      // Either output may carry a gradient: the loss, and log_prob = log_softmax(scores) along dim 1.
      // SetInputGrad adds up the parts.
      if (!g.OutGrad(0).empty()) LossGradRule(g, "SoftmaxCrossEntropyLossGrad");
      if (g.NeedsGrad(0) && g.NumOutputs() > 1 && !g.OutGrad(1).empty())
        g.SetInputGrad(0, g.Op("LogSoftmaxGrad", {g.OutGrad(1), g.Output(1)}, {{"axis", int64_t{1}}}));
    });
AXON_OP(SoftmaxCrossEntropyLossGrad).Inputs({"dLoss", "scores", "labels", "weights"}, 3).Outputs({"dScores"})
    .Attr("reduction", AttrType::kString, kMean).Attr("ignore_index", AttrType::kInt)
    .Infer(InferClassLossGrad).Flops(LossFlops<1>).Since(3);

AXON_OP(NegativeLogLikelihoodLoss).Inputs({"input", "target", "weight"}, 2).Outputs({"loss"})
    .Attr("reduction", AttrType::kString, kMean).Attr("ignore_index", AttrType::kInt)
    .Infer(InferClassLoss).Since(3)
    .Grad(LossGrad("NegativeLogLikelihoodLossGrad"));
AXON_OP(NegativeLogLikelihoodLossGrad).Inputs({"dLoss", "input", "target", "weight"}, 3).Outputs({"dInput"})
    .Attr("reduction", AttrType::kString, kMean).Attr("ignore_index", AttrType::kInt)
    .Infer(InferClassLossGrad).Since(3);

}  // namespace axon::graph
