// Softmax and LogSoftmax along one axis (ONNX opset-13 semantics: axis defaults to -1).
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

}  // namespace

AXON_OP(Softmax).Inputs({"input"}).Outputs({"output"}).Attr("axis", AttrType::kInt, int64_t{-1})
    .Infer(InferSoftmax).Flops(SoftmaxFlops);
AXON_OP(LogSoftmax).Inputs({"input"}).Outputs({"output"}).Attr("axis", AttrType::kInt, int64_t{-1})
    .Infer(InferSoftmax).Flops(SoftmaxFlops);

}  // namespace axon::graph
