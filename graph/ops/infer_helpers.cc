#include "graph/ops/infer_helpers.h"

namespace axon::graph {

void SameShapeAndType(InferContext& ctx) {
  ctx.RequireFloat(0);
  ctx.SetOutput(0, ctx.InType(0), ctx.InShape(0));
}

Shape BroadcastShapes(const InferContext& ctx, const Shape& a, const Shape& b) {
  if (!a.has_rank() || !b.has_rank()) return Shape::UnknownRank();
  const int64_t rank = std::max(a.rank(), b.rank());
  std::vector<Dim> out(rank);
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t ia = i - (rank - a.rank()), ib = i - (rank - b.rank());
    const Dim da = ia >= 0 ? a[ia] : Dim(1), db = ib >= 0 ? b[ib] : Dim(1);
    if (da.known() && db.known()) {
      if (da.value() != db.value() && da.value() != 1 && db.value() != 1)
        ctx.Fail("shapes " + a.ToString() + " and " + b.ToString() + " cannot be broadcast (dim " +
                 std::to_string(i) + ": " + da.ToString() + " vs " + db.ToString() + ")");
      out[i] = da.value() == 1 ? db : da;
    } else if (da.known()) {
      out[i] = da.value() == 1 ? db : da;
    } else if (db.known()) {
      out[i] = db.value() == 1 ? da : db;
    } else {
      out[i] = da == db ? da : Dim();
    }
  }
  return Shape(std::move(out));
}

std::optional<std::vector<int64_t>> IntValues(const InferContext& ctx, std::size_t i) {
  const Tensor* t = ctx.InputValue(i);
  if (!t) return std::nullopt;
  std::vector<int64_t> v(static_cast<std::size_t>(t->size()));
  if (t->dtype() == DType::kI64) {
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = t->data<int64_t>()[k];
  } else if (t->dtype() == DType::kI32) {
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = t->data<int32_t>()[k];
  } else {
    ctx.Fail("input " + ctx.schema.InputName(i) + " must be an integer tensor, got " + std::string(DTypeName(t->dtype())));
  }
  return v;
}

std::optional<int64_t> RequireI64Vector(const InferContext& ctx, std::size_t i, const std::string& what) {
  ctx.Require(ctx.InType(i) == DType::kI64, what + " must be i64, got " + std::string(DTypeName(ctx.InType(i))));
  const Shape& s = ctx.InShape(i);
  if (!s.has_rank()) return std::nullopt;
  ctx.Require(s.rank() == 1, what + " must be 1-D, got shape " + s.ToString());
  return s[0].known() ? std::optional<int64_t>(s[0].value()) : std::nullopt;
}

void RequireScalar(const InferContext& ctx, std::size_t i, DType dtype) {
  const std::string& name = ctx.schema.InputName(i);
  ctx.Require(ctx.InType(i) == dtype, "input " + name + " must be " + std::string(DTypeName(dtype)) + ", got " +
                                          std::string(DTypeName(ctx.InType(i))));
  const Shape& s = ctx.InShape(i);
  ctx.Require(!s.has_rank() || s.rank() == 0 || (s.rank() == 1 && (!s[0].known() || s[0].value() == 1)),
              "input " + name + " must be a scalar (shape [] or [1]), got shape " + s.ToString());
}

double OneFlopPerOutput(const FlopContext& f) {
  double n = 1;
  for (int64_t d : f.outputs.at(0)) n *= static_cast<double>(d);
  return n;
}

std::vector<int64_t> TransposePerm(const AttrReader& attrs, int64_t rank) {
  if (attrs.Has("perm")) return attrs.Ints("perm");
  std::vector<int64_t> perm(static_cast<std::size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) perm[static_cast<std::size_t>(i)] = rank - 1 - i;
  return perm;
}

}  // namespace axon::graph
