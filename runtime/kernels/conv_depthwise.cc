// Depthwise convolution (one filter per channel), direct and Highway-vectorized. As a GEMM it
// would have M = 1: im2col would copy every input value k times to feed a matrix-vector product.
// 2-D planes with stride 1 or 2 and 3×3 or 5×5 kernels (MobileNet's, EfficientNet's) take the
// kernel of depthwise_direct-inl.h, which reads the image in place and applies bias, residual and
// activation before its stores. Everything else (3-D, other strides, wider kernels) takes the
// kernel below: each plane is copied once into scratch, padded and split into stride phases
// (padded_plane.h), so the inner loop has no bounds tests: every output vector is a sum over taps
// of w[tap] · (a contiguous load). The copy costs one pass over the plane, against
// kernel-volume / stride² FMAs per input value.
//
// One output vector's FMA chain is as long as the kernel (9 for 3×3): alone it would wait on
// 4 cycles of FMA latency per tap. Each step therefore computes R output rows × U vectors
// (R·U = 3 or 4 independent chains, more rows when rows are short), loading each weight once for
// all of them. Every output sums its taps in the same order (d, h, w) from 0 and adds the bias
// last, whichever group it was computed in, so results depend on neither the row length nor threads.

#include <algorithm>
#include <cstring>

#include "runtime/kernels/conv_depthwise.h"
#include "runtime/kernels/depthwise_direct.h"
#include "runtime/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/conv_depthwise.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"
#include "runtime/kernels/padded_plane-inl.h"
#include "runtime/kernels/activation-inl.h"
#include "runtime/kernels/depthwise_direct-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

namespace pp = padded_plane;
using D = hn::ScalableTag<float>;

struct Taps {
  const float* w;             // kernel volume weights, (kd, kh, kw) order
  int64_t rows_per_out;       // kd·kh: padded rows an output row reads
  int64_t kw;                 // taps along W
  const int64_t* offsets;     // per kw: phase row and offset within it
  float bias;
};

// R output rows × U vectors from column ow0: rows[r·rows_per_out + t] is output row r's t-th input
// row. count: valid columns from ow0 (the last vector may be partial; its loads stay inside the
// phase row's slack).
template <int R, int U>
HWY_INLINE void Block(const Taps& taps, const float* const* rows, int64_t ow0, float* const* y, int64_t count) {
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
  const auto bv = hn::Set(d, taps.bias);
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

// Output rows `outs` (R of them), all columns, in groups of U vectors and then the vectors left
// over. Output row r reads padded rows scratch + bases[r] + tap_rows[t], t over (kd, kh).
template <int R>
HWY_INLINE void Rows(const Taps& taps, const float* scratch, const int64_t* tap_rows, const int64_t* bases,
                     float* const* outs, int64_t ow_count, bool wide) {
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const float* rows[4 * kMaxDepthwiseRowsPerOut];
  for (int r = 0; r < R; ++r)
    for (int64_t t = 0; t < taps.rows_per_out; ++t) rows[r * taps.rows_per_out + t] = scratch + bases[r] + tap_rows[t];
  int64_t ow0 = 0;
  if (wide)
    for (; ow0 + 4 * N <= ow_count; ow0 += 4 * N) Block<R, 4>(taps, rows, ow0, outs, 4 * N);
  const int64_t left = ow_count - ow0;
  switch ((left + N - 1) / N) {
    case 0: break;
    case 1: Block<R, 1>(taps, rows, ow0, outs, left); break;
    case 2: Block<R, 2>(taps, rows, ow0, outs, left); break;
    case 3: Block<R, 3>(taps, rows, ow0, outs, left); break;
    default: Block<R, 4>(taps, rows, ow0, outs, left); break;
  }
}

// Output rows in order, flat over (od, oh): where each one's padded rows start and where it goes.
// Counters rather than o / out[1] per row: on small planes (MobileNet's 14×14 and 7×7) integer
// divisions per row and tap cost more than the row's FMAs.
class RowCursor {
 public:
  RowCursor(const WindowGeometry& g, int64_t row_floats, float* y)
      : g_(g), step_h_(g.stride[1] * row_floats), step_d_(g.stride[0] * pp::Extent(g, 1) * row_floats), y_(y) {}
  void Next(int64_t* base, float** out) {
    *base = base_d_ + oh_ * step_h_;
    *out = y_;
    y_ += g_.out[2];
    if (++oh_ == g_.out[1]) oh_ = 0, base_d_ += step_d_;
  }

 private:
  const WindowGeometry& g_;
  const int64_t step_h_, step_d_;
  float* y_;
  int64_t oh_ = 0, base_d_ = 0;
};

template <int R>
HWY_INLINE void NextRows(const Taps& taps, const float* scratch, const int64_t* tap_rows, RowCursor& cursor,
                         int64_t ow_count, bool wide) {
  int64_t bases[R];
  float* outs[R];
  for (int r = 0; r < R; ++r) cursor.Next(&bases[r], &outs[r]);
  Rows<R>(taps, scratch, tap_rows, bases, outs, ow_count, wide);
}

}  // namespace

