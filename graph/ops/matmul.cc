// MatMul (numpy semantics, batched with broadcast) and Gemm (ONNX: alpha·op(A)·op(B) + beta·C).
#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

// Checks that two contraction dims agree when both are known.
void RequireSameK(const InferContext& ctx, const Dim& ka, const Dim& kb) {
  if (ka.known() && kb.known() && ka.value() != kb.value())
    ctx.Fail("inner dimensions differ: " + ka.ToString() + " vs " + kb.ToString());
}

void InferMatMul(InferContext& ctx) {
  ctx.RequireFloat(0);
  ctx.RequireFloat(1);
  const Shape& a = ctx.InShape(0);
  const Shape& b = ctx.InShape(1);
  if (!a.has_rank() || !b.has_rank()) return ctx.SetOutput(0, DType::kF32, Shape::UnknownRank());
  ctx.Require(a.rank() >= 1 && b.rank() >= 1, "MatMul needs inputs of rank >= 1");
  // numpy: a 1-D A is a row vector, a 1-D B a column vector; the added dim is dropped again.
  std::vector<Dim> ad = a.dims(), bd = b.dims();
  if (a.rank() == 1) ad.insert(ad.begin(), Dim(1));
  if (b.rank() == 1) bd.push_back(Dim(1));
  RequireSameK(ctx, ad.back(), bd[bd.size() - 2]);
  const Shape batch = BroadcastShapes(ctx, Shape(std::vector<Dim>(ad.begin(), ad.end() - 2)),
                                      Shape(std::vector<Dim>(bd.begin(), bd.end() - 2)));
  std::vector<Dim> out = batch.dims();
  if (a.rank() > 1) out.push_back(ad[ad.size() - 2]);
  if (b.rank() > 1) out.push_back(bd.back());
  ctx.SetOutput(0, DType::kF32, Shape(std::move(out)));
}

double MatMulFlops(const FlopContext& f) {
  // 2·K FLOPs per output element; K is A's last dim.
  return 2.0 * static_cast<double>(f.inputs.at(0).back()) * OneFlopPerOutput(f);
}

void InferGemm(InferContext& ctx) {
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i)
    if (ctx.HasInput(i)) ctx.RequireFloat(i);
  const Shape& a = ctx.InShape(0);
  const Shape& b = ctx.InShape(1);
  const int64_t trans_a = ctx.attrs.Int("transA"), trans_b = ctx.attrs.Int("transB");
  ctx.Require((trans_a == 0 || trans_a == 1) && (trans_b == 0 || trans_b == 1), "transA and transB must be 0 or 1");
  if (!a.has_rank() || !b.has_rank()) return ctx.SetOutput(0, DType::kF32, Shape({Dim(), Dim()}));
  ctx.Require(a.rank() == 2 && b.rank() == 2, "Gemm needs 2-D A and B");
  const Dim m = a[trans_a ? 1 : 0], ka = a[trans_a ? 0 : 1];
  const Dim kb = b[trans_b ? 1 : 0], n = b[trans_b ? 0 : 1];
  RequireSameK(ctx, ka, kb);
  const Shape y({m, n});
  if (ctx.HasInput(2) && ctx.InShape(2).has_rank()) {
    // C broadcasts one way only: each of its dims is 1 or Y's, never widening Y.
    const Shape& c = ctx.InShape(2);
    ctx.Require(c.rank() <= 2, "C must have rank <= 2");
    for (int64_t i = 0; i < c.rank(); ++i) {
      const Dim& cd = c[i];
      const Dim& yd = y[i + 2 - c.rank()];
      if (cd.known() && yd.known() && cd.value() != 1 && cd.value() != yd.value())
        ctx.Fail("C " + c.ToString() + " does not broadcast to " + y.ToString());
    }
  }
  ctx.SetOutput(0, DType::kF32, y);
}

