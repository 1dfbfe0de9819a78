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

// d/dx x·Φ(x) = Φ(x) + x·φ(x), with Φ(x) = 0.5·(1 + erf(x/√2)) and φ(x) = exp(−x²/2)/√(2π).
// The tanh form x·σ(2u), u = √(2/π)·(x + 0.044715·x³): σ(2u) + x·σ(2u)·(1 − σ(2u))·2u', with
// 2u' = 2√(2/π)·(1 + 3·0.044715·x²).
void GeluGrad(GradContext& g) {
  const std::string& x = g.Input(0);
  if (g.attrs().String("approximate") == "tanh") {
    const float c2 = static_cast<float>(2.0 * std::sqrt(2.0 / M_PI));
    const std::string x2 = g.Mul(x, x);
    const std::string s = g.Op("Sigmoid", {g.Mul(x, g.Mul(g.Add(g.Mul(x2, g.Scalar(0.044715f)), g.Scalar(1.0f)), g.Scalar(c2)))});
    const std::string du = g.Mul(g.Add(g.Mul(x2, g.Scalar(3 * 0.044715f)), g.Scalar(1.0f)), g.Scalar(c2));
    const std::string ds = g.Mul(g.Mul(s, g.Sub(g.Scalar(1.0f), s)), du);
    g.SetInputGrad(0, g.Mul(g.OutGrad(0), g.Add(s, g.Mul(x, ds))));
    return;
  }
  const std::string cdf = g.Mul(g.Add(g.Op("Erf", {g.Mul(x, g.Scalar(static_cast<float>(M_SQRT1_2)))}), g.Scalar(1.0f)),
                                g.Scalar(0.5f));
  const std::string pdf = g.Mul(g.Op("Exp", {g.Mul(g.Mul(x, x), g.Scalar(-0.5f))}),
                                g.Scalar(static_cast<float>(1.0 / std::sqrt(2.0 * M_PI))));
  g.SetInputGrad(0, g.Mul(g.OutGrad(0), g.Add(cdf, g.Mul(x, pdf))));
}

// With alpha >= 0 the output is > 0 exactly where the input is, so the gradient reads Y (which
// the forward pass keeps anyway) rather than X.
void LeakyReluGrad(GradContext& g) {
  const float alpha = g.attrs().Float("alpha");
  const std::string& saved = alpha >= 0.0f ? g.Output(0) : g.Input(0);
  g.SetInputGrad(0, g.Op("LeakyReluGrad", {g.OutGrad(0), saved}, {{"alpha", alpha}}));
}

// Rules built from comparisons and Where, as PyTorch's derivatives are defined (at a kink the
// one-sided value PyTorch picks).
std::string Where(GradContext& g, const std::string& cond, const std::string& a, const std::string& b) {
  return g.Op("Where", {cond, a, b});
}
std::string Greater(GradContext& g, const std::string& a, float b) { return g.Op("Greater", {a, g.Scalar(b)}); }
std::string Less(GradContext& g, const std::string& a, float b) { return g.Op("Less", {a, g.Scalar(b)}); }

// sign(x)·dY, 0 at 0.
void AbsGrad(GradContext& g) {
  const std::string& x = g.Input(0);
  const std::string& dy = g.OutGrad(0);
  g.SetInputGrad(0, Where(g, Greater(g, x, 0), dy, Where(g, Less(g, x, 0), g.Neg(dy), g.Scalar(0))));
}

// x > 0: dY; else dY·(Y + alpha) (= dY·alpha·eˣ).
void EluGrad(GradContext& g) {
  const std::string& dy = g.OutGrad(0);
  const std::string neg = g.Mul(dy, g.Add(g.Output(0), g.Scalar(g.attrs().Float("alpha"))));
  g.SetInputGrad(0, Where(g, Greater(g, g.Input(0), 0), dy, neg));
}

// x > 0: gamma·dY; else dY·(Y + gamma·alpha).
void SeluGrad(GradContext& g) {
  const float alpha = g.attrs().Float("alpha"), gamma = g.attrs().Float("gamma");
  const std::string& dy = g.OutGrad(0);
  const std::string neg = g.Mul(dy, g.Add(g.Output(0), g.Scalar(gamma * alpha)));
  g.SetInputGrad(0, Where(g, Greater(g, g.Input(0), 0), g.Mul(dy, g.Scalar(gamma)), neg));
}