void DepthwisePlaneF32(const WindowGeometry& g, const float* x, const float* w, float bias, float* y, float* scratch) {
  const int64_t out_rows = g.out[0] * g.out[1];
  if (out_rows == 0 || g.out[2] == 0) return;
  PadPlane(g, x, 0.0f, scratch);
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t offsets[kMaxDepthwiseKernelW];
  for (int64_t k = 0; k < g.kernel[2]; ++k) offsets[k] = pp::TapOffset(g, k);
  const Taps taps{w, g.kernel[0] * g.kernel[1], g.kernel[2], offsets, bias};
  // Tap (kd, kh)'s padded row relative to an output row's first, in floats.
  const int64_t row_floats = pp::RowFloats(g);
  int64_t tap_rows[kMaxDepthwiseRowsPerOut];
  for (int64_t kd = 0, t = 0; kd < g.kernel[0]; ++kd)
    for (int64_t kh = 0; kh < g.kernel[1]; ++kh, ++t) tap_rows[t] = pp::RowIndex(g, 0, 0, kd, kh) * row_floats;
  RowCursor cursor(g, row_floats, y);
  // Short rows take several output rows per step, so that 4 chains are in flight either way.
  const int64_t vectors = (g.out[2] + N - 1) / N;
  const int R = vectors == 1 ? 4 : vectors == 2 ? 2 : 1;
  int64_t o = 0;
  if (R == 4)
    for (; o + 4 <= out_rows; o += 4) NextRows<4>(taps, scratch, tap_rows, cursor, g.out[2], false);
  if (R == 2)
    for (; o + 2 <= out_rows; o += 2) NextRows<2>(taps, scratch, tap_rows, cursor, g.out[2], false);
  for (; o < out_rows; ++o) NextRows<1>(taps, scratch, tap_rows, cursor, g.out[2], true);
}

void AddToF32(const float* r, float* y, int64_t n) {
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Add(hn::LoadU(d, y + i), hn::LoadU(d, r + i)), d, y + i);
  for (; i < n; ++i) y[i] += r[i];
}

// y = act(y + r) over one plane just written by the padded-plane kernel (still in cache).
void FinishPlane(const float* r, Activation act, float* y, int64_t n) {
  if (r) AddToF32(r, y, n);
  if (act == Activation::kNone) return;
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(ApplyActivation(d, hn::LoadU(d, y + i), act), d, y + i);
  if (i < n) StoreTail(d, ApplyActivation(d, LoadTail(d, y + i, n - i), act), y + i, n - i);
}

// Planes [t0, t1) of a batch × channels stack: plane t is channel t % channels.
void DepthwiseRangeF32(const DepthwiseArgs& a, int64_t t0, int64_t t1, float* scratch) {
  const WindowGeometry& g = a.geometry;
  const int64_t in_vol = g.InVolume(), out_vol = g.OutVolume(), kvol = g.KernelVolume();
  if (out_vol == 0) return;
  const bool direct = depthwise_direct::Applies(g);
  const depthwise_direct::Plan plan = direct ? depthwise_direct::MakePlan(g, static_cast<int64_t>(hn::Lanes(D()))) : depthwise_direct::Plan();
  if (direct) DepthwiseDirectMasks(plan, scratch);
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t c = t % a.channels;
    const float* x = a.x + t * in_vol;
    const float* w = a.w + c * kvol;
    const float bias = a.bias ? a.bias[c] : 0.0f;
    float* y = a.y + t * out_vol;
    const float* r = a.residual ? a.residual + t * out_vol : nullptr;
    if (direct) {
      DepthwiseDirectPlane(plan, x, w, bias, y, r, a.activation, scratch);
    } else {
      DepthwisePlaneF32(g, x, w, bias, y, scratch);
      FinishPlane(r, a.activation, y, out_vol);
    }
  }
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(DepthwiseRangeF32);

std::size_t DepthwisePlaneFloats(const WindowGeometry& g) {
  return depthwise_direct::Applies(g) ? depthwise_direct::ScratchFloats(g) : padded_plane::Floats(g);
}

bool DepthwiseSupports(const WindowGeometry& g) {
  return g.kernel[0] * g.kernel[1] <= kMaxDepthwiseRowsPerOut && g.kernel[2] <= kMaxDepthwiseKernelW;
}

void DepthwiseConvF32(const ConvLayout& l, const float* x, const float* w, const float* bias, float* y, float* workspace,
                      std::size_t workspace_floats, int workspace_threads, const float* residual) {
  const ConvShape& s = l.shape;
  if (s.batch == 0 || s.out_channels == 0 || s.window.OutVolume() == 0) return;
  DepthwiseArgs a;
  a.geometry = s.window, a.channels = s.out_channels, a.x = x, a.w = w, a.bias = bias, a.y = y;
  a.residual = residual, a.activation = l.activation;
  // Blocks of planes of at least ~4096 outputs, so that small planes (7×7: 84 of them) share one
  // call's plan and mask table; planes are independent, so blocks never change results.
  const int64_t grain = std::max<int64_t>(1, 4096 / s.window.OutVolume());
  runtime::ParallelFor(s.batch * s.out_channels, grain, [&](int64_t t0, int64_t t1) {
    const ConvSlot slot = ConvSlotFor(l, workspace, workspace_floats, workspace_threads);
    HWY_DYNAMIC_DISPATCH(DepthwiseRangeF32)(a, t0, t1, slot.scratch);
  });
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