// Gemm with the GEMM kernel's epilogue (made by gemm-epilogue-fusion): Y = act(alpha·op(A)·op(B)
// + beta·C + R), R a residual of Y's shape added before the activation. Unlike Gemm, A may have
// rank > 2 (not transposed): its leading dims fold into the GEMM's rows, as a transformer's
// [batch, seq, d] activations times a [d, e] weight do; C is then a scalar or a row ([e], [1, e]).
void InferFusedGemm(InferContext& ctx) {
  const Shape& a = ctx.InShape(0);
  if (a.has_rank() && a.rank() > 2) {
    for (std::size_t i = 0; i < ctx.inputs.size(); ++i)
      if (ctx.HasInput(i)) ctx.RequireFloat(i);
    const Shape& b = ctx.InShape(1);
    ctx.Require(ctx.attrs.Int("transA") == 0, "an A of rank " + std::to_string(a.rank()) + " cannot be transposed");
    const int64_t trans_b = ctx.attrs.Int("transB");
    ctx.Require(trans_b == 0 || trans_b == 1, "transB must be 0 or 1");
    ctx.Require(!b.has_rank() || b.rank() == 2, "B must be 2-D, got " + b.ToString());
    const Dim n = b.has_rank() ? b[trans_b ? 0 : 1] : Dim();
    if (b.has_rank()) RequireSameK(ctx, a[a.rank() - 1], b[trans_b ? 1 : 0]);
    std::vector<Dim> y = a.dims();
    y.back() = n;
    if (ctx.HasInput(2) && ctx.InShape(2).has_rank()) {
      const Shape& c = ctx.InShape(2);
      bool row = c.rank() <= 2;
      for (int64_t i = 0; row && i + 1 < c.rank(); ++i) row = c[i].known() && c[i].value() == 1;
      if (row && c.rank() > 0 && c[c.rank() - 1].known() && n.known())
        row = c[c.rank() - 1].value() == 1 || c[c.rank() - 1].value() == n.value();
      ctx.Require(row, "C " + c.ToString() + " must be a scalar or a row of " + n.ToString() + " for an A of rank " +
                           std::to_string(a.rank()));
    }
    ctx.SetOutput(0, DType::kF32, Shape(y));
  } else {
    InferGemm(ctx);
  }
  const std::string& act = ctx.attrs.String("activation");
  ctx.Require(act.empty() || act == "Relu" || act == "Sigmoid" || act == "Tanh",
              "activation must be \"\", Relu, Sigmoid or Tanh, got '" + act + "'");
  if (!ctx.HasInput(3) || !ctx.InShape(3).has_rank()) return;
  const Shape& r = ctx.InShape(3);
  const Shape& y = ctx.outputs[0].shape;
  ctx.Require(r.rank() == y.rank(), "R " + r.ToString() + " must have Y's shape " + y.ToString());
  for (int64_t i = 0; i < r.rank(); ++i)
    if (r[i].known() && y[i].known() && r[i].value() != y[i].value())
      ctx.Fail("R " + r.ToString() + " must have Y's shape " + y.ToString());
}

