// The padded, phase-split copy of one image plane that the direct window kernels (depthwise
// convolution, pooling) read instead of the image: every window tap becomes a contiguous load
// with no bounds test. Rows are padded with a fill value (0 for sums, -inf for max) to the span
// the windows cover; along W a stride s splits each row into s phase rows (phase p holds padded
// columns p, p + s, p + 2s, ...), so tap kw reads phase (kw·dilation) mod s at offset
// (kw·dilation) div s, contiguously. This header holds the layout; padded_plane-inl.h the copy.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/kernels/im2col.h"

namespace axon::kernels::padded_plane {

// Floats after each phase row, so a full-vector load that starts inside the row never leaves
// it: the widest x86 vector (AVX-512, 16 floats), the same on every target so the scratch size
// does not depend on the target dispatched.
inline constexpr int64_t kSlack = 16;

// Padded extent of dim i: the span the windows cover, (out - 1)·stride + (kernel - 1)·dilation + 1.
inline int64_t Extent(const WindowGeometry& g, int i) {
  return g.out[i] == 0 ? 0 : (g.out[i] - 1) * g.stride[i] + (g.kernel[i] - 1) * g.dilation[i] + 1;
}
inline int64_t PhaseLength(const WindowGeometry& g) { return (Extent(g, 2) + g.stride[2] - 1) / g.stride[2] + kSlack; }
inline int64_t RowFloats(const WindowGeometry& g) { return g.stride[2] * PhaseLength(g); }
// Extent(0) × Extent(1) padded rows.
inline std::size_t Floats(const WindowGeometry& g) { return static_cast<std::size_t>(Extent(g, 0) * Extent(g, 1) * RowFloats(g)); }
// Where tap kw (0-based along W) of output column 0 starts within a padded row.
inline int64_t TapOffset(const WindowGeometry& g, int64_t kw) {
  const int64_t o = kw * g.dilation[2];
  return (o % g.stride[2]) * PhaseLength(g) + o / g.stride[2];
}
// The padded row that output row (od, oh) reads for tap (kd, kh).
inline int64_t RowIndex(const WindowGeometry& g, int64_t od, int64_t oh, int64_t kd, int64_t kh) {
  return (od * g.stride[0] + kd * g.dilation[0]) * Extent(g, 1) + oh * g.stride[1] + kh * g.dilation[1];
}

}  // namespace axon::kernels::padded_plane
