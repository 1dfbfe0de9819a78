// FusedAttention (made by attention-fusion): Y = softmax(scale · Q · Kt) · V over the last two
// dims, the leading dims (batch × heads) broadcasting as the MatMuls' do (attention-fusion fuses
// only equal ones, but two anonymous dims may turn out 1 and n at run time). Kt is K already
// transposed ([..., d, S]), as PyTorch's exported multi-head attention feeds its MatMul.
#include <algorithm>

#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

// Two dims that must agree: unequal only when both are known and differ (symbolic ones are
// taken as equal, as the MatMuls they replace would be checked at run time by the same rule).
bool Agree(const Dim& a, const Dim& b) { return !(a.known() && b.known() && a.value() != b.value()); }

void InferAttention(InferContext& ctx) {
  const char* names[] = {"Q", "Kt", "V"};
  for (std::size_t i = 0; i < 3; ++i)
    ctx.Require(ctx.InType(i) == DType::kF32,
                std::string("input ") + names[i] + " must be f32, got " + std::string(DTypeName(ctx.InType(i))));
  const Shape &q = ctx.InShape(0), &kt = ctx.InShape(1), &v = ctx.InShape(2);
  if (!q.has_rank() || !kt.has_rank() || !v.has_rank()) return ctx.SetOutput(0, DType::kF32, Shape::UnknownRank());
  const int64_t r = q.rank();
  ctx.Require(r >= 2 && kt.rank() == r && v.rank() == r,
              "Q, Kt and V must have one rank >= 2, got " + q.ToString() + ", " + kt.ToString() + ", " + v.ToString());
  const auto leading = [&](const Shape& s) { return Shape(std::vector<Dim>(s.dims().begin(), s.dims().end() - 2)); };
  std::vector<Dim> y = BroadcastShapes(ctx, BroadcastShapes(ctx, leading(q), leading(kt)), leading(v)).dims();
  ctx.Require(Agree(q[r - 1], kt[r - 2]), "Q " + q.ToString() + " and Kt " + kt.ToString() + " must share d (Q's last dim, Kt's second last)");
  ctx.Require(Agree(kt[r - 1], v[r - 2]), "Kt " + kt.ToString() + " and V " + v.ToString() + " must share S (Kt's last dim, V's second last)");
  y.push_back(q[r - 2]);
  y.push_back(v[r - 1]);
  ctx.SetOutput(0, DType::kF32, Shape(std::move(y)));
}

// Two products of 2·L·S·d and 2·L·S·dv, and the softmax's few per score.
double AttentionFlops(const FlopContext& f) {
  const auto& q = f.inputs.at(0);
  const auto& kt = f.inputs.at(1);
  const auto& v = f.inputs.at(2);
  double batch = 1;
  for (std::size_t i = 0; i + 2 < q.size(); ++i)  // the broadcast leading dims (checked by the schema)
    batch *= static_cast<double>(std::min({q[i], kt[i], v[i]}) == 0 ? 0 : std::max({q[i], kt[i], v[i]}));
  const double l = static_cast<double>(q[q.size() - 2]), d = static_cast<double>(q.back());
  const double s = static_cast<double>(kt.back()), dv = static_cast<double>(v.back());
  return batch * l * s * (2 * d + 2 * dv + 4);
}

}  // namespace

AXON_OP(FusedAttention).Since(3).Inputs({"Q", "Kt", "V"}).Outputs({"Y"}).Attr("scale", AttrType::kFloat, 1.0f)
    .Infer(InferAttention).Flops(AttentionFlops);

}  // namespace axon::graph
