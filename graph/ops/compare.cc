// Comparisons with numpy broadcasting (output bool), logical Not, and Where's broadcasting select
// (ONNX opset 13 Equal/Less/Greater, 1 Not, 16 Where).
#include <string>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

std::string TypeName(DType t) { return std::string(DTypeName(t)); }

void RequireSameType(const InferContext& ctx, std::size_t i, std::size_t j) {
  ctx.Require(ctx.InType(i) == ctx.InType(j), "inputs " + ctx.schema.InputName(i) + " and " + ctx.schema.InputName(j) +
                                                  " must have one dtype, got " + TypeName(ctx.InType(i)) + " and " +
                                                  TypeName(ctx.InType(j)));
}

void InferEqual(InferContext& ctx) {
  RequireSameType(ctx, 0, 1);
  ctx.SetOutput(0, DType::kBool, BroadcastShapes(ctx, ctx.InShape(0), ctx.InShape(1)));
}

// Less and Greater order numbers; bools have no order in ONNX.
void InferOrder(InferContext& ctx) {
  RequireSameType(ctx, 0, 1);
  ctx.Require(ctx.InType(0) != DType::kBool, "inputs must be numbers, got bool");
  ctx.SetOutput(0, DType::kBool, BroadcastShapes(ctx, ctx.InShape(0), ctx.InShape(1)));
}

void InferNot(InferContext& ctx) {
  ctx.Require(ctx.InType(0) == DType::kBool, "input X must be bool, got " + TypeName(ctx.InType(0)));
  ctx.SetOutput(0, DType::kBool, ctx.InShape(0));
}

void InferWhere(InferContext& ctx) {
  ctx.Require(ctx.InType(0) == DType::kBool, "input condition must be bool, got " + TypeName(ctx.InType(0)));
  RequireSameType(ctx, 1, 2);
  const Shape xy = BroadcastShapes(ctx, ctx.InShape(1), ctx.InShape(2));
  ctx.SetOutput(0, ctx.InType(1), BroadcastShapes(ctx, ctx.InShape(0), xy));
}

}  // namespace

AXON_OP(Equal).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferEqual).Flops(OneFlopPerOutput).Since(2);
AXON_OP(Less).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferOrder).Flops(OneFlopPerOutput).Since(2);
AXON_OP(Greater).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferOrder).Flops(OneFlopPerOutput).Since(2);
AXON_OP(Not).Inputs({"X"}).Outputs({"Y"}).Infer(InferNot).Flops(OneFlopPerOutput).Since(2);
// Each branch gets dY where it was chosen (zeros elsewhere), summed back over its broadcast.
AXON_OP(Where).Inputs({"condition", "X", "Y"}).Outputs({"output"}).Infer(InferWhere).Since(2)
    .Grad([](GradContext& g) {
      const std::string& cond = g.Input(0);
      const std::string& dy = g.OutGrad(0);
      if (g.NeedsGrad(1)) g.SetInputGrad(1, g.SumTo(g.Op("Where", {cond, dy, g.Scalar(0)}), g.Input(1)));
      if (g.NeedsGrad(2)) g.SetInputGrad(2, g.SumTo(g.Op("Where", {cond, g.Scalar(0), dy}), g.Input(2)));
    });

}  // namespace axon::graph
