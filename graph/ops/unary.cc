// Elementwise math ops (ONNX op-set 17 semantics) beyond the activations of activation.cc: f32 in,
// the input's shape and dtype out. Input, output and attribute names and defaults are ONNX's.
#include <cmath>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

// A function evaluated through exp, log or a polynomial costs several FLOPs an element; counted
// as 4, as Sigmoid and Tanh are.
double FourFlopsPerOutput(const FlopContext& f) { return 4 * OneFlopPerOutput(f); }

// Clip (op-set 13 form): min and max are optional inputs holding one value each, of the input's
// dtype (f32, i32, i64, i8 or u8). ONNX asks for scalars (shape []); shape [1], which exporters also
// write, is accepted too.
void InferClip(InferContext& ctx) {
  const DType t = ctx.InType(0);
  if (t != DType::kF32 && t != DType::kI32 && t != DType::kI64 && t != DType::kI8 && t != DType::kU8)
    ctx.Fail("input input must be f32, i32, i64, i8 or u8, got " + std::string(DTypeName(t)));
  for (std::size_t i : {1, 2}) {
    if (!ctx.HasInput(i)) continue;
    const std::string& name = ctx.schema.input_names()[i];
    ctx.Require(ctx.InType(i) == t, "input " + name + " must have the input's dtype " + std::string(DTypeName(t)) +
                                        ", got " + std::string(DTypeName(ctx.InType(i))));
    const Shape& s = ctx.InShape(i);
    if (!s.has_rank()) continue;
    const bool one_value = s.rank() == 0 || (s.rank() == 1 && (!s[0].known() || s[0].value() == 1));
    ctx.Require(one_value, "input " + name + " must be a scalar (shape [] or [1]), got shape " + s.ToString());
  }
  ctx.SetOutput(0, t, ctx.InShape(0));
}

// d erf(x)/dx = 2/√π · exp(−x²).
void ErfGrad(GradContext& g) {
  const std::string& x = g.Input(0);
  const std::string gauss = g.Op("Exp", {g.Neg(g.Mul(x, x))});
  g.SetInputGrad(0, g.Mul(g.OutGrad(0), g.Mul(gauss, g.Scalar(static_cast<float>(2.0 / std::sqrt(M_PI))))));
}

// With alpha >= 0 the output is > 0 exactly where the input is, so the gradient reads Y (which
// the forward pass keeps anyway) rather than X.
void LeakyReluGrad(GradContext& g) {
  const float alpha = g.attrs().Float("alpha");
  const std::string& saved = alpha >= 0.0f ? g.Output(0) : g.Input(0);
  g.SetInputGrad(0, g.Op("LeakyReluGrad", {g.OutGrad(0), saved}, {{"alpha", alpha}}));
}

}  // namespace

AXON_OP(Exp).Since(2).Inputs({"input"}).Outputs({"output"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput)
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.Mul(g.OutGrad(0), g.Output(0))); });
AXON_OP(Log).Since(2).Inputs({"input"}).Outputs({"output"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput)
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.Div(g.OutGrad(0), g.Input(0))); });
// d√x/dx = 1 / (2√x) = 0.5 / Y.
AXON_OP(Sqrt).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput)
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.Div(g.Mul(g.OutGrad(0), g.Scalar(0.5f)), g.Output(0))); });
AXON_OP(Neg).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput)
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.Neg(g.OutGrad(0))); });
AXON_OP(Abs).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput);
AXON_OP(Erf).Since(2).Inputs({"input"}).Outputs({"output"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput)
    .Grad(ErfGrad);
AXON_OP(Reciprocal).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput);
AXON_OP(Softplus).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput);
AXON_OP(HardSwish).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput);
AXON_OP(LeakyRelu)
    .Since(2)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 0.01f)
    .Infer(SameShapeAndType)
    .Flops(OneFlopPerOutput)
    .Grad(LeakyReluGrad);
AXON_OP(Elu)
    .Since(2)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 1.0f)
    .Infer(SameShapeAndType)
    .Flops(FourFlopsPerOutput);
// ONNX's defaults, 1.67326319217681884765625 and 1.05070102214813232421875, are exactly floats.
AXON_OP(Selu)
    .Since(2)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 1.67326319217681884765625f)
    .Attr("gamma", AttrType::kFloat, 1.05070102214813232421875f)
    .Infer(SameShapeAndType)
    .Flops(FourFlopsPerOutput);
AXON_OP(HardSigmoid)
    .Since(2)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 0.2f)
    .Attr("beta", AttrType::kFloat, 0.5f)
    .Infer(SameShapeAndType)
    .Flops(OneFlopPerOutput);
AXON_OP(Clip).Since(2).Inputs({"input", "min", "max"}, 1).Outputs({"output"}).Infer(InferClip).Flops(OneFlopPerOutput);

}  // namespace axon::graph
