// ReduceSum, ReduceMean and ReduceMax with ONNX's semantics: ReduceSum as in opset 13 (axes an
// optional i64 input, noop_with_empty_axes), ReduceMean and ReduceMax as in opset 17 (axes an
// attribute). keepdims defaults to 1. Axes may be negative; a repeated axis is refused (numpy
// refuses it too, where ONNX is silent).
#include "graph/ops/reduce_axes.h"

#include "graph/ops/grad_helpers.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {

std::optional<uint64_t> ReducedAxesMask(std::span<const int64_t> axes, int64_t rank, bool noop_with_empty_axes,
                                        std::string* error) {
  if (axes.empty()) return noop_with_empty_axes || rank == 0 ? 0 : ~uint64_t{0} >> (64 - rank);
  uint64_t mask = 0;
  for (int64_t axis : axes) {
    const std::optional<int64_t> a = NormalizeAxis(axis, rank);
    if (!a) {
      if (error) *error = "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank);
      return std::nullopt;
    }
    if (rank == 0) continue;  // a scalar's axis 0 (or -1) names no dim: nothing is reduced
    if (mask >> *a & 1) {
      if (error) *error = "axes name dim " + std::to_string(*a) + " twice";
      return std::nullopt;
    }
    mask |= uint64_t{1} << *a;
  }
  return mask;
}

namespace {

int64_t Flag(const InferContext& ctx, const char* name) {
  const int64_t v = ctx.attrs.Int(name);
  ctx.Require(v == 0 || v == 1, std::string(name) + " must be 0 or 1, got " + std::to_string(v));
  return v;
}

// axes_input: ReduceSum's form (input 1); otherwise the attribute. i64: the op also takes i64 data.
void InferReduce(InferContext& ctx, bool axes_input, bool i64) {
  const DType t = ctx.InType(0);
  if (i64) {
    ctx.Require(t == DType::kF32 || t == DType::kI64,
                "input data must be f32 or i64, got " + std::string(DTypeName(t)));
  } else {
    ctx.RequireFloat(0);
  }
  const bool keepdims = Flag(ctx, "keepdims") != 0;
  const bool noop = axes_input && Flag(ctx, "noop_with_empty_axes") != 0;
  const Shape& in = ctx.InShape(0);

  std::vector<int64_t> axes;
  if (axes_input && ctx.HasInput(1)) {
    ctx.Require(ctx.InType(1) == DType::kI64, "axes must be i64, got " + std::string(DTypeName(ctx.InType(1))));
    const Shape& axes_shape = ctx.InShape(1);
    ctx.Require(!axes_shape.has_rank() || axes_shape.rank() == 1, "axes must be 1-D, got " + axes_shape.ToString());
    const Tensor* value = ctx.InputValue(1);
    const bool empty = axes_shape.has_rank() && axes_shape[0].known() && axes_shape[0].value() == 0;
    if (value) {
      axes.assign(value->data<int64_t>(), value->data<int64_t>() + value->size());
    } else if (!empty) {
      // Axes computed during the run: the rank is known when keepdims is (or from the count of
      // axes), the sizes only where a dim of 1 stays 1 either way.
      if (!in.has_rank()) return ctx.SetOutput(0, t, Shape::UnknownRank());
      if (keepdims) {
        std::vector<Dim> dims;
        for (const Dim& d : in.dims()) dims.push_back(d.known() && d.value() == 1 ? Dim(1) : Dim());
        return ctx.SetOutput(0, t, Shape(std::move(dims)));
      }
      if (!axes_shape.has_rank() || !axes_shape[0].known()) return ctx.SetOutput(0, t, Shape::UnknownRank());
      const int64_t count = axes_shape[0].value();
      ctx.Require(count <= in.rank(), "axes has " + std::to_string(count) + " entries for an input of rank " +
                                          std::to_string(in.rank()));
      return ctx.SetOutput(0, t, Shape(std::vector<Dim>(static_cast<std::size_t>(in.rank() - count))));
    }
  } else if (!axes_input && ctx.attrs.Has("axes")) {
    axes = ctx.attrs.Ints("axes");
  }

  if (!in.has_rank()) return ctx.SetOutput(0, t, axes.empty() && noop ? in : Shape::UnknownRank());
  std::string error;
  const std::optional<uint64_t> mask = ReducedAxesMask(axes, in.rank(), noop, &error);
  if (!mask) ctx.Fail(error);
  std::vector<Dim> out;
  for (int64_t i = 0; i < in.rank(); ++i) {
    if (!(*mask >> i & 1)) {
      out.push_back(in[static_cast<std::size_t>(i)]);
    } else if (keepdims) {
      out.emplace_back(1);
    }
  }
  ctx.SetOutput(0, t, Shape(std::move(out)));
}

// One operation per input element.
double ReduceFlops(const FlopContext& f) {
  double n = 1;
  for (int64_t d : f.inputs.at(0)) n *= static_cast<double>(d);
  return n;
}

// dX = dY broadcast back over the reduced axes (a mean also divides by the count). The axes
// must be known when the gradient graph is made: an attribute or a constant input.
void ReduceGrad(GradContext& g, bool mean) {
  const int64_t rank = g.InRank(0);
  std::vector<int64_t> axes;
  bool noop = false;
  if (!mean) {
    noop = g.attrs().Int("noop_with_empty_axes") != 0;
    if (g.NumInputs() > 1 && !g.Input(1).empty()) {
      const Tensor* t = g.ConstantInput(1);
      if (!t) g.Fail("the axes are computed at run time; they must be a constant");
      axes.assign(t->data<int64_t>(), t->data<int64_t>() + t->size());
    }
  } else if (g.attrs().Has("axes")) {
    axes = g.attrs().Ints("axes");
  }
  const uint64_t mask = ReducedAxesMask(axes, rank, noop, nullptr).value();  // inference checked them
  const std::string& x = g.Input(0);
  if (mask == 0) return g.SetInputGrad(0, g.OutGrad(0));
  std::vector<int64_t> reduced;
  for (int64_t i = 0; i < rank; ++i)
    if (mask >> i & 1) reduced.push_back(i);
  std::string dy = g.OutGrad(0);
  if (g.attrs().Int("keepdims") == 0) dy = g.Op("Unsqueeze", {dy, g.Ints(reduced)});
  g.SetInputGrad(0, ExpandReduced(g, dy, x, reduced, mean));
}

// dY shared evenly among the elements equal to their maximum (PyTorch's amax: ties split it).
void ReduceMaxGrad(GradContext& g) {
  const int64_t rank = g.InRank(0);
  const std::vector<int64_t> axes = g.attrs().Has("axes") ? g.attrs().Ints("axes") : std::vector<int64_t>{};
  const uint64_t mask = ReducedAxesMask(axes, rank, false, nullptr).value();
  std::vector<int64_t> reduced;
  for (int64_t i = 0; i < rank; ++i)
    if (mask >> i & 1) reduced.push_back(i);
  if (reduced.empty()) return g.SetInputGrad(0, g.OutGrad(0));
  std::string y = g.Output(0), dy = g.OutGrad(0);
  if (g.attrs().Int("keepdims") == 0) {
    y = g.Op("Unsqueeze", {y, g.Ints(reduced)});
    dy = g.Op("Unsqueeze", {dy, g.Ints(reduced)});
  }
  const std::string at_max = g.Op("Cast", {g.Op("Equal", {g.Input(0), y})}, {{"to", int64_t{1}}});  // ONNX's FLOAT
  const std::string ties = g.Op("ReduceSum", {at_max, g.Ints(reduced)}, {{"keepdims", int64_t{1}}});
  g.SetInputGrad(0, g.Mul(at_max, g.Div(dy, ties)));
}

}  // namespace

