// Ops that gradient rules emit (docs/training.md, "Backward helpers"): SumTo undoes numpy
// broadcasting; the activation gradients take the forward output (or input) and dY in one pass.
#include <string>

#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

// Both inputs f32 of one shape (where known); the output is dY's.
void InferPointwiseGrad(InferContext& ctx) {
  ctx.RequireFloat(0);
  ctx.RequireFloat(1);
  const Shape& dy = ctx.InShape(0);
  const Shape& x = ctx.InShape(1);
  if (dy.has_rank() && x.has_rank()) {
    bool same = dy.rank() == x.rank();
    for (int64_t i = 0; same && i < dy.rank(); ++i)
      same = !dy[i].known() || !x[i].known() || dy[i].value() == x[i].value();
    ctx.Require(same, "dY " + dy.ToString() + " and " + ctx.schema.InputName(1) + " " + x.ToString() +
                          " must have one shape");
  }
  ctx.SetOutput(0, DType::kF32, dy.has_rank() ? dy : x);
}

void InferSoftmaxGrad(InferContext& ctx) {
  InferPointwiseGrad(ctx);
  const Shape& y = ctx.outputs[0].shape;
  if (y.has_rank()) {
    ctx.Require(y.rank() >= 1, "input must have rank >= 1");
    ctx.Axis(ctx.attrs.Int("axis"), y.rank());
  }
}

// Like must broadcast to X (numpy rules, one way); the output has Like's shape and X's dtype.
void InferSumTo(InferContext& ctx) {
  ctx.RequireFloat(0);
  const Shape& x = ctx.InShape(0);
  const Shape& like = ctx.InShape(1);
  if (x.has_rank() && like.has_rank()) {
    bool fits = like.rank() <= x.rank();
    for (int64_t i = 0; fits && i < like.rank(); ++i) {
      const Dim& l = like[i];
      const Dim& xd = x[i + x.rank() - like.rank()];
      fits = !l.known() || l.value() == 1 || !xd.known() || l.value() == xd.value();
    }
    ctx.Require(fits, "Like " + like.ToString() + " does not broadcast to X " + x.ToString());
  }
  ctx.SetOutput(0, ctx.InType(0), like);
}

double ReduceFlops(const FlopContext& f) {
  double n = 1;
  for (int64_t d : f.inputs.at(0)) n *= static_cast<double>(d);
  return n;
}

}  // namespace

AXON_OP(SumTo).Since(3).Inputs({"X", "Like"}).Outputs({"Y"}).Infer(InferSumTo).Flops(ReduceFlops);
AXON_OP(ReluGrad).Since(3).Inputs({"dY", "X"}).Outputs({"dX"}).Infer(InferPointwiseGrad).Flops(OneFlopPerOutput);
AXON_OP(LeakyReluGrad).Since(3).Inputs({"dY", "X"}).Outputs({"dX"}).Attr("alpha", AttrType::kFloat, 0.01f)
    .Infer(InferPointwiseGrad).Flops(OneFlopPerOutput);
AXON_OP(SigmoidGrad).Since(3).Inputs({"dY", "Y"}).Outputs({"dX"}).Infer(InferPointwiseGrad)
    .Flops([](const FlopContext& f) { return 3 * OneFlopPerOutput(f); });
AXON_OP(TanhGrad).Since(3).Inputs({"dY", "Y"}).Outputs({"dX"}).Infer(InferPointwiseGrad)
    .Flops([](const FlopContext& f) { return 3 * OneFlopPerOutput(f); });
AXON_OP(SoftmaxGrad).Since(3).Inputs({"dY", "Y"}).Outputs({"dX"}).Attr("axis", AttrType::kInt, int64_t{-1})
    .Infer(InferSoftmaxGrad).Flops([](const FlopContext& f) { return 4 * OneFlopPerOutput(f); });
AXON_OP(LogSoftmaxGrad).Since(3).Inputs({"dY", "Y"}).Outputs({"dX"}).Attr("axis", AttrType::kInt, int64_t{-1})
    .Infer(InferSoftmaxGrad).Flops([](const FlopContext& f) { return 4 * OneFlopPerOutput(f); });

}  // namespace axon::graph