// Gemm's gradient of a weight X with a plain SGD step folded in (the training session's SGD
// fold, runtime/sgd_fold.h): X_new = X - LR·(op(A)·op(B) + weight_decay·X), the bits of Gemm
// then SGD without momentum; X_new = X when Guard (the step's loss) is not finite. The After
// inputs are never read: they order the step after every other reader of X, which an update
// in place would otherwise overwrite under them.
void InferGemmSGD(InferContext& ctx) {
  for (std::size_t i = 0; i < 3; ++i) ctx.RequireFloat(i);
  RequireScalar(ctx, 3, DType::kF32);
  RequireScalar(ctx, 4, DType::kF32);
  const int64_t trans_a = ctx.attrs.Int("transA"), trans_b = ctx.attrs.Int("transB");
  ctx.Require((trans_a == 0 || trans_a == 1) && (trans_b == 0 || trans_b == 1), "transA and transB must be 0 or 1");
  const float decay = ctx.attrs.Float("weight_decay");
  ctx.Require(decay >= 0, "weight_decay must be >= 0, got " + std::to_string(decay));
  const Shape &a = ctx.InShape(0), &b = ctx.InShape(1), &x = ctx.InShape(2);
  if (a.has_rank() && b.has_rank()) {
    ctx.Require(a.rank() == 2 && b.rank() == 2, "GemmSGD needs 2-D A and B");
    RequireSameK(ctx, a[trans_a ? 0 : 1], b[trans_b ? 1 : 0]);
    if (x.has_rank()) {
      const Shape y({a[trans_a ? 1 : 0], b[trans_b ? 0 : 1]});
      bool same = x.rank() == 2;
      for (int64_t i = 0; same && i < 2; ++i) same = !x[i].known() || !y[i].known() || x[i].value() == y[i].value();
      ctx.Require(same, "X " + x.ToString() + " must have op(A)·op(B)'s shape " + y.ToString());
    }
  }
  ctx.SetOutput(0, DType::kF32, x);
}

double GemmFlops(const FlopContext& f) {
  const auto& a = f.inputs.at(0);
  const double k = static_cast<double>(f.attrs.Int("transA") ? a[0] : a.back());
  return 2.0 * k * OneFlopPerOutput(f);
}

using Attrs = std::map<std::string, Attribute>;

// The last two dims swapped.
std::string TransposeLast2(GradContext& g, const std::string& v, int64_t rank) {
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < rank; ++i) perm.push_back(i);
  std::swap(perm[static_cast<std::size_t>(rank - 1)], perm[static_cast<std::size_t>(rank - 2)]);
  return g.Op("Transpose", {v}, {{"perm", perm}});
}

// Y = A·B with numpy's rules. 2-D operands use Gemm's transpose flags (no Transpose copies); a
// batched A times a 2-D B folds the batch into Gemm's rows; the rest goes through batched MatMul
// and SumTo over broadcast batch dims, with 1-D operands made matrices first.
void MatMulGrad(GradContext& g) {
  const int64_t ra = g.InRank(0), rb = g.InRank(1);
  const std::string& a = g.Input(0);
  const std::string& b = g.Input(1);
  const std::string& dy = g.OutGrad(0);
  if (ra == 2 && rb == 2) {
    if (g.NeedsGrad(0)) g.SetInputGrad(0, g.Op("Gemm", {dy, b}, {{"transB", int64_t{1}}}));
    if (g.NeedsGrad(1)) g.SetInputGrad(1, g.Op("Gemm", {a, dy}, {{"transA", int64_t{1}}}));
    return;
  }
  if (ra >= 3 && rb == 2) {
    const std::string dy2 = g.Op("Flatten", {dy}, {{"axis", ra - 1}});
    if (g.NeedsGrad(0)) g.SetInputGrad(0, g.ReshapeLike(g.Op("Gemm", {dy2, b}, {{"transB", int64_t{1}}}), a));
    if (g.NeedsGrad(1)) {
      const std::string a2 = g.Op("Flatten", {a}, {{"axis", ra - 1}});
      g.SetInputGrad(1, g.Op("Gemm", {a2, dy2}, {{"transA", int64_t{1}}}));
    }
    return;
  }
  // Matrices: A' [.., m, k], B' [.., k, n], dY' [.., m, n].
  std::string a2 = a, b2 = b, dy2 = dy;
  if (ra == 1) a2 = g.Op("Unsqueeze", {a, g.Ints({0})});
  if (rb == 1) b2 = g.Op("Unsqueeze", {b, g.Ints({1})});
  if (ra == 1 && rb == 1) {
    dy2 = g.Op("Reshape", {dy, g.Ints({1, 1})});
  } else if (ra == 1) {
    dy2 = g.Op("Unsqueeze", {dy, g.Ints({-2})});
  } else if (rb == 1) {
    dy2 = g.Op("Unsqueeze", {dy, g.Ints({-1})});
  }
  const int64_t ra2 = std::max<int64_t>(ra, 2), rb2 = std::max<int64_t>(rb, 2);
  if (g.NeedsGrad(0)) {
    std::string da = g.Op("MatMul", {dy2, TransposeLast2(g, b2, rb2)});  // [.., m, k]
    if (ra == 1) da = g.Op("Squeeze", {da, g.Ints({-2})});
    g.SetInputGrad(0, g.SumTo(da, a));
  }
  if (g.NeedsGrad(1)) {
    std::string db = g.Op("MatMul", {TransposeLast2(g, a2, ra2), dy2});  // [.., k, n]
    if (rb == 1) db = g.Op("Squeeze", {db, g.Ints({-1})});
    g.SetInputGrad(1, g.SumTo(db, b));
  }
}

