// Ops whose output is a shape, or whose output shape is an input's VALUES: Shape (opset 15),
// ConstantOfShape (9), Expand (13) and Range (11). Those that read values do so through
// InputValue, so a planner knows their outputs depend on the data (and keys plans by it).
#include "graph/ops/shape_values.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {

std::pair<int64_t, int64_t> ShapeOpRange(const AttrReader& attrs, int64_t rank) {
  auto clamp = [rank](int64_t i) { return std::clamp(i < 0 ? i + rank : i, int64_t{0}, rank); };
  // i + rank cannot overflow: i < 0 and rank <= kMaxRank.
  const int64_t start = clamp(attrs.Int("start"));
  const int64_t end = attrs.Has("end") ? clamp(attrs.Int("end")) : rank;
  return {start, std::max(start, end)};
}

namespace {

std::string TypeName(DType t) { return std::string(DTypeName(t)); }

void InferShape(InferContext& ctx) {
  const Shape& in = ctx.InShape(0);
  if (!in.has_rank()) return ctx.SetOutput(0, DType::kI64, Shape({Dim()}));
  const auto [start, end] = ShapeOpRange(ctx.attrs, in.rank());
  ctx.SetOutput(0, DType::kI64, Shape({Dim(end - start)}));
}

// A shape given as a 1-D i64 tensor's values: entries must be >= 0 and at most kMaxRank of them.
// nullopt when the values are not known (then `rank` has the count when that is known).
std::optional<std::vector<int64_t>> ShapeValues(const InferContext& ctx, std::size_t i, const std::string& what,
                                                std::optional<int64_t>& rank) {
  rank = RequireI64Vector(ctx, i, what);
  const std::optional<std::vector<int64_t>> v = IntValues(ctx, i);
  if (v) rank = static_cast<int64_t>(v->size());
  if (rank)
    ctx.Require(*rank <= kMaxRank, what + " has " + std::to_string(*rank) + " entries; at most " +
                                       std::to_string(kMaxRank) + " dims are supported");
  if (v)
    for (int64_t d : *v) ctx.Require(d >= 0, what + " " + ShapeToString(*v) + " has a negative entry");
  return v;
}

void InferConstantOfShape(InferContext& ctx) {
  const Tensor& value = ctx.attrs.TensorValue("value");
  ctx.Require(value.defined() && value.size() == 1,
              "attribute 'value' must hold one element, got " + std::to_string(value.size()));
  std::optional<int64_t> rank;
  const std::optional<std::vector<int64_t>> shape = ShapeValues(ctx, 0, "input", rank);
  if (shape) return ctx.SetOutput(0, value.dtype(), Shape::FromValues(*shape));
  ctx.SetOutput(0, value.dtype(), rank ? Shape(std::vector<Dim>(static_cast<std::size_t>(*rank))) : Shape::UnknownRank());
}

void InferExpand(InferContext& ctx) {
  const Shape& in = ctx.InShape(0);
  std::optional<int64_t> rank;
  const std::optional<std::vector<int64_t>> shape = ShapeValues(ctx, 1, "shape", rank);
  if (shape) return ctx.SetOutput(0, ctx.InType(0), BroadcastShapes(ctx, in, Shape::FromValues(*shape)));
  // Shape computed at run time: the rank is the larger of the two when both are known.
  if (!rank || !in.has_rank()) return ctx.SetOutput(0, ctx.InType(0), Shape::UnknownRank());
  ctx.SetOutput(0, ctx.InType(0), Shape(std::vector<Dim>(static_cast<std::size_t>(std::max(*rank, in.rank())))));
}

// Reads a scalar-like input (rank 0, or one element as ONNX Runtime accepts) as a double or as
// an i64; the caller knows which its dtype is.
const Tensor* ScalarValue(const InferContext& ctx, std::size_t i) {
  const Shape& s = ctx.InShape(i);
  ctx.Require(!s.has_rank() || s.rank() == 0 || (s.rank() == 1 && (!s[0].known() || s[0].value() == 1)),
              "input " + ctx.schema.InputName(i) + " must be a scalar, got shape " + s.ToString());
  const Tensor* t = ctx.InputValue(i);
  if (t) ctx.Require(t->size() == 1, "input " + ctx.schema.InputName(i) + " must hold one value");
  return t;
}

// ceil((limit - start) / delta), at least 0, exactly in 128-bit arithmetic.
int64_t IntRangeCount(const InferContext& ctx, int64_t start, int64_t limit, int64_t delta) {
  ctx.Require(delta != 0, "delta is 0");
  const __int128 diff = static_cast<__int128>(limit) - start;
  __int128 count = 0;
  if (delta > 0 && diff > 0) count = (diff + delta - 1) / delta;
  if (delta < 0 && diff < 0) count = (-diff + -static_cast<__int128>(delta) - 1) / -static_cast<__int128>(delta);
  ctx.Require(count <= kMaxElementCount, "Range of " + std::to_string(start) + " to " + std::to_string(limit) + " by " +
                                             std::to_string(delta) + " has too many elements");
  return static_cast<int64_t>(count);
}

// As ONNX Runtime computes it for floats: the difference in f32, the quotient in double.
int64_t FloatRangeCount(const InferContext& ctx, float start, float limit, float delta) {
  ctx.Require(delta != 0.0f, "delta is 0");
  const double count = std::ceil(static_cast<double>(limit - start) / static_cast<double>(delta));
  ctx.Require(!std::isnan(count) && count <= static_cast<double>(kMaxElementCount),
              "Range of " + std::to_string(start) + " to " + std::to_string(limit) + " by " + std::to_string(delta) +
                  " has no finite element count");
  return count > 0 ? static_cast<int64_t>(count) : 0;
}

void InferRange(InferContext& ctx) {
  const DType t = ctx.InType(0);
  ctx.Require(t == DType::kF32 || t == DType::kI64 || t == DType::kI32,
              "inputs must be f32, i64 or i32, got " + TypeName(t));
  ctx.Require(ctx.InType(1) == t && ctx.InType(2) == t, "start, limit and delta must have one dtype, got " + TypeName(t) +
                                                            ", " + TypeName(ctx.InType(1)) + ", " + TypeName(ctx.InType(2)));
  const Tensor* start = ScalarValue(ctx, 0);
  const Tensor* limit = ScalarValue(ctx, 1);
  const Tensor* delta = ScalarValue(ctx, 2);
  if (!start || !limit || !delta) return ctx.SetOutput(0, t, Shape({Dim()}));
  int64_t count = 0;
  if (t == DType::kF32) {
    count = FloatRangeCount(ctx, start->data<float>()[0], limit->data<float>()[0], delta->data<float>()[0]);
  } else {
    auto at = [t](const Tensor* v) { return t == DType::kI64 ? v->data<int64_t>()[0] : int64_t{v->data<int32_t>()[0]}; };
    count = IntRangeCount(ctx, at(start), at(limit), at(delta));
  }
  ctx.SetOutput(0, t, Shape({Dim(count)}));
}

}  // namespace

AXON_OP(Shape).Inputs({"data"}).Outputs({"shape"}).Attr("start", AttrType::kInt, int64_t{0}).Attr("end", AttrType::kInt)
    .Infer(InferShape).Since(2);
AXON_OP(ConstantOfShape).Inputs({"input"}).Outputs({"output"})
    .Attr("value", AttrType::kTensor, TensorAttr{Tensor::FromVector(std::vector<float>{0.0f}, {1})})
    .Infer(InferConstantOfShape).Since(2);
AXON_OP(Expand).Inputs({"input", "shape"}).Outputs({"output"}).Infer(InferExpand).Since(2)
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.SumTo(g.OutGrad(0), g.Input(0))); });
AXON_OP(Range).Inputs({"start", "limit", "delta"}).Outputs({"output"}).Infer(InferRange).Since(2);

}  // namespace axon::graph
