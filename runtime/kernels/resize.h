// Resize (f32, any rank): nearest and multilinear interpolation, ONNX coordinate transformations.
//
// Every output index along every axis maps to input indices through a per-axis table (built on
// each run from the scales, which may be a run-time input: a few int32 and float per output
// index). An output row (the last axis) then reads one input row (nearest) or blends 2 per
// resized outer axis (linear), each element gathered through the last axis's table with a
// vector gather; consecutive output rows that read the same input rows are copied instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace axon::kernels {

enum class ResizeMode { kNearest, kLinear };
enum class ResizeCoordinates { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric };
enum class NearestRounding { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct ResizeLayout {
  std::vector<int64_t> in_shape, out_shape;  // same rank >= 1; every dim < 2^31
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoordinates coordinates = ResizeCoordinates::kHalfPixel;
  NearestRounding rounding = NearestRounding::kRoundPreferFloor;
};

// Outer axes a linear resize may blend across (2^this input rows per output row at most).
inline constexpr int kMaxLinearOuterAxes = 4;

// Input coordinate of output index `o` along an axis of `in` elements, for the ONNX
// transformation. scale: the given scale, or out / in when sizes were given. resized: ONNX's
// length_resized, which is in · scale (not the floored output size) when scales were given, as
// the spec's scale = length_resized / length_original and ONNX's reference and test data have it:
// align_corners on 4 → 2 elements at scale 0.6 maps output 1 to 3 / 1.4, not to 3.
double ResizeSourceCoordinate(ResizeCoordinates c, int64_t o, int64_t in, double resized, double scale);

std::size_t ResizeWorkspaceBytes(const ResizeLayout& layout);

// y = resize(x). scales: one per axis, or null to use out / in (sizes given). workspace:
// ResizeWorkspaceBytes, 64-byte aligned, or null to allocate. Results do not depend on the
// thread count.
void ResizeF32(const ResizeLayout& layout, const float* x, const float* scales, float* y, void* workspace = nullptr);

}  // namespace axon::kernels
