// Dropout (ONNX's op, PyTorch's nn.Dropout). With a Seed it is training mode: Y = X · mask /
// (1 − ratio), the mask drawn from (Seed, stream) by a counter-based generator, so the same Seed
// redraws the same mask. Without one it is the identity, as inference (model.eval()) is: models
// keep their Dropout nodes, and only a TrainingSession's gradient graph feeds them a Seed.
#include <string>

#include "graph/ops/grad_helpers.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

void InferDropout(InferContext& ctx) {
  ctx.RequireFloat(0);
  const float ratio = ctx.attrs.Float("ratio");
  // ONNX's range. PyTorch also takes p = 1 (all zeros); ONNX's formula divides by 1 − ratio.
  ctx.Require(ratio >= 0.0f && ratio < 1.0f,
              "ratio " + std::to_string(ratio) + " is outside [0, 1), the range ONNX's Dropout allows");
  if (ctx.HasInput(1)) {
    ctx.Require(ctx.InType(1) == DType::kI64, "Seed must be i64 (seed, counter), got " + std::string(DTypeName(ctx.InType(1))));
    const Shape& seed = ctx.InShape(1);
    if (seed.has_rank())
      ctx.Require(seed.rank() == 1 && (!seed[0].known() || seed[0].value() == 2),
                  "Seed must be [2] (seed, counter), got " + seed.ToString());
  }
  ctx.SetOutput(0, DType::kF32, ctx.InShape(0));
}

// Y = X · m with m fixed by the Seed: dX = dY · m, which is Dropout itself applied to dY with
// the same Seed, ratio and stream (element i of dY has element i's mask).
void DropoutGrad(GradContext& g) {
  if (g.NumInputs() < 2 || g.Input(1).empty()) return g.SetInputGrad(0, g.OutGrad(0));
  g.SetInputGrad(0, g.Op("Dropout", {g.OutGrad(0), g.Input(1)}, g.node().attrs));
}

}  // namespace

AXON_OP(Dropout).Since(3).Inputs({"X", "Seed"}, 1).Outputs({"Y"})
    .Attr("ratio", AttrType::kFloat, 0.5f)
    // Which of the graph's Dropout nodes this is: nodes sharing a Seed draw unrelated masks.
    .Attr("stream", AttrType::kInt, int64_t{0})
    .Infer(InferDropout).Flops(OneFlopPerOutput).Grad(DropoutGrad);

}  // namespace axon::graph
