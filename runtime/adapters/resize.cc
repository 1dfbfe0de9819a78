// Adapter of Resize. The scales are read on every run (they may be fed at run time); with sizes
// the kernel takes out / in as the scale, from the planned shapes.
#include "runtime/adapter.h"
#include "runtime/kernels/resize.h"

namespace axon::runtime {
namespace {

BoundStep BindResize(const BindContext& b) {
  kernels::ResizeLayout l;
  l.in_shape = b.InShape(0);
  l.out_shape = b.OutShape(0);
  if (l.in_shape.empty())
    throw Error(ErrorCode::kUnsupported, b.node().Describe() + ": Resize of a scalar is not supported");
  for (std::size_t i = 0; i < l.in_shape.size(); ++i)
    if (l.in_shape[i] >= (int64_t{1} << 31) || l.out_shape[i] >= (int64_t{1} << 31))
      throw Error(ErrorCode::kUnsupported, b.node().Describe() + ": Resize of a dim of 2^31 elements or more is not supported");
  const graph::AttrReader& attrs = b.attrs();
  l.mode = attrs.String("mode") == "linear" ? kernels::ResizeMode::kLinear : kernels::ResizeMode::kNearest;
  const std::string& coord = attrs.String("coordinate_transformation_mode");
  l.coordinates = coord == "asymmetric"           ? kernels::ResizeCoordinates::kAsymmetric
                  : coord == "align_corners"      ? kernels::ResizeCoordinates::kAlignCorners
                  : coord == "pytorch_half_pixel" ? kernels::ResizeCoordinates::kPytorchHalfPixel
                                                  : kernels::ResizeCoordinates::kHalfPixel;
  const std::string& nearest = attrs.String("nearest_mode");
  l.rounding = nearest == "floor"               ? kernels::NearestRounding::kFloor
               : nearest == "ceil"              ? kernels::NearestRounding::kCeil
               : nearest == "round_prefer_ceil" ? kernels::NearestRounding::kRoundPreferCeil
                                                : kernels::NearestRounding::kRoundPreferFloor;
  // Scales are used when given with elements (an empty scales stands for "use sizes").
  const bool scales = b.HasIn(2) && !b.InShape(2).empty() && b.InShape(2)[0] > 0;
  auto layout = std::make_shared<const kernels::ResizeLayout>(std::move(l));
  return BoundStep{.run = [layout, scales](const StepArgs& a) {
                     kernels::ResizeF32(*layout, a.In<float>(0), scales ? a.In<float>(2) : nullptr, a.Out<float>(0),
                                        a.workspace);
                   },
                   .workspace_bytes = static_cast<int64_t>(kernels::ResizeWorkspaceBytes(*layout))};
}

}  // namespace

AXON_ADAPTER(Resize, BindResize);

}  // namespace axon::runtime
