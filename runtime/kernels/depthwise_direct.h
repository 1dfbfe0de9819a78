// Layout of the direct depthwise kernel (depthwise_direct-inl.h): 2-D planes, stride 1 or 2, a
// 3×3 or 5×5 kernel, read from the image in place rather than from a padded copy of each plane.
//
// Output vectors: with stride 1 and output rows as wide as input rows ("same" padding) a vector
// runs over the flattened plane, across row ends, so a 7×7 plane takes 4 vectors of 16 rather
// than 7 mostly empty ones; otherwise every output row is cut into vectors (the last lanes of a
// row's last vector are computed and then overwritten by the next row); flat only while the lane
// columns' pattern repeats within a few vectors (see masks below). Lane i of a vector reads
// tap (kh, kw) at in_off + kh·dilation·W + kw·dilation + i·stride of the flattened image, where
// in_off is the vector's own offset. A tap column that falls left or right of the image reads the
// neighbouring row instead: each tap column sums into an accumulator of its own, zeroed in the
// lanes where that column is padding before the columns are added: the masks, which depend on the
// vector's place in its row alone, are a table made once per call (scratch), one entry per vector
// of a row in rows mode, one per vector of the pattern's period in flat mode. Rows above and below the
// image must read zeros: the vectors whose reads leave [0, H·W) read a window, a copy of the
// plane's first (or last) rows with zeros around them (scratch); all others read the image. The
// windows cost a few rows per plane, where the padded copy cost the whole plane.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "runtime/kernels/im2col.h"

namespace axon::kernels::depthwise_direct {

inline constexpr int64_t kMaxKernelW = 5;
// Flat mode's mask pattern repeats every W / gcd(W, lanes) vectors (7 for MobileNet's 7, 14, 28,
// 56 and 112 wide planes at 16 lanes); longer periods take rows mode.
inline constexpr int64_t kMaxFlatPeriod = 16;

// Whether the direct kernel takes geometry g (else the padded-plane kernel does): square 3×3 or
// 5×5 kernels, each a specialization with every tap loop unrolled.
inline bool Applies(const WindowGeometry& g) {
  const int64_t s = g.stride[2], k = g.kernel[2];
  return g.in[0] == 1 && g.out[0] == 1 && g.kernel[0] == 1 && g.stride[1] == s && (s == 1 || (s == 2 && g.dilation[2] == 1)) &&
         (k == 3 || k == 5) && g.kernel[1] == k && g.out[1] > 0 && g.out[2] > 0;
}

inline int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

struct Plan {
  int64_t w = 0, plane = 0;          // input row length, H·W
  int64_t out_w = 0, out_plane = 0;  // OW, OH·OW
  int64_t stride = 1, kh = 0, kw = 0, row_step = 0, dw = 1, lanes = 0;
  bool flat = false;       // vectors over the flattened plane (stride 1, OW == W)
  int64_t period = 0;      // mask table entries: flat, the pattern's period; rows, vectors per row
  int64_t lead = 0;        // in_off of output (0, 0): tap (0, 0) of the first lane
  int64_t span = 0;        // floats a vector's taps read from its in_off on
  int64_t row_vectors = 0, vectors = 0, last_in_off = 0;
  // Windows [lo, hi) of the flattened image (zeros outside [0, plane)); empty when lo >= hi.
  // `single`: one window holds every vector's reads (small planes).
  int64_t top_lo = 0, top_hi = 0, bottom_lo = 0, bottom_hi = 0;
  bool single = false;
  // Output columns [col_lo, col_hi] where tap column kw lies inside the image; masked: some lane
  // of some vector falls outside.
  int64_t col_lo[kMaxKernelW] = {}, col_hi[kMaxKernelW] = {};
  bool masked[kMaxKernelW] = {};

