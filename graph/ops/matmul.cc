// MatMul (numpy semantics, batched with broadcast) and Gemm (ONNX: alpha·op(A)·op(B) + beta·C).
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

double GemmFlops(const FlopContext& f) {
  const auto& a = f.inputs.at(0);
  const double k = static_cast<double>(f.attrs.Int("transA") ? a[0] : a[1]);
  return 2.0 * k * OneFlopPerOutput(f);
}

}  // namespace

AXON_OP(MatMul).Inputs({"A", "B"}).Outputs({"Y"}).Infer(InferMatMul).Flops(MatMulFlops);
AXON_OP(Gemm)
    .Inputs({"A", "B", "C"}, 2)
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 1.0f)
    .Attr("beta", AttrType::kFloat, 1.0f)
    .Attr("transA", AttrType::kInt, int64_t{0})
    .Attr("transB", AttrType::kInt, int64_t{0})
    .Infer(InferGemm)
    .Flops(GemmFlops);

}  // namespace axon::graph
