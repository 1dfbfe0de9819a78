// Resize; see resize.h. The last axis is gathered with hn::GatherIndex (AVX2 and AVX-512 have
// gather instructions; the other targets emulate it lane by lane), blended with FMAs.

#include "runtime/kernels/resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "axon/error.h"
#include "runtime/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/resize.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"

#ifndef AXON_RUNTIME_KERNELS_RESIZE_SHARED_
#define AXON_RUNTIME_KERNELS_RESIZE_SHARED_
namespace axon::kernels::resize_detail {

// One axis's table: for output index o, input indices i0[o] <= i1[o] and their weights (nearest:
// i0 only, w0 = 1).
struct AxisTable {
  int32_t* i0;
  int32_t* i1;
  float* w0;
  float* w1;
};

// Tables live in the workspace, 16 bytes per output index of every axis, each array padded to
// whole cache lines so the per-axis arrays start aligned.
inline std::size_t Padded(int64_t n) { return static_cast<std::size_t>((n + 15) / 16 * 16); }

}  // namespace axon::kernels::resize_detail
#endif

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

using resize_detail::AxisTable;
using D = hn::ScalableTag<float>;

// y[j] = (accumulate ? y[j] : 0) + weight · (w0[j]·row[i0[j]] + w1[j]·row[i1[j]]) for j < n; with
// nearest only the first term (w0 = 1).
template <bool kLinear>
HWY_INLINE void BlendRow(const float* row, const AxisTable& t, int64_t n, float weight, bool accumulate, float* y) {
  const D d;
  const hn::RebindToSigned<D> di;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto wv = hn::Set(d, weight);
  int64_t j = 0;
  for (; j + N <= n; j += N) {
    auto v = hn::GatherIndex(d, row, hn::LoadU(di, t.i0 + j));
    if (kLinear) {
      v = hn::Mul(v, hn::LoadU(d, t.w0 + j));
      v = hn::MulAdd(hn::GatherIndex(d, row, hn::LoadU(di, t.i1 + j)), hn::LoadU(d, t.w1 + j), v);
    }
    v = accumulate ? hn::MulAdd(v, wv, hn::LoadU(d, y + j)) : hn::Mul(v, wv);
    hn::StoreU(v, d, y + j);
  }
  // The tail, with the same operations in the same order, one element at a time.
  for (; j < n; ++j) {
    float v = row[t.i0[j]];
    if (kLinear) v = std::fma(row[t.i1[j]], t.w1[j], v * t.w0[j]);
    y[j] = accumulate ? std::fma(v, weight, y[j]) : v * weight;
  }
}

}  // namespace