std::string ExpandReduced(GradContext& g, const std::string& dy_kept, const std::string& x,
                          const std::vector<int64_t>& axes, bool mean) {
  std::string dy = dy_kept;
  if (mean) {
    const Shape& shape = g.InfoOf(x).shape;
    std::vector<Dim> dims;
    for (int64_t a : axes) dims.push_back(shape[static_cast<std::size_t>(a)]);
    const DimProduct count = MultiplyDims(dims);
    if (count.value) {
      dy = g.Mul(dy, g.Scalar(1.0f / static_cast<float>(*count.value)));
    } else {  // a symbolic dim is reduced: the count is known only when a plan is made
      const std::string ones = g.Op("ConstantOfShape", {g.ShapeOf(x)},
                                    {{"value", TensorAttr{Tensor::FromVector(std::vector<float>{1.0f}, {1})}}});
      dy = g.Div(dy, g.Op("ReduceSum", {ones, g.Ints(axes)}, {{"keepdims", int64_t{1}}}));
    }
  }
  return g.Op("Expand", {dy, g.ShapeOf(x)});
}

AXON_OP(ReduceSum).Since(2).Inputs({"data", "axes"}, 1).Outputs({"reduced"})
    .Attr("keepdims", AttrType::kInt, int64_t{1}).Attr("noop_with_empty_axes", AttrType::kInt, int64_t{0})
    .Infer([](InferContext& ctx) { InferReduce(ctx, /*axes_input=*/true, /*i64=*/true); }).Flops(ReduceFlops)
    .Grad([](GradContext& g) { ReduceGrad(g, /*mean=*/false); });
AXON_OP(ReduceMean).Since(2).Inputs({"data"}).Outputs({"reduced"})
    .Attr("axes", AttrType::kInts).Attr("keepdims", AttrType::kInt, int64_t{1})
    .Infer([](InferContext& ctx) { InferReduce(ctx, /*axes_input=*/false, /*i64=*/false); }).Flops(ReduceFlops)
    .Grad([](GradContext& g) { ReduceGrad(g, /*mean=*/true); });
AXON_OP(ReduceMax).Since(2).Inputs({"data"}).Outputs({"reduced"})
    .Attr("axes", AttrType::kInts).Attr("keepdims", AttrType::kInt, int64_t{1})
    .Infer([](InferContext& ctx) { InferReduce(ctx, /*axes_input=*/false, /*i64=*/true); }).Flops(ReduceFlops)
    .Grad(ReduceMaxGrad);

}  // namespace axon::graph
