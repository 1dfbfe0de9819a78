// Binary arithmetic with numpy broadcasting.
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

void InferBinary(InferContext& ctx) {
  ctx.RequireFloat(0);
  ctx.RequireFloat(1);
  ctx.SetOutput(0, DType::kF32, BroadcastShapes(ctx, ctx.InShape(0), ctx.InShape(1)));
}

}  // namespace

AXON_OP(Add).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferBinary).Flops(OneFlopPerOutput);
AXON_OP(Sub).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferBinary).Flops(OneFlopPerOutput);
AXON_OP(Mul).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferBinary).Flops(OneFlopPerOutput);
AXON_OP(Div).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferBinary).Flops(OneFlopPerOutput);

}  // namespace axon::graph
