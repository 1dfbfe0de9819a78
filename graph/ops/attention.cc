// FusedAttention (made by attention-fusion): Y = softmax(scale · Q · Kt) · V over the last two
// dims, the leading dims (batch × heads) broadcasting as the MatMuls' do (attention-fusion fuses
// only equal ones, but two anonymous dims may turn out 1 and n at run time). Kt is K already
// transposed ([..., d, S]), as PyTorch's exported multi-head attention feeds its MatMul.
// q_perm, kt_perm, v_perm (rank 3): that input is given untransposed, the operand being
// Transpose(input, perm) read in place; y_perm (rank 3): the output is Transpose(Y, y_perm),
// written in place. attention-fusion folds the Transposes around the heads' split into these.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

// Two dims that must agree: unequal only when both are known and differ (symbolic ones are
// taken as equal, as the MatMuls they replace would be checked at run time by the same rule).
bool Agree(const Dim& a, const Dim& b) { return !(a.known() && b.known() && a.value() != b.value()); }

// A folded Transpose's perm: of rank 3, and keeping one of the matrix dims unit-stride (the last
// dim stays in the last two), so that the operand is a GEMM operand or its transpose as it lies.
std::optional<std::vector<int64_t>> FoldedPerm(InferContext& ctx, const std::string& attr, bool output) {
  if (!ctx.attrs.Has(attr)) return std::nullopt;
  const std::vector<int64_t>& perm = ctx.attrs.Ints(attr);
  const bool valid = perm.size() == 3 && std::is_permutation(perm.begin(), perm.end(), std::vector<int64_t>{0, 1, 2}.begin());
  ctx.Require(valid, attr + " " + ShapeToString(perm) + " must be a permutation of 0..2");
  ctx.Require(perm[2] == 2 || (!output && perm[1] == 2),
              attr + " " + ShapeToString(perm) + (output ? " must keep the last dim last" : " must keep the last dim in the last two"));
  return perm;
}

Shape Permuted(InferContext& ctx, const Shape& s, const std::vector<int64_t>& perm, const std::string& what) {
  if (!s.has_rank()) return Shape({Dim(), Dim(), Dim()});
  ctx.Require(s.rank() == 3, what + " must have rank 3 with a folded Transpose, got " + s.ToString());
  const auto at = [&](int k) { return s[static_cast<std::size_t>(perm[static_cast<std::size_t>(k)])]; };
  return Shape({at(0), at(1), at(2)});
}

void InferAttention(InferContext& ctx) {
  const char* names[] = {"Q", "Kt", "V"};
  const char* perms[] = {"q_perm", "kt_perm", "v_perm"};
  for (std::size_t i = 0; i < 3; ++i)
    ctx.Require(ctx.InType(i) == DType::kF32,
                std::string("input ") + names[i] + " must be f32, got " + std::string(DTypeName(ctx.InType(i))));
  Shape in[3];
  for (std::size_t i = 0; i < 3; ++i) {
    in[i] = ctx.InShape(i);
    if (const auto perm = FoldedPerm(ctx, perms[i], false)) in[i] = Permuted(ctx, in[i], *perm, std::string("input ") + names[i]);
  }
  const std::optional<std::vector<int64_t>> y_perm = FoldedPerm(ctx, "y_perm", true);
  const Shape &q = in[0], &kt = in[1], &v = in[2];
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
  Shape out(std::move(y));
  if (y_perm) out = Permuted(ctx, out, *y_perm, "Y");
  ctx.SetOutput(0, DType::kF32, std::move(out));
}

// Two products of 2·L·S·d and 2·L·S·dv, and the softmax's few per score.
// The operand a folded perm makes of an input's shape.
std::vector<int64_t> Operand(const FlopContext& f, std::size_t i, const char* attr) {
  const std::vector<int64_t>& s = f.inputs.at(i);
  if (!f.attrs.Has(attr)) return s;
  const std::vector<int64_t>& perm = f.attrs.Ints(attr);
  return {s[static_cast<std::size_t>(perm[0])], s[static_cast<std::size_t>(perm[1])], s[static_cast<std::size_t>(perm[2])]};
}

double AttentionFlops(const FlopContext& f) {
  const std::vector<int64_t> q = Operand(f, 0, "q_perm"), kt = Operand(f, 1, "kt_perm"), v = Operand(f, 2, "v_perm");
  double batch = 1;
  for (std::size_t i = 0; i + 2 < q.size(); ++i)  // the broadcast leading dims (checked by the schema)
    batch *= static_cast<double>(std::min({q[i], kt[i], v[i]}) == 0 ? 0 : std::max({q[i], kt[i], v[i]}));
  const double l = static_cast<double>(q[q.size() - 2]), d = static_cast<double>(q.back());
  const double s = static_cast<double>(kt.back()), dv = static_cast<double>(v.back());
  return batch * l * s * (2 * d + 2 * dv + 4);
}

}  // namespace

AXON_OP(FusedAttention).Since(3).Inputs({"Q", "Kt", "V"}).Outputs({"Y"}).Attr("scale", AttrType::kFloat, 1.0f)
    .Attr("q_perm", AttrType::kInts).Attr("kt_perm", AttrType::kInts).Attr("v_perm", AttrType::kInts)
    .Attr("y_perm", AttrType::kInts)
    .Infer(InferAttention).Flops(AttentionFlops);

}  // namespace axon::graph
