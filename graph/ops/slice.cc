// Slice (ONNX opset 13): starts, ends, axes and steps are inputs, read through InputValue; the
// output shape needs their values (and the input's dims on the sliced axes).
#include <algorithm>
#include <string>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"
#include "graph/ops/slice_rule.h"

namespace axon::graph {

SliceAxis ResolveSliceAxis(int64_t dim, int64_t start, int64_t end, int64_t step) {
  SliceAxis s;
  s.step = step;
  if (dim == 0) return s;  // nothing to take, and [0, dim - 1] would be empty
  // start < 0 and dim >= 0: the sum cannot overflow.
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    s.count = end > start ? (end - start - 1) / step + 1 : 0;  // ceil without overflowing end - start + step
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    // -step overflows for INT64_MIN: divide in 128 bits.
    s.count = start > end ? static_cast<int64_t>((static_cast<__int128>(start) - end - 1) / -static_cast<__int128>(step)) + 1 : 0;
  }
  s.start = start;
  return s;
}

namespace {

// starts/ends/axes/steps: 1-D, of Slice's index dtype (i64 or i32, one for all). Returns the
// length when known.
std::optional<int64_t> IndexVectorLength(const InferContext& ctx, std::size_t i, DType index_type) {
  const std::string& what = ctx.schema.InputName(i);
  ctx.Require(ctx.InType(i) == index_type, what + " must be " + std::string(DTypeName(index_type)) + " like starts, got " +
                                               std::string(DTypeName(ctx.InType(i))));
  const Shape& s = ctx.InShape(i);
  if (!s.has_rank()) return std::nullopt;
  ctx.Require(s.rank() == 1, what + " must be 1-D, got shape " + s.ToString());
  return s[0].known() ? std::optional<int64_t>(s[0].value()) : std::nullopt;
}

void InferSlice(InferContext& ctx) {
  const Shape& in = ctx.InShape(0);
  const DType dtype = ctx.InType(0);
  const DType index_type = ctx.InType(1);
  ctx.Require(index_type == DType::kI64 || index_type == DType::kI32,
              "starts must be i64 or i32, got " + std::string(DTypeName(index_type)));
  const bool has_axes = ctx.HasInput(3), has_steps = ctx.HasInput(4);
  // Every length that is known must agree with the others.
  std::optional<int64_t> n;
  for (std::size_t i = 1; i <= 4; ++i) {
    if (!ctx.HasInput(i)) continue;
    const std::optional<int64_t> len = IndexVectorLength(ctx, i, index_type);
    if (len && n)
      ctx.Require(*len == *n, ctx.schema.InputName(i) + " has " + std::to_string(*len) + " entries, starts " + std::to_string(*n));
    if (len) n = len;
  }
  // Each value is asked for, so that a planner learns this op reads all of them.
  const std::optional<std::vector<int64_t>> starts = IntValues(ctx, 1), ends = IntValues(ctx, 2);
  const std::optional<std::vector<int64_t>> axes = has_axes ? IntValues(ctx, 3) : std::nullopt;
  const std::optional<std::vector<int64_t>> steps = has_steps ? IntValues(ctx, 4) : std::nullopt;
  for (const auto* v : {&starts, &ends, &axes, &steps}) {
    if (!*v) continue;
    if (!n) n = static_cast<int64_t>((*v)->size());
    ctx.Require(static_cast<int64_t>((*v)->size()) == *n, "starts, ends, axes and steps differ in length");
  }
  if (!in.has_rank()) return ctx.SetOutput(0, dtype, Shape::UnknownRank());
  const int64_t rank = in.rank();

  std::vector<Dim> out = in.dims();
  if (n) ctx.Require(*n <= rank, std::to_string(*n) + " axes sliced for an input of rank " + std::to_string(rank));
  if (has_axes && !axes) {  // which axes are sliced is not known yet
    return ctx.SetOutput(0, dtype, Shape(std::vector<Dim>(static_cast<std::size_t>(rank))));
  }
  std::vector<int64_t> axis_list;
  if (axes) {
    std::vector<bool> seen(static_cast<std::size_t>(rank), false);
    for (int64_t a : *axes) {
      const auto k = static_cast<std::size_t>(ctx.Axis(a, rank));
      ctx.Require(!seen[k], "axes " + ShapeToString(*axes) + " name axis " + std::to_string(k) + " twice");
      seen[k] = true;
      axis_list.push_back(static_cast<int64_t>(k));
    }
  } else if (n) {
    for (int64_t k = 0; k < *n; ++k) axis_list.push_back(k);
  } else {  // neither the axes nor their count are known
    return ctx.SetOutput(0, dtype, Shape(std::vector<Dim>(static_cast<std::size_t>(rank))));
  }
  if (steps)
    for (int64_t s : *steps) ctx.Require(s != 0, "steps " + ShapeToString(*steps) + " has a 0");
  const bool values_known = starts && ends && (!has_steps || steps);
  for (std::size_t j = 0; j < axis_list.size(); ++j) {
    Dim& d = out[static_cast<std::size_t>(axis_list[j])];
    if (!values_known || !d.known()) {
      d = Dim();
      continue;
    }
    d = Dim(ResolveSliceAxis(d.value(), (*starts)[j], (*ends)[j], steps ? (*steps)[j] : 1).count);
  }
  ctx.SetOutput(0, dtype, Shape(std::move(out)));
}

// SliceGrad(dY, Like, starts, ends[, axes[, steps]]): Like's shape (the sliced data's; its
// bytes are never read), zeros except where Slice took its elements, which get dY's. Slice's
// index inputs as they were, so the rule holds for any steps (negative too) and for dims and
// indices known only to a plan, not to the graph.
void InferSliceGrad(InferContext& ctx) {
  ctx.RequireFloat(0);
  const DType index_type = ctx.InType(2);
  ctx.Require(index_type == DType::kI64 || index_type == DType::kI32,
              "starts must be i64 or i32, got " + std::string(DTypeName(index_type)));
  for (std::size_t i = 3; i < 6; ++i)
    if (ctx.HasInput(i)) IndexVectorLength(ctx, i, index_type);
  const Shape& dy = ctx.InShape(0);
  const Shape& like = ctx.InShape(1);
  if (dy.has_rank() && like.has_rank())
    ctx.Require(dy.rank() == like.rank(), "dY " + dy.ToString() + " and Like " + like.ToString() + " differ in rank");
  ctx.SetOutput(0, ctx.InType(0), like);
}

void SliceGrad(GradContext& g) {
  std::vector<std::string> inputs = {g.OutGrad(0), g.Input(0)};
  for (std::size_t i = 1; i < g.NumInputs(); ++i) inputs.push_back(g.Input(i));
  g.SetInputGrad(0, g.Op("SliceGrad", std::move(inputs)));
}

}  // namespace

AXON_OP(Slice).Inputs({"data", "starts", "ends", "axes", "steps"}, 3).Outputs({"output"}).Infer(InferSlice).Since(2)
    .Grad(SliceGrad);
AXON_OP(SliceGrad).Inputs({"dY", "Like", "starts", "ends", "axes", "steps"}, 4).Outputs({"dX"}).Infer(InferSliceGrad).Since(3);

}  // namespace axon::graph
