// Binary elementwise ops with numpy broadcasting.
#include <cmath>
#include <string>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

// Add, Sub, Mul, Div: f32, i32, i64, i8 or u8, both inputs of one dtype (ONNX promotes nothing),
// which is the output's.
void InferArithmetic(InferContext& ctx) {
  const DType t = ctx.InType(0);
  if (t != DType::kF32 && t != DType::kI32 && t != DType::kI64 && t != DType::kI8 && t != DType::kU8)
    ctx.Fail("input A must be f32, i32, i64, i8 or u8, got " + std::string(DTypeName(t)));
  if (ctx.InType(1) != t)
    ctx.Fail("inputs A and B must have the same dtype, got " + std::string(DTypeName(t)) + " and " +
             std::string(DTypeName(ctx.InType(1))));
  ctx.SetOutput(0, t, BroadcastShapes(ctx, ctx.InShape(0), ctx.InShape(1)));
}

// Pow (ONNX Pow-15's types that Axon has): base X and exponent Y each f32, i32 or i64, in any
// combination; the output has X's dtype. Both broadcast.
void InferPow(InferContext& ctx) {
  const DType x = ctx.InType(0), y = ctx.InType(1);
  auto allowed = [](DType t) { return t == DType::kF32 || t == DType::kI32 || t == DType::kI64; };
  if (!allowed(x) || !allowed(y))
    ctx.Fail("base X and exponent Y must each be f32, i32 or i64, got X " + std::string(DTypeName(x)) + " and Y " +
             std::string(DTypeName(y)));
  ctx.SetOutput(0, x, BroadcastShapes(ctx, ctx.InShape(0), ctx.InShape(1)));
}

// Mod (ONNX Mod-13): Add's dtypes and broadcasting. fmod 0 (the remainder takes the divisor's
// sign) is defined on integers only, as in ONNX; fmod 1 (the dividend's sign) on every dtype.
void InferMod(InferContext& ctx) {
  const int64_t fmod = ctx.attrs.Int("fmod");
  ctx.Require(fmod == 0 || fmod == 1, "fmod must be 0 or 1, got " + std::to_string(fmod));
  ctx.Require(fmod == 1 || ctx.InType(0) != DType::kF32, "an f32 Mod needs fmod=1 (ONNX defines fmod=0 for integers only)");
  InferArithmetic(ctx);
}

// PRelu: the slope broadcasts to X one way only (ONNX "unidirectional broadcasting"): it has at
// most X's rank, and each of its dims is 1 or X's. The output is X's shape. A symbolic dim is
// taken to fit; the plan's concrete shapes are checked again.
void InferPRelu(InferContext& ctx) {
  ctx.RequireFloat(0);
  ctx.RequireFloat(1);
  const Shape& x = ctx.InShape(0);
  const Shape& slope = ctx.InShape(1);
  if (x.has_rank() && slope.has_rank()) {
    bool fits = slope.rank() <= x.rank();
    for (int64_t i = 0; fits && i < slope.rank(); ++i) {
      const Dim& s = slope[i];
      const Dim& xd = x[i + x.rank() - slope.rank()];
      fits = !s.known() || s.value() == 1 || !xd.known() || s.value() == xd.value();
    }
    ctx.Require(fits, "slope " + slope.ToString() + " does not broadcast to X " + x.ToString());
  }
  ctx.SetOutput(0, DType::kF32, x);
}

// Gradients of the broadcasting ops: each part is summed back to its input's shape (SumTo), after
// any elementwise factor and before a Neg or scalar factor (which are cheaper on the smaller value).
void AddGrad(GradContext& g) {
  if (g.NeedsGrad(0)) g.SetInputGrad(0, g.SumTo(g.OutGrad(0), g.Input(0)));
  if (g.NeedsGrad(1)) g.SetInputGrad(1, g.SumTo(g.OutGrad(0), g.Input(1)));
}

void SubGrad(GradContext& g) {
  if (g.NeedsGrad(0)) g.SetInputGrad(0, g.SumTo(g.OutGrad(0), g.Input(0)));
  if (g.NeedsGrad(1)) g.SetInputGrad(1, g.Neg(g.SumTo(g.OutGrad(0), g.Input(1))));
}

void MulGrad(GradContext& g) {
  if (g.NeedsGrad(0)) g.SetInputGrad(0, g.SumTo(g.Mul(g.OutGrad(0), g.Input(1)), g.Input(0)));
  if (g.NeedsGrad(1)) g.SetInputGrad(1, g.SumTo(g.Mul(g.OutGrad(0), g.Input(0)), g.Input(1)));
}

