// Resize (ONNX opset-13 semantics, which opset 17 keeps): X, roi, scales, sizes inputs; modes
// nearest (every nearest_mode) and linear (multilinear over the resized axes), coordinate
// transformations half_pixel, pytorch_half_pixel, align_corners and asymmetric. Refused clearly:
// mode cubic and the tf_crop_and_resize / tf_half_pixel_for_nn transformations (the only users
// of roi, extrapolation_value, cubic_coeff_a and exclude_outside, which are read and ignored).
#include <cmath>

#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

[[noreturn]] void Unsupported(const InferContext& ctx, const std::string& what) {
  throw Error(ErrorCode::kUnsupported, ctx.node.Describe() + ": " + what + ctx.DescribeInputs());
}

// Whether optional input i is given with elements: exporters often pass an empty tensor for the
// one of scales and sizes they do not use. nullopt while its length is unknown.
std::optional<bool> GivenNonEmpty(const InferContext& ctx, std::size_t i) {
  if (!ctx.HasInput(i)) return false;
  const Shape& s = ctx.InShape(i);
  if (!s.has_rank()) return std::nullopt;
  ctx.Require(s.rank() == 1, ctx.schema.input_names()[i] + " must be 1-D, got " + s.ToString());
  if (!s[0].known()) return std::nullopt;
  return s[0].value() > 0;
}

void InferResize(InferContext& ctx) {
  ctx.RequireFloat(0);
  const std::string& mode = ctx.attrs.String("mode");
  if (mode == "cubic") Unsupported(ctx, "mode cubic is not supported (nearest and linear are)");
  ctx.Require(mode == "nearest" || mode == "linear", "mode '" + mode + "' must be nearest, linear or cubic");
  const std::string& coord = ctx.attrs.String("coordinate_transformation_mode");
  if (coord == "tf_crop_and_resize" || coord == "tf_half_pixel_for_nn")
    Unsupported(ctx, "coordinate_transformation_mode " + coord +
                         " is not supported (half_pixel, pytorch_half_pixel, align_corners and asymmetric are)");
  ctx.Require(coord == "half_pixel" || coord == "pytorch_half_pixel" || coord == "align_corners" || coord == "asymmetric",
              "coordinate_transformation_mode '" + coord + "' is not an ONNX mode");
  const std::string& nearest = ctx.attrs.String("nearest_mode");
  ctx.Require(nearest == "round_prefer_floor" || nearest == "round_prefer_ceil" || nearest == "floor" || nearest == "ceil",
              "nearest_mode '" + nearest + "' must be round_prefer_floor, round_prefer_ceil, floor or ceil");
  if (ctx.HasInput(2)) ctx.Require(ctx.InType(2) == DType::kF32, "scales must be f32, got " + std::string(DTypeName(ctx.InType(2))));
  if (ctx.HasInput(3)) ctx.Require(ctx.InType(3) == DType::kI64, "sizes must be i64, got " + std::string(DTypeName(ctx.InType(3))));
  const std::optional<bool> has_scales = GivenNonEmpty(ctx, 2), has_sizes = GivenNonEmpty(ctx, 3);
  if (has_scales && has_sizes) {
    ctx.Require(*has_scales != *has_sizes, *has_scales ? "give scales or sizes, not both (pass an empty scales to use sizes)"
                                                       : "needs scales or sizes");
  }
  const Shape& x = ctx.InShape(0);
  if (!x.has_rank()) return ctx.SetOutput(0, DType::kF32, Shape::UnknownRank());
  const int64_t rank = x.rank();
  std::vector<Dim> out(static_cast<std::size_t>(rank));
  const std::size_t which = has_scales.value_or(false) ? 2 : has_sizes.value_or(false) ? 3 : 0;
  const Tensor* value = which ? ctx.InputValue(which) : nullptr;
  if (!value) return ctx.SetOutput(0, DType::kF32, Shape(std::move(out)));  // rank known, sizes at run time
  ctx.Require(value->size() == rank, ctx.schema.input_names()[which] + " has " + std::to_string(value->size()) +
                                         " values for an input of rank " + std::to_string(rank));
  for (int64_t i = 0; i < rank; ++i) {
    const auto at = static_cast<std::size_t>(i);
    if (which == 3) {
      const int64_t size = value->data<int64_t>()[i];
      ctx.Require(size >= 0 && size <= kMaxElementCount, "sizes[" + std::to_string(i) + "] = " + std::to_string(size) + " is not a size");
      ctx.Require(size == 0 || !x[at].known() || x[at].value() > 0,
                  "sizes[" + std::to_string(i) + "] = " + std::to_string(size) + " cannot be resized from an empty dim");
      out[at] = Dim(size);
      continue;
    }
    const float scale = value->data<float>()[i];
    ctx.Require(std::isfinite(scale) && scale > 0, "scales[" + std::to_string(i) + "] = " + std::to_string(scale) + " must be > 0");
    if (!x[at].known()) continue;
    // floor(in · scale), in double as ONNX's reference computes it.
    const double size = std::floor(static_cast<double>(x[at].value()) * static_cast<double>(scale));
    ctx.Require(size <= static_cast<double>(kMaxElementCount), "scales[" + std::to_string(i) + "] makes dim " +
                                                                   std::to_string(i) + " too large");
    out[at] = Dim(static_cast<int64_t>(size));
  }
  ctx.SetOutput(0, DType::kF32, Shape(std::move(out)));
}

// Nearest reads one value per output, linear blends 2 per resized axis: ~4 for bilinear.
double ResizeFlops(const FlopContext& f) { return (f.attrs.String("mode") == "linear" ? 4 : 1) * OneFlopPerOutput(f); }

}  // namespace

AXON_OP(Resize)
    .Inputs({"X", "roi", "scales", "sizes"}, 1)
    .Outputs({"Y"})
    .Attr("coordinate_transformation_mode", AttrType::kString, std::string("half_pixel"))
    .Attr("cubic_coeff_a", AttrType::kFloat, -0.75f)
    .Attr("exclude_outside", AttrType::kInt, int64_t{0})
    .Attr("extrapolation_value", AttrType::kFloat, 0.0f)
    .Attr("mode", AttrType::kString, std::string("nearest"))
    .Attr("nearest_mode", AttrType::kString, std::string("round_prefer_floor"))
    .Infer(InferResize)
    .Flops(ResizeFlops)
    .Since(2);

}  // namespace axon::graph
