// Ops that move or relabel data without arithmetic: Identity, Reshape, Flatten, Transpose,
// Squeeze, Unsqueeze (ONNX opset 13: axes as an input, read through InputValue).
#include <numeric>
#include <span>
#include <string>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

void InferIdentity(InferContext& ctx) { ctx.SetOutput(0, ctx.InType(0), ctx.InShape(0)); }

std::string TooManyDims(int64_t n) {
  return "shape has " + std::to_string(n) + " entries; at most " + std::to_string(kMaxRank) + " dims are supported";
}

void InferReshape(InferContext& ctx) {
  ctx.Require(ctx.InType(1) == DType::kI64, "shape must be i64");
  const Shape& shape_shape = ctx.InShape(1);
  ctx.Require(!shape_shape.has_rank() || shape_shape.rank() == 1, "shape must be 1-D");
  const Tensor* spec = ctx.InputValue(1);
  if (!spec) {
    // Shape computed at run time: only the rank is known, from the length of the shape tensor.
    // That length is declared by the file, so it is bounded before a Dim is made for it.
    if (shape_shape.has_rank() && shape_shape[0].known()) {
      const int64_t rank = shape_shape[0].value();
      ctx.Require(rank <= kMaxRank, TooManyDims(rank));
      return ctx.SetOutput(0, ctx.InType(0), Shape(std::vector<Dim>(static_cast<std::size_t>(rank))));
    }
    return ctx.SetOutput(0, ctx.InType(0), Shape::UnknownRank());
  }
  ctx.Require(spec->size() <= kMaxRank, TooManyDims(spec->size()));
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
      // Copies the input's dim i, which is unknown while the input's rank is.
      ctx.Require(!in.has_rank() || i < in.rank(), "shape copies dim " + std::to_string(i) + " that the input lacks");
      out.push_back(in.has_rank() ? in[i] : Dim());
    } else {
      ctx.Require(s[i] >= 0, "shape has invalid entry " + std::to_string(s[i]));
      out.emplace_back(s[i]);
    }
  }
  const Dim total = in.has_rank() ? ctx.Product(in.dims()) : Dim();
  std::vector<Dim> other_dims = out;
  if (infer_at >= 0) other_dims.erase(other_dims.begin() + infer_at);
  const Dim others = ctx.Product(other_dims);
  if (total.known() && others.known()) {
    if (infer_at >= 0) {
      ctx.Require(others.value() != 0 && total.value() % others.value() == 0,
                  "cannot infer the -1 in " + Shape(out).ToString() + " from " + std::to_string(total.value()) +
                      " elements");
      out[infer_at] = Dim(total.value() / others.value());
    } else {
      ctx.Require(others.value() == total.value(), "cannot reshape " + in.ToString() + " to " + Shape(out).ToString());
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
  const std::span<const Dim> dims(in.dims());
  const auto split = static_cast<std::size_t>(axis);
  ctx.SetOutput(0, ctx.InType(0), Shape({ctx.Product(dims.first(split)), ctx.Product(dims.subspan(split))}));
}

void InferTranspose(InferContext& ctx) {
  const Shape& in = ctx.InShape(0);
  const bool has_perm = ctx.attrs.Has("perm");
  if (!in.has_rank() && !has_perm) return ctx.SetOutput(0, ctx.InType(0), Shape::UnknownRank());
  const std::vector<int64_t> perm = TransposePerm(ctx.attrs, in.rank());
  // perm comes from the file: its length is checked before its entries are used as indices.
  const auto n = static_cast<int64_t>(perm.size());
  if (in.has_rank())
    ctx.Require(n == in.rank(),
                "perm has " + std::to_string(n) + " entries for an input of rank " + std::to_string(in.rank()));
  else
    ctx.Require(n <= kMaxRank, "perm has " + std::to_string(n) + " entries; at most " + std::to_string(kMaxRank) +
                                   " dims are supported");
  std::vector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    ctx.Require(p >= 0 && p < n && !seen[static_cast<std::size_t>(p)],
                "perm " + ShapeToString(perm) + " is not a permutation of 0.." + std::to_string(n - 1));
    seen[static_cast<std::size_t>(p)] = true;
  }
  if (!in.has_rank())  // the rank is perm's length even when the dims are not known
    return ctx.SetOutput(0, ctx.InType(0), Shape(std::vector<Dim>(perm.size())));
  std::vector<Dim> out;
  for (int64_t p : perm) out.push_back(in[static_cast<std::size_t>(p)]);
  ctx.SetOutput(0, ctx.InType(0), Shape(std::move(out)));
}

// Normalizes axes against rank, refusing out-of-range and repeated ones; marks them in a mask.
std::vector<bool> AxesMask(const InferContext& ctx, const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<bool> mask(static_cast<std::size_t>(rank), false);
  for (int64_t a : axes) {
    const auto k = static_cast<std::size_t>(ctx.Axis(a, rank));
    ctx.Require(!mask[k], "axes " + ShapeToString(axes) + " name axis " + std::to_string(k) + " twice");
    mask[k] = true;
  }
  return mask;
}