// C = A / B: dA = dC / B, dB = −dC·A/B² = −dC·C/B.
void DivGrad(GradContext& g) {
  if (g.NeedsGrad(0)) g.SetInputGrad(0, g.SumTo(g.Div(g.OutGrad(0), g.Input(1)), g.Input(0)));
  if (g.NeedsGrad(1))
    g.SetInputGrad(1, g.Neg(g.SumTo(g.Mul(g.OutGrad(0), g.Div(g.Output(0), g.Input(1))), g.Input(1))));
}

// Z = X^Y: dX = dZ·Y·X^(Y−1), dY = dZ·Z·ln X. A constant exponent folds Y − 1 (and the common
// Y = 2, Y = 1 need no Pow at all); an integer exponent is taken as f32.
void PowGrad(GradContext& g) {
  const std::string& x = g.Input(0);
  const std::string& dz = g.OutGrad(0);
  if (g.NeedsGrad(0)) {
    std::string factor;  // d(X^Y)/dX
    if (const Tensor* y = g.ConstantInput(1); y && y->size() == 1) {
      const double p = y->dtype() == DType::kF32 ? double{y->data<float>()[0]}
                       : y->dtype() == DType::kI64 ? static_cast<double>(y->data<int64_t>()[0])
                                                   : static_cast<double>(y->data<int32_t>()[0]);
      if (p == 1.0) {
        factor = "";
      } else if (p == 2.0) {
        factor = g.Mul(x, g.Scalar(2.0f));
      } else {
        factor = g.Mul(g.Pow(x, g.Scalar(static_cast<float>(p - 1.0))), g.Scalar(static_cast<float>(p)));
      }
    } else {
      std::string e = g.Input(1);
      if (g.InInfo(1).dtype != DType::kF32) e = g.Op("Cast", {e}, {{"to", int64_t{1}}});  // ONNX's FLOAT
      factor = g.Mul(g.Pow(x, g.Sub(e, g.Scalar(1.0f))), e);
    }
    g.SetInputGrad(0, g.SumTo(factor.empty() ? dz : g.Mul(dz, factor), x));
  }
  if (g.NeedsGrad(1)) g.SetInputGrad(1, g.SumTo(g.Mul(g.Mul(dz, g.Output(0)), g.Op("Log", {x})), g.Input(1)));
}

// x > 0: dY, else slope·dY; dSlope sums dY·x where x <= 0 back to the slope's shape.
void PReluGrad(GradContext& g) {
  const std::string& x = g.Input(0);
  const std::string& dy = g.OutGrad(0);
  const std::string positive = g.Op("Greater", {x, g.Scalar(0)});
  if (g.NeedsGrad(0)) g.SetInputGrad(0, g.Op("Where", {positive, dy, g.Mul(dy, g.Input(1))}));
  if (g.NeedsGrad(1))
    g.SetInputGrad(1, g.SumTo(g.Op("Where", {positive, g.Scalar(0), g.Mul(dy, x)}), g.Input(1)));
}

}  // namespace

// Since(2): op set 2 added i32, i64, i8 and u8 (and Pow's integer base and exponent).
AXON_OP(Add).Since(2).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferArithmetic).Flops(OneFlopPerOutput).Grad(AddGrad);
AXON_OP(Sub).Since(2).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferArithmetic).Flops(OneFlopPerOutput).Grad(SubGrad);
AXON_OP(Mul).Since(2).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferArithmetic).Flops(OneFlopPerOutput).Grad(MulGrad);
AXON_OP(Div).Since(2).Inputs({"A", "B"}).Outputs({"C"}).Infer(InferArithmetic).Flops(OneFlopPerOutput).Grad(DivGrad);
// exp(y·ln|x|) and its special cases: counted as 4, as the other exp/log ops are.
AXON_OP(Pow).Since(2).Inputs({"X", "Y"}).Outputs({"Z"}).Infer(InferPow)
    .Flops([](const FlopContext& f) { return 4 * OneFlopPerOutput(f); }).Grad(PowGrad);
AXON_OP(PRelu).Since(2).Inputs({"X", "slope"}).Outputs({"Y"}).Infer(InferPRelu).Flops(OneFlopPerOutput).Grad(PReluGrad);
AXON_OP(Mod).Since(3).Inputs({"A", "B"}).Outputs({"C"}).Attr("fmod", AttrType::kInt, int64_t{0}).Infer(InferMod)
    .Flops(OneFlopPerOutput);

}  // namespace axon::graph
