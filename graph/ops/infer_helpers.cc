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