  int64_t TopFloats() const { return std::max<int64_t>(0, top_hi - top_lo); }
  int64_t BottomFloats() const { return single ? 0 : std::max<int64_t>(0, bottom_hi - bottom_lo); }
  // The mask table: period × kw vectors, entry e's column k at (e · kw + k) · lanes.
  int64_t MaskFloats() const { return period * kw * lanes; }
  // Scratch: the mask table, then the windows, each followed by `lanes` floats that whole-vector
  // fills may overrun.
  std::size_t ScratchFloats() const { return static_cast<std::size_t>(MaskFloats() + TopFloats() + BottomFloats() + 2 * lanes); }
};

inline int64_t Gcd(int64_t a, int64_t b) { return b == 0 ? a : Gcd(b, a % b); }

// The plan for vectors of `lanes` floats; g must satisfy Applies.
inline Plan MakePlan(const WindowGeometry& g, int64_t lanes) {
  Plan p;
  const int64_t ph = g.pad[1], pw = g.pad[2], oh = g.out[1];
  p.w = g.in[2], p.plane = g.in[1] * g.in[2], p.out_w = g.out[2], p.out_plane = g.out[1] * g.out[2];
  p.stride = g.stride[2], p.kh = g.kernel[1], p.kw = g.kernel[2], p.row_step = g.dilation[1] * p.w, p.dw = g.dilation[2];
  p.lanes = lanes;
  p.flat = p.stride == 1 && p.out_w == p.w && p.w / Gcd(p.w, lanes) <= kMaxFlatPeriod;
  p.lead = -ph * p.w - pw;
  const int64_t last_tap = (p.kw - 1) * p.dw;
  // Stride 2 loads 2·lanes floats from the even offset at or below each tap (LoadInterleaved2).
  p.span = (p.kh - 1) * p.row_step + (p.stride == 1 ? last_tap + lanes : (last_tap & ~int64_t{1}) + 2 * lanes);
  p.row_vectors = (p.out_w + lanes - 1) / lanes;
  p.period = p.flat ? p.w / Gcd(p.w, lanes) : p.row_vectors;
  p.vectors = p.flat ? (p.out_plane + lanes - 1) / lanes : oh * p.row_vectors;
  p.last_in_off = p.flat ? (p.vectors - 1) * lanes + p.lead
                         : ((oh - 1) * p.stride - ph) * p.w + (p.row_vectors - 1) * lanes * p.stride - pw;
  // in_off grows along the vectors (first, lead; last, last_in_off): a vector with in_off < 0 reads
  // the top window, one with in_off > plane - span the bottom one.
  if (p.lead < 0) p.top_lo = p.lead, p.top_hi = std::min<int64_t>(-1, p.last_in_off) + p.span;
  if (p.last_in_off > p.plane - p.span) {
    p.bottom_lo = std::max<int64_t>(0, p.plane - p.span + 1), p.bottom_hi = p.last_in_off + p.span;
  }
  if (p.top_hi > p.top_lo && p.bottom_hi > p.bottom_lo && p.top_hi >= p.bottom_lo) {
    p.single = true;
    p.top_hi = p.bottom_hi;
  }
  for (int64_t k = 0; k < p.kw; ++k) {
    const int64_t c = k * p.dw - pw;  // input column of output column 0's tap k
    p.col_lo[k] = -FloorDiv(c, p.stride);  // ceil(-c / stride)
    p.col_hi[k] = FloorDiv(p.w - 1 - c, p.stride);
    p.masked[k] = p.col_lo[k] > 0 || p.col_hi[k] < p.out_w - 1;
  }
  return p;
}

// Scratch for any target's vector width (the plan depends on it; the scratch size must not).
inline std::size_t ScratchFloats(const WindowGeometry& g) {
  std::size_t floats = 0;
  for (int64_t lanes = 1; lanes <= 64; lanes *= 2) floats = std::max(floats, MakePlan(g, lanes).ScratchFloats());
  return floats;
}

}  // namespace axon::kernels::depthwise_direct