// alpha·dY where 0 < alpha·x + beta < 1 (Y strictly inside), else 0.
void HardSigmoidGrad(GradContext& g) {
  const std::string& y = g.Output(0);
  const std::string zero = g.Scalar(0);
  const std::string inside = Where(g, Greater(g, y, 0), g.Mul(g.OutGrad(0), g.Scalar(g.attrs().Float("alpha"))), zero);
  g.SetInputGrad(0, Where(g, Less(g, y, 1), inside, zero));
}

// PyTorch's hardswish_backward: 0 below −3, dY·(x/3 + 1/2) up to 3, dY above.
void HardSwishGrad(GradContext& g) {
  const std::string& x = g.Input(0);
  const std::string& dy = g.OutGrad(0);
  const std::string mid = g.Mul(dy, g.Add(g.Mul(x, g.Scalar(1.0f / 3.0f)), g.Scalar(0.5f)));
  g.SetInputGrad(0, Where(g, Less(g, x, -3), g.Scalar(0), Where(g, Greater(g, x, 3), dy, mid)));
}

// dY where min <= x <= max (the bounds themselves included, as PyTorch's clamp), else 0.
void ClipGrad(GradContext& g) {
  if (g.NeedsGrad(1) || g.NeedsGrad(2)) g.Fail("the bounds min and max are not differentiated");
  const std::string& x = g.Input(0);
  std::string dx = g.OutGrad(0);
  const std::string zero = g.Scalar(0);
  if (g.NumInputs() > 1 && !g.Input(1).empty()) dx = Where(g, g.Op("Less", {x, g.Input(1)}), zero, dx);
  if (g.NumInputs() > 2 && !g.Input(2).empty()) dx = Where(g, g.Op("Greater", {x, g.Input(2)}), zero, dx);
  g.SetInputGrad(0, dx);
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
AXON_OP(Abs).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput).Grad(AbsGrad);
AXON_OP(Erf).Since(2).Inputs({"input"}).Outputs({"output"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput)
    .Grad(ErfGrad);
// GELU: x·Φ(x) (approximate = "none"), or its tanh form 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
// (approximate = "tanh"), as PyTorch's and ONNX's (op set 20) Gelu have them;
// graph/passes/gelu_fusion.cc makes either from the ops PyTorch exports for it; ONNX's Gelu
// (op set 20) imports 1:1.
void InferGelu(InferContext& ctx) {
  const std::string& approximate = ctx.attrs.String("approximate");
  ctx.Require(approximate == "none" || approximate == "tanh",
              "approximate must be \"none\" or \"tanh\", got '" + approximate + "'");
  SameShapeAndType(ctx);
}
AXON_OP(Gelu).Since(3).Inputs({"X"}).Outputs({"Y"}).Attr("approximate", AttrType::kString, std::string("none"))
    .Infer(InferGelu).Flops(FourFlopsPerOutput).Grad(GeluGrad);
// d(1/x)/dx = −Y².
AXON_OP(Reciprocal).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput)
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.Neg(g.Mul(g.OutGrad(0), g.Mul(g.Output(0), g.Output(0))))); });
// d log(1 + eˣ)/dx = sigmoid(x).
AXON_OP(Softplus).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput)
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.Mul(g.OutGrad(0), g.Op("Sigmoid", {g.Input(0)}))); });
AXON_OP(HardSwish).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput)
    .Grad(HardSwishGrad);
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
    .Flops(FourFlopsPerOutput)
    .Grad(EluGrad);
// ONNX's defaults, 1.67326319217681884765625 and 1.05070102214813232421875, are exactly floats.
AXON_OP(Selu)
    .Since(2)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 1.67326319217681884765625f)
    .Attr("gamma", AttrType::kFloat, 1.05070102214813232421875f)
    .Infer(SameShapeAndType)
    .Flops(FourFlopsPerOutput)
    .Grad(SeluGrad);
AXON_OP(HardSigmoid)
    .Since(2)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 0.2f)
    .Attr("beta", AttrType::kFloat, 0.5f)
    .Infer(SameShapeAndType)
    .Flops(OneFlopPerOutput)
    .Grad(HardSigmoidGrad);
AXON_OP(Clip).Since(2).Inputs({"input", "min", "max"}, 1).Outputs({"output"}).Infer(InferClip).Flops(OneFlopPerOutput)
    .Grad(ClipGrad);

}  // namespace axon::graph
