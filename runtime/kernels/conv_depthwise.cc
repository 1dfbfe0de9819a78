// Depthwise convolution (one filter per channel), direct and Highway-vectorized. As a GEMM it
// would have M = 1: im2col would copy every input value k times to feed a matrix-vector product.
// Instead each plane is copied once into scratch with its padding made explicit, so the inner
// loop has no bounds tests: every output vector is a sum over taps of w[tap] · (a contiguous load).
//
// A stride s along W would make those loads strided; the padded copy stores each row as s phase
// rows instead (phase p holds padded columns p, p + s, p + 2s, ...), so tap kw reads phase
// (kw·dilation) mod s at offset (kw·dilation) div s, contiguously again. The copy costs one pass
// over the plane (a de-interleaving load for s = 2), against kernel-volume / s² FMAs per input value.
//
// One output vector's FMA chain is as long as the kernel (9 for 3×3): alone it would wait on
// 4 cycles of FMA latency per tap. Each step therefore computes R output rows × U vectors
// (R·U = 3 or 4 independent chains, more rows when rows are short), loading each weight once for
// all of them. Every output sums its taps in the same order (d, h, w) from 0 and adds the bias
// last, whichever group it was computed in, so results depend on neither the row length nor threads.

#include <algorithm>
#include <cstring>

#include "runtime/kernels/conv.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/conv_depthwise.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"

#ifndef AXON_RUNTIME_KERNELS_CONV_DEPTHWISE_SHARED_
#define AXON_RUNTIME_KERNELS_CONV_DEPTHWISE_SHARED_
namespace axon::kernels::depthwise {

// Zero floats after each phase row, so a full-vector load that starts inside the row never leaves
// it: the widest x86 vector (AVX-512, 16 floats), the same on every target so the scratch size
// does not depend on the target dispatched.
constexpr int64_t kSlack = 16;

// Padded extent of dim i: the span the windows cover, (out - 1)·stride + (kernel - 1)·dilation + 1.
inline int64_t Extent(const WindowGeometry& g, int i) {
  return g.out[i] == 0 ? 0 : (g.out[i] - 1) * g.stride[i] + (g.kernel[i] - 1) * g.dilation[i] + 1;
}
inline int64_t PhaseLength(const WindowGeometry& g) { return (Extent(g, 2) + g.stride[2] - 1) / g.stride[2] + kSlack; }
inline int64_t RowFloats(const WindowGeometry& g) { return g.stride[2] * PhaseLength(g); }

}  // namespace axon::kernels::depthwise
#endif

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

using depthwise::Extent;
using D = hn::ScalableTag<float>;

// The padded copy of one plane: Extent(0) × Extent(1) rows of RowFloats floats, then one row of
// staging for the de-interleave.
void PadPlane(const WindowGeometry& g, const float* x, float* scratch) {
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t ed = Extent(g, 0), eh = Extent(g, 1), ew = Extent(g, 2);
  const int64_t sw = g.stride[2], len = depthwise::PhaseLength(g), row_floats = depthwise::RowFloats(g);
  float* staging = scratch + ed * eh * row_floats;
  // Padded columns q in [first, end) come from the input (column q - pad).
  const int64_t first = std::min(ew, g.pad[2]), end = std::clamp<int64_t>(g.in[2] + g.pad[2], first, ew);
  for (int64_t qd = 0; qd < ed; ++qd) {
    for (int64_t qh = 0; qh < eh; ++qh) {
      float* row = scratch + (qd * eh + qh) * row_floats;
      const int64_t id = qd - g.pad[0], ih = qh - g.pad[1];
      if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1]) {
        std::memset(row, 0, static_cast<std::size_t>(row_floats) * sizeof(float));
        continue;
      }
      const float* src = x + (id * g.in[1] + ih) * g.in[2];
      float* padded = sw == 1 ? row : staging;
      std::memset(padded, 0, static_cast<std::size_t>(first) * sizeof(float));
      if (end > first) std::memcpy(padded + first, src + (first - g.pad[2]), static_cast<std::size_t>(end - first) * sizeof(float));
      std::memset(padded + end, 0, static_cast<std::size_t>(row_floats - end) * sizeof(float));
      if (sw == 1) continue;
      if (sw == 2) {
        int64_t j = 0;
        for (; j + N <= len; j += N) {
          hn::Vec<D> even, odd;
          hn::LoadInterleaved2(d, staging + 2 * j, even, odd);
          hn::StoreU(even, d, row + j);
          hn::StoreU(odd, d, row + len + j);
        }
        for (; j < len; ++j) row[j] = staging[2 * j], row[len + j] = staging[2 * j + 1];
        continue;
      }
      for (int64_t p = 0; p < sw; ++p)
        for (int64_t j = 0; j < len; ++j) row[p * len + j] = staging[j * sw + p];
    }
  }
}

struct Taps {
  const float* w;             // kernel volume weights, (kd, kh, kw) order
  int64_t rows_per_out;       // kd·kh: padded rows an output row reads
  int64_t kw;                 // taps along W
  const int64_t* offsets;     // per kw: phase row and offset within it
};

