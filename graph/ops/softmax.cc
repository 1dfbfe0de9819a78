// Softmax and LogSoftmax along one axis (ONNX opset-13 semantics: axis defaults to -1).
#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

void InferSoftmax(InferContext& ctx) {
  ctx.RequireFloat(0);
  if (ctx.InShape(0).has_rank()) {
    // A scalar has no axis to normalise over (ONNX: axis in [-r, r-1]).
    ctx.Require(ctx.InShape(0).rank() >= 1, "input must have rank >= 1");
    ctx.Axis(ctx.attrs.Int("axis"), ctx.InShape(0).rank());
  }
  ctx.SetOutput(0, DType::kF32, ctx.InShape(0));
}

// max, subtract, exp, sum, divide (or log): about 5 per element.
double SoftmaxFlops(const FlopContext& f) { return 5 * OneFlopPerOutput(f); }

// Both gradients read the forward output Y, with the forward axis.
GradFn AlongAxisGrad(const char* grad_op) {
  return [grad_op](GradContext& g) {
    g.SetInputGrad(0, g.Op(grad_op, {g.OutGrad(0), g.Output(0)}, {{"axis", g.attrs().Int("axis")}}));
  };
}

}  // namespace

AXON_OP(Softmax).Inputs({"input"}).Outputs({"output"}).Attr("axis", AttrType::kInt, int64_t{-1})
    .Infer(InferSoftmax).Flops(SoftmaxFlops).Grad(AlongAxisGrad("SoftmaxGrad"));
AXON_OP(LogSoftmax).Inputs({"input"}).Outputs({"output"}).Attr("axis", AttrType::kInt, int64_t{-1})
    .Infer(InferSoftmax).Flops(SoftmaxFlops).Grad(AlongAxisGrad("LogSoftmaxGrad"));

}  // namespace axon::graph
