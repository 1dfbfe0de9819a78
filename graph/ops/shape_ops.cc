// Ops that move or relabel data without arithmetic: Identity, Reshape, Flatten, Transpose.
#include <algorithm>
#include <numeric>

#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

void InferIdentity(InferContext& ctx) { ctx.SetOutput(0, ctx.InType(0), ctx.InShape(0)); }

// Product of dims [begin, end) when all are known.
std::optional<int64_t> KnownProduct(const Shape& s, int64_t begin, int64_t end) {
  int64_t p = 1;
  for (int64_t i = begin; i < end; ++i) {
    if (!s[i].known()) return std::nullopt;
    p *= s[i].value();
  }
  return p;
}

void InferReshape(InferContext& ctx) {
  ctx.Require(ctx.InType(1) == DType::kI64, "shape must be i64");
  const Shape& shape_shape = ctx.InShape(1);
  ctx.Require(!shape_shape.has_rank() || shape_shape.rank() == 1, "shape must be 1-D");
  const Tensor* spec = ctx.input_values.size() > 1 ? ctx.input_values[1] : nullptr;
  if (!spec) {
    // Shape computed at run time: only the rank is known, from the length of the shape tensor.
    if (shape_shape.has_rank() && shape_shape[0].known())
      return ctx.SetOutput(0, ctx.InType(0), Shape(std::vector<Dim>(shape_shape[0].value())));
    return ctx.SetOutput(0, ctx.InType(0), Shape::UnknownRank());
  }
  const Shape& in = ctx.InShape(0);
  const bool allow_zero = ctx.attrs.Int("allowzero") != 0;
  const int64_t* s = spec->data<int64_t>();
  std::vector<Dim> out;
  int64_t infer_at = -1;
  for (int64_t i = 0; i < spec->size(); ++i) {
    if (s[i] == -1) {
      ctx.Require(infer_at < 0, "shape has more than one -1");
      infer_at = i;
      out.emplace_back();
    } else if (s[i] == 0 && !allow_zero) {
      ctx.Require(in.has_rank() && i < in.rank(), "shape copies dim " + std::to_string(i) + " that the input lacks");
      out.push_back(in[i]);
    } else {
      ctx.Require(s[i] >= 0, "shape has invalid entry " + std::to_string(s[i]));
      out.emplace_back(s[i]);
    }
  }
  const std::optional<int64_t> total = in.has_rank() ? KnownProduct(in, 0, in.rank()) : std::nullopt;
  bool others_known = true;
  int64_t others = 1;
  for (int64_t i = 0; i < static_cast<int64_t>(out.size()); ++i) {
    if (i == infer_at) continue;
    if (!out[i].known()) others_known = false;
    else others *= out[i].value();
  }
  if (total && others_known) {
    if (infer_at >= 0) {
      ctx.Require(others != 0 && *total % others == 0,
                  "cannot infer the -1 in " + Shape(out).ToString() + " from " + std::to_string(*total) + " elements");
      out[infer_at] = Dim(*total / others);
    } else {
      ctx.Require(others == *total, "cannot reshape " + in.ToString() + " to " + Shape(out).ToString());
    }
  }
  ctx.SetOutput(0, ctx.InType(0), Shape(std::move(out)));
}

void InferFlatten(InferContext& ctx) {
  const Shape& in = ctx.InShape(0);
  if (!in.has_rank()) return ctx.SetOutput(0, ctx.InType(0), Shape({Dim(), Dim()}));
  const int64_t r = in.rank();
  int64_t axis = ctx.attrs.Int("axis");
  ctx.Require(axis >= -r && axis <= r, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
  if (axis < 0) axis += r;
  auto dim = [&](int64_t b, int64_t e) { auto p = KnownProduct(in, b, e); return p ? Dim(*p) : Dim(); };
  ctx.SetOutput(0, ctx.InType(0), Shape({dim(0, axis), dim(axis, r)}));
}

void InferTranspose(InferContext& ctx) {
  const Shape& in = ctx.InShape(0);
  if (!in.has_rank()) return ctx.SetOutput(0, ctx.InType(0), Shape::UnknownRank());
  const int64_t r = in.rank();
  std::vector<int64_t> perm(r);
  if (ctx.attrs.Has("perm")) {
    perm = ctx.attrs.Ints("perm");
  } else {
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expected(r);
  std::iota(expected.begin(), expected.end(), 0);
  ctx.Require(sorted == expected, "perm is not a permutation of 0.." + std::to_string(r - 1));
  std::vector<Dim> out;
  for (int64_t p : perm) out.push_back(in[p]);
  ctx.SetOutput(0, ctx.InType(0), Shape(std::move(out)));
}

}  // namespace

AXON_OP(Identity).Inputs({"input"}).Outputs({"output"}).Infer(InferIdentity);
AXON_OP(Reshape).Inputs({"data", "shape"}).Outputs({"reshaped"})
    .Attr("allowzero", AttrType::kInt, int64_t{0}).Infer(InferReshape);
AXON_OP(Flatten).Inputs({"input"}).Outputs({"output"}).Attr("axis", AttrType::kInt, int64_t{1}).Infer(InferFlatten);
AXON_OP(Transpose).Inputs({"data"}).Outputs({"transposed"}).Attr("perm", AttrType::kInts).Infer(InferTranspose);

}  // namespace axon::graph