// Y = alpha·op(A)·op(B) + beta·C. Each gradient is one Gemm with transpose flags:
//   dop(A) = alpha·dY·op(B)ᵀ, dop(B) = alpha·op(A)ᵀ·dY, and dA = dop(A)ᵀ when transA (so for B).
void GemmGrad(GradContext& g) {
  const float alpha = g.attrs().Float("alpha"), beta = g.attrs().Float("beta");
  const bool ta = g.attrs().Int("transA") != 0, tb = g.attrs().Int("transB") != 0;
  const std::string& a = g.Input(0);
  const std::string& b = g.Input(1);
  const std::string& dy = g.OutGrad(0);
  auto gemm = [&](const std::string& x, const std::string& y, bool tx, bool ty) {
    Attrs attrs{{"transA", int64_t{tx}}, {"transB", int64_t{ty}}};
    if (alpha != 1.0f) attrs["alpha"] = alpha;
    return g.Op("Gemm", {x, y}, attrs);
  };
  if (g.NeedsGrad(0)) g.SetInputGrad(0, ta ? gemm(b, dy, tb, true) : gemm(dy, b, false, !tb));
  if (g.NeedsGrad(1)) g.SetInputGrad(1, tb ? gemm(dy, a, true, ta) : gemm(a, dy, !ta, false));
  if (g.NumInputs() > 2 && !g.Input(2).empty() && g.NeedsGrad(2)) {
    const std::string dc = g.SumTo(dy, g.Input(2));
    g.SetInputGrad(2, beta == 1.0f ? dc : g.Mul(dc, g.Scalar(beta)));
  }
}

}  // namespace

AXON_OP(MatMul).Inputs({"A", "B"}).Outputs({"Y"}).Infer(InferMatMul).Flops(MatMulFlops).Grad(MatMulGrad);
AXON_OP(Gemm)
    .Inputs({"A", "B", "C"}, 2)
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 1.0f)
    .Attr("beta", AttrType::kFloat, 1.0f)
    .Attr("transA", AttrType::kInt, int64_t{0})
    .Attr("transB", AttrType::kInt, int64_t{0})
    .Infer(InferGemm)
    .Flops(GemmFlops)
    .Grad(GemmGrad);
AXON_OP(FusedGemm)
    .Since(3)
    .Inputs({"A", "B", "C", "R"}, 2)
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 1.0f)
    .Attr("beta", AttrType::kFloat, 1.0f)
    .Attr("transA", AttrType::kInt, int64_t{0})
    .Attr("transB", AttrType::kInt, int64_t{0})
    .Attr("activation", AttrType::kString, std::string())
    .Infer(InferFusedGemm)
    .Flops(GemmFlops);
AXON_OP(GemmSGD)
    .Since(3)
    .Inputs({"A", "B", "X", "LR", "Guard", "After"})
    .VariadicInputs(5)
    .Outputs({"X_new"})
    .Attr("transA", AttrType::kInt, int64_t{0})
    .Attr("transB", AttrType::kInt, int64_t{0})
    .Attr("weight_decay", AttrType::kFloat, 0.0f)
    .Infer(InferGemmSGD)
    .Flops(GemmFlops);

}  // namespace axon::graph