void InferSqueeze(InferContext& ctx) {
  const Shape& in = ctx.InShape(0);
  const DType dtype = ctx.InType(0);
  if (!ctx.HasInput(1)) {  // every dim of size 1 goes; a dim not known yet might be one
    if (!in.has_rank()) return ctx.SetOutput(0, dtype, Shape::UnknownRank());
    std::vector<Dim> out;
    for (const Dim& d : in.dims()) {
      if (!d.known()) return ctx.SetOutput(0, dtype, Shape::UnknownRank());
      if (d.value() != 1) out.push_back(d);
    }
    return ctx.SetOutput(0, dtype, Shape(std::move(out)));
  }
  const std::optional<int64_t> count = RequireI64Vector(ctx, 1, "axes");
  const std::optional<std::vector<int64_t>> axes = IntValues(ctx, 1);
  if (!in.has_rank()) return ctx.SetOutput(0, dtype, Shape::UnknownRank());
  if (!axes) {  // axes computed at run time: only the rank is known, from their count
    if (!count) return ctx.SetOutput(0, dtype, Shape::UnknownRank());
    ctx.Require(*count <= in.rank(), std::to_string(*count) + " axes for an input of rank " + std::to_string(in.rank()));
    return ctx.SetOutput(0, dtype, Shape(std::vector<Dim>(static_cast<std::size_t>(in.rank() - *count))));
  }
  const std::vector<bool> squeezed = AxesMask(ctx, *axes, in.rank());
  std::vector<Dim> out;
  for (int64_t k = 0; k < in.rank(); ++k) {
    const Dim& d = in[static_cast<std::size_t>(k)];
    if (!squeezed[static_cast<std::size_t>(k)]) {
      out.push_back(d);
    } else {
      ctx.Require(!d.known() || d.value() == 1, "cannot squeeze axis " + std::to_string(k) + " of size " + d.ToString());
    }
  }
  ctx.SetOutput(0, dtype, Shape(std::move(out)));
}

void InferUnsqueeze(InferContext& ctx) {
  const Shape& in = ctx.InShape(0);
  const DType dtype = ctx.InType(0);
  const std::optional<int64_t> count = RequireI64Vector(ctx, 1, "axes");
  const std::optional<std::vector<int64_t>> axes = IntValues(ctx, 1);
  if (!in.has_rank()) return ctx.SetOutput(0, dtype, Shape::UnknownRank());
  const std::optional<int64_t> added = axes ? std::optional<int64_t>(static_cast<int64_t>(axes->size())) : count;
  if (!added) return ctx.SetOutput(0, dtype, Shape::UnknownRank());
  // The count comes from the file: bounded before a shape is made from it.
  ctx.Require(*added <= kMaxRank - in.rank(), std::to_string(*added) + " axes added to rank " + std::to_string(in.rank()) +
                                                  "; at most " + std::to_string(kMaxRank) + " dims are supported");
  const int64_t rank = in.rank() + *added;
  if (!axes) return ctx.SetOutput(0, dtype, Shape(std::vector<Dim>(static_cast<std::size_t>(rank))));
  const std::vector<bool> inserted = AxesMask(ctx, *axes, rank);
  std::vector<Dim> out;
  std::size_t next = 0;
  for (std::size_t k = 0; k < static_cast<std::size_t>(rank); ++k) out.push_back(inserted[k] ? Dim(1) : in[next++]);
  ctx.SetOutput(0, dtype, Shape(std::move(out)));
}

// Reshape, Flatten, Squeeze, Unsqueeze only relabel: the gradient is dY relabelled as X.
void RelabelGrad(GradContext& g) { g.SetInputGrad(0, g.ReshapeLike(g.OutGrad(0), g.Input(0))); }

void TransposeGrad(GradContext& g) {
  const std::vector<int64_t> perm = TransposePerm(g.attrs(), g.InRank(0));
  std::vector<int64_t> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[static_cast<std::size_t>(perm[i])] = static_cast<int64_t>(i);
  g.SetInputGrad(0, g.Op("Transpose", {g.OutGrad(0)}, {{"perm", inverse}}));
}

}  // namespace

AXON_OP(Identity).Inputs({"input"}).Outputs({"output"}).Infer(InferIdentity)
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.OutGrad(0)); });
AXON_OP(Reshape).Inputs({"data", "shape"}).Outputs({"reshaped"})
    .Attr("allowzero", AttrType::kInt, int64_t{0}).Infer(InferReshape).Grad(RelabelGrad);
AXON_OP(Flatten).Inputs({"input"}).Outputs({"output"}).Attr("axis", AttrType::kInt, int64_t{1}).Infer(InferFlatten)
    .Grad(RelabelGrad);
AXON_OP(Transpose).Inputs({"data"}).Outputs({"transposed"}).Attr("perm", AttrType::kInts).Infer(InferTranspose)
    .Grad(TransposeGrad);
AXON_OP(Squeeze).Inputs({"data", "axes"}, 1).Outputs({"squeezed"}).Infer(InferSqueeze).Since(2).Grad(RelabelGrad);
AXON_OP(Unsqueeze).Inputs({"data", "axes"}).Outputs({"expanded"}).Infer(InferUnsqueeze).Since(2).Grad(RelabelGrad);

}  // namespace axon::graph