// Output rows [r0, r1) of the last axis. tables: one per axis. outer: the axes before the last
// that a linear resize blends across (at most kMaxLinearOuterAxes).
void ResizeRowsF32(const ResizeLayout& l, const AxisTable* tables, const int64_t* in_strides, const float* x, float* y,
                   int64_t r0, int64_t r1) {
  const auto rank = static_cast<int64_t>(l.out_shape.size());
  const int64_t width = l.out_shape[rank - 1];
  const bool linear = l.mode == ResizeMode::kLinear;
  int64_t idx[64];
  for (int64_t i = rank - 2, rest = r0; i >= 0; --i) idx[i] = rest % l.out_shape[i], rest /= l.out_shape[i];
  // The previous row's sources: a row that reads exactly the same is a copy of it.
  int64_t prev_offsets[1 << kMaxLinearOuterAxes];
  float prev_weights[1 << kMaxLinearOuterAxes];
  int prev_count = -1;
  for (int64_t r = r0; r < r1; ++r) {
    // The input rows this output row blends: the product over outer axes of {i0} or {i0, i1}.
    int64_t offsets[1 << kMaxLinearOuterAxes] = {0};
    float weights[1 << kMaxLinearOuterAxes] = {1.0f};
    int count = 1;
    for (int64_t a = 0; a < rank - 1; ++a) {
      const AxisTable& t = tables[a];
      const int64_t o = idx[a];
      const bool both = linear && t.i1[o] != t.i0[o] && t.w1[o] != 0.0f;
      for (int c = 0; c < count; ++c) {
        if (both) {
          offsets[count + c] = offsets[c] + t.i1[o] * in_strides[a];
          weights[count + c] = weights[c] * t.w1[o];
          weights[c] *= t.w0[o];
        }
        offsets[c] += t.i0[o] * in_strides[a];
      }
      if (both) count *= 2;
    }
    float* out = y + r * width;
    bool same = count == prev_count;
    for (int c = 0; same && c < count; ++c) same = offsets[c] == prev_offsets[c] && weights[c] == prev_weights[c];
    if (same && r > r0) {
      std::memcpy(out, out - width, static_cast<std::size_t>(width) * sizeof(float));
    } else {
      for (int c = 0; c < count; ++c) {
        if (linear) {
          BlendRow<true>(x + offsets[c], tables[rank - 1], width, weights[c], c > 0, out);
        } else {
          BlendRow<false>(x + offsets[c], tables[rank - 1], width, weights[c], c > 0, out);
        }
      }
    }
    std::copy(offsets, offsets + count, prev_offsets);
    std::copy(weights, weights + count, prev_weights);
    prev_count = count;
    for (int64_t i = rank - 2; i >= 0; --i) {
      if (++idx[i] < l.out_shape[i]) break;
      idx[i] = 0;
    }
  }
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(ResizeRowsF32);

using resize_detail::AxisTable;
using resize_detail::Padded;

double ResizeSourceCoordinate(ResizeCoordinates c, int64_t o, int64_t in, double resized, double scale) {
  const double x = static_cast<double>(o);
  switch (c) {
    case ResizeCoordinates::kHalfPixel: return (x + 0.5) / scale - 0.5;
    case ResizeCoordinates::kPytorchHalfPixel: return resized != 1.0 ? (x + 0.5) / scale - 0.5 : 0.0;
    case ResizeCoordinates::kAlignCorners:
      return resized != 1.0 ? x * static_cast<double>(in - 1) / (resized - 1.0) : 0.0;
    case ResizeCoordinates::kAsymmetric: return x / scale;
  }
  return 0.0;
}

namespace {

// ONNX's nearest rounding: the round modes send exact halves down or up, other values to the
// nearest integer.
int64_t Nearest(double x, NearestRounding r) {
  switch (r) {
    case NearestRounding::kFloor: return static_cast<int64_t>(std::floor(x));
    case NearestRounding::kCeil: return static_cast<int64_t>(std::ceil(x));
    case NearestRounding::kRoundPreferFloor:
      return std::floor(x) + 0.5 == x ? static_cast<int64_t>(std::floor(x)) : static_cast<int64_t>(std::round(x));
    case NearestRounding::kRoundPreferCeil:
      return std::floor(x) + 0.5 == x ? static_cast<int64_t>(std::ceil(x)) : static_cast<int64_t>(std::round(x));
  }
  return 0;
}

void BuildTable(const ResizeLayout& l, int64_t axis, double scale, double resized, const AxisTable& t) {
  const int64_t in = l.in_shape[static_cast<std::size_t>(axis)], out = l.out_shape[static_cast<std::size_t>(axis)];
  for (int64_t o = 0; o < out; ++o) {
    const double src = ResizeSourceCoordinate(l.coordinates, o, in, resized, scale);
    if (l.mode == ResizeMode::kNearest) {
      // Coordinates past the edges clamp: ONNX's reference pads the input with its edge values.
      // (Clamping first keeps the conversion to an integer in range; it changes no result.)
      const int64_t i = std::clamp<int64_t>(Nearest(std::clamp(src, -1.0, static_cast<double>(in)), l.rounding), 0, in - 1);
      t.i0[o] = t.i1[o] = static_cast<int32_t>(i);
      t.w0[o] = 1.0f, t.w1[o] = 0.0f;
      continue;
    }
    const double c = std::clamp(src, 0.0, static_cast<double>(in - 1));
    const int64_t i0 = static_cast<int64_t>(std::floor(c)), i1 = std::min(i0 + 1, in - 1);
    const double frac = c - static_cast<double>(i0);
    t.i0[o] = static_cast<int32_t>(i0), t.i1[o] = static_cast<int32_t>(i1);
    t.w0[o] = static_cast<float>(1.0 - frac), t.w1[o] = static_cast<float>(frac);
  }
}

}  // namespace

std::size_t ResizeWorkspaceBytes(const ResizeLayout& l) {
  std::size_t n = 0;
  for (int64_t d : l.out_shape) n += 4 * Padded(d);
  return n * 4;
}

void ResizeF32(const ResizeLayout& l, const float* x, const float* scales, float* y, void* workspace) {
  const auto rank = static_cast<int64_t>(l.out_shape.size());
  int64_t out_elems = 1;
  for (int64_t d : l.out_shape) out_elems *= d;
  if (out_elems == 0) return;
  std::unique_ptr<char[]> owned;
  if (!workspace) {
    owned.reset(new char[ResizeWorkspaceBytes(l) + 64]);
    workspace = owned.get();
  }
  AxisTable tables[64];
  char* at = static_cast<char*>(workspace);
  for (int64_t a = 0; a < rank; ++a) {
    const std::size_t n = Padded(l.out_shape[a]) * 4;
    AxisTable& t = tables[a];
    t.i0 = reinterpret_cast<int32_t*>(at), t.i1 = reinterpret_cast<int32_t*>(at + n);
    t.w0 = reinterpret_cast<float*>(at + 2 * n), t.w1 = reinterpret_cast<float*>(at + 3 * n);
    at += 4 * n;
    const double in = static_cast<double>(l.in_shape[a]), out = static_cast<double>(l.out_shape[a]);
    const double scale = scales ? static_cast<double>(scales[a]) : out / in;
    BuildTable(l, a, scale, scales ? in * scale : out, t);
  }
  // Outer axes a linear resize blends across: each doubles the input rows an output row reads.
  int blended = 0;
  for (int64_t a = 0; a + 1 < rank && l.mode == ResizeMode::kLinear; ++a) {
    const AxisTable& t = tables[a];
    bool any = false;
    for (int64_t o = 0; o < l.out_shape[a] && !any; ++o) any = t.i1[o] != t.i0[o] && t.w1[o] != 0.0f;
    blended += any;
  }
  if (blended > kMaxLinearOuterAxes)
    throw Error(ErrorCode::kUnsupported, "linear Resize across " + std::to_string(blended + 1) + " axes; at most " +
                                             std::to_string(kMaxLinearOuterAxes + 1) + " are supported");
  int64_t in_strides[64];
  for (int64_t a = rank - 1, s = 1; a >= 0; --a) in_strides[a] = s, s *= l.in_shape[a];
  const int64_t width = l.out_shape[rank - 1], rows = out_elems / width;
  const auto fn = HWY_DYNAMIC_DISPATCH(ResizeRowsF32);
  // Rows in blocks of ~16K outputs; a block's first row never copies its predecessor, so the
  // blocks (a function of the shapes alone) decide nothing about the values.
  runtime::ParallelFor(rows, std::max<int64_t>(1, 16384 / width),
                       [&](int64_t r0, int64_t r1) { fn(l, tables, in_strides, x, y, r0, r1); });
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
