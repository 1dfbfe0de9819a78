// Pooling over NCHW planes (1-D to 3-D windows): max, average, global average.
//
// MaxPool and AveragePool read a padded, phase-split copy of each plane (padded_plane.h: -inf
// or 0 in the padding), so every window tap is a contiguous vector load with no bounds test,
// whatever the stride and dilation. AveragePool's divisor is separable: per output position it is
// the product of the taps counted along each dim (all of the window inside the padded input when
// count_include_pad, else only the taps inside the image), tabulated once per plan.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/kernels/im2col.h"

namespace axon::kernels {

enum class PoolKind { kMax, kAverage };

// Made once per plan (shapes trusted: the schemas checked them).
struct PoolLayout {
  PoolKind kind = PoolKind::kMax;
  int64_t planes = 0;  // N · C
  WindowGeometry window;
  // Average: taps counted per output index along D and H, and along W (followed by slack, so a
  // full vector can be loaded from any valid column).
  std::vector<float> count_d, count_h, count_w;
  std::size_t scratch_floats = 0;  // per thread: one padded plane
};

// pad_end: the end padding of each of the window's 3 dims (for count_include_pad).
PoolLayout MakePoolLayout(PoolKind kind, int64_t planes, const WindowGeometry& window,
                          const std::array<int64_t, 3>& pad_end, bool count_include_pad);
std::size_t PoolWorkspaceBytes(const PoolLayout& layout, int threads);

// y = pool(x). Max propagates NaN (a window holding one gives NaN, on every target); a window
// with no input element gives -inf (max) or NaN (average excluding the padding: 0 / 0). workspace:
// PoolWorkspaceBytes bytes, one region per thread index; null (direct calls) uses per-thread
// buffers kept between calls. Results do not depend on the thread count.
void PoolF32(const PoolLayout& layout, const float* x, float* y, float* workspace = nullptr,
             std::size_t workspace_floats = 0, int workspace_threads = 0);

// MaxPool on 8-bit integers (ONNX opset 12 allows them; quantized models use them): the same
// windows, in plain C++ with the padding skipped by bounds tests. No workspace.
void MaxPoolI8(const PoolLayout& layout, const int8_t* x, int8_t* y);
void MaxPoolU8(const PoolLayout& layout, const uint8_t* x, uint8_t* y);

// y[p] = mean of x's plane p (plane_size elements), for `planes` planes.
void GlobalAveragePoolF32(const float* x, float* y, int64_t planes, int64_t plane_size);

}  // namespace axon::kernels