// R output rows × U vectors from column ow0: rows[r·rows_per_out + t] is output row r's t-th input
// row. count: valid columns from ow0 (the last vector may be partial; its loads stay inside the
// phase row's slack).
template <int R, int U>
HWY_INLINE void Block(const Taps& taps, const float* const* rows, int64_t ow0, float bias, float* const* y,
                      int64_t count) {
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  hn::Vec<D> acc[R][U];
  for (int r = 0; r < R; ++r)
    for (int u = 0; u < U; ++u) acc[r][u] = hn::Zero(d);
  const float* w = taps.w;
  for (int64_t t = 0; t < taps.rows_per_out; ++t) {
    for (int64_t k = 0; k < taps.kw; ++k) {
      const auto wv = hn::Set(d, *w++);
      const int64_t off = taps.offsets[k] + ow0;
      for (int r = 0; r < R; ++r) {
        const float* p = rows[r * taps.rows_per_out + t] + off;
        for (int u = 0; u < U; ++u) acc[r][u] = hn::MulAdd(wv, hn::LoadU(d, p + u * N), acc[r][u]);
      }
    }
  }
  const auto bv = hn::Set(d, bias);
  for (int r = 0; r < R; ++r)
    for (int u = 0; u < U; ++u) {
      const int64_t left = count - u * N;
      float* out = y[r] + ow0 + u * N;
      if (left >= N) {
        hn::StoreU(hn::Add(acc[r][u], bv), d, out);
      } else if (left > 0) {  // always, by the caller's choice of U; said for the compiler
        StoreTail(d, hn::Add(acc[r][u], bv), out, static_cast<std::size_t>(left));
      }
    }
}

// Output rows [o0, o0 + R) (flat over (od, oh)), all columns, in groups of U vectors and then the
// vectors left over.
template <int R>
HWY_INLINE void Rows(const WindowGeometry& g, const Taps& taps, const float* scratch, int64_t o0, float bias, float* y,
                     bool wide) {
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t eh = Extent(g, 1), row_floats = depthwise::RowFloats(g), ow_count = g.out[2];
  const float* rows[4 * kMaxDepthwiseRowsPerOut];
  float* outs[R];
  for (int r = 0; r < R; ++r) {
    const int64_t o = o0 + r, od = o / g.out[1], oh = o % g.out[1];
    outs[r] = y + o * ow_count;
    for (int64_t t = 0; t < taps.rows_per_out; ++t) {
      const int64_t kd = t / g.kernel[1], kh = t % g.kernel[1];
      const int64_t qd = od * g.stride[0] + kd * g.dilation[0], qh = oh * g.stride[1] + kh * g.dilation[1];
      rows[r * taps.rows_per_out + t] = scratch + (qd * eh + qh) * row_floats;
    }
  }
  int64_t ow0 = 0;
  if (wide)
    for (; ow0 + 4 * N <= ow_count; ow0 += 4 * N) Block<R, 4>(taps, rows, ow0, bias, outs, 4 * N);
  const int64_t left = ow_count - ow0;
  switch ((left + N - 1) / N) {
    case 0: break;
    case 1: Block<R, 1>(taps, rows, ow0, bias, outs, left); break;
    case 2: Block<R, 2>(taps, rows, ow0, bias, outs, left); break;
    case 3: Block<R, 3>(taps, rows, ow0, bias, outs, left); break;
    default: Block<R, 4>(taps, rows, ow0, bias, outs, left); break;
  }
}

}  // namespace

void DepthwisePlaneF32(const WindowGeometry& g, const float* x, const float* w, float bias, float* y, float* scratch) {
  const int64_t out_rows = g.out[0] * g.out[1];
  if (out_rows == 0 || g.out[2] == 0) return;
  PadPlane(g, x, scratch);
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t offsets[kMaxDepthwiseKernelW];
  const int64_t len = depthwise::PhaseLength(g), sw = g.stride[2];
  for (int64_t k = 0; k < g.kernel[2]; ++k) {
    const int64_t o = k * g.dilation[2];
    offsets[k] = (o % sw) * len + o / sw;
  }
  const Taps taps{w, g.kernel[0] * g.kernel[1], g.kernel[2], offsets};
  const float* plane = scratch;
  // Short rows take several output rows per step, so that 4 chains are in flight either way.
  const int64_t vectors = (g.out[2] + N - 1) / N;
  const int R = vectors == 1 ? 4 : vectors == 2 ? 2 : 1;
  int64_t o = 0;
  if (R == 4)
    for (; o + 4 <= out_rows; o += 4) Rows<4>(g, taps, plane, o, bias, y, false);
  if (R == 2)
    for (; o + 2 <= out_rows; o += 2) Rows<2>(g, taps, plane, o, bias, y, false);
  for (; o < out_rows; ++o) Rows<1>(g, taps, plane, o, bias, y, true);
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(DepthwisePlaneF32);

std::size_t DepthwisePlaneFloats(const WindowGeometry& g) {
  return static_cast<std::size_t>((depthwise::Extent(g, 0) * depthwise::Extent(g, 1) + 1) * depthwise::RowFloats(g));
}

bool DepthwiseSupports(const WindowGeometry& g) {
  return g.kernel[0] * g.kernel[1] <= kMaxDepthwiseRowsPerOut && g.kernel[2] <= kMaxDepthwiseKernelW;
}

void DepthwiseConvPlaneF32(const WindowGeometry& g, const float* x, const float* w, float bias, float* y,
                           float* scratch) {
  HWY_DYNAMIC_DISPATCH(DepthwisePlaneF32)(g, x, w, bias, y, scratch);
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
