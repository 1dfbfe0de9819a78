// Per-target direct depthwise kernel (layout and why: depthwise_direct.h). Included once per
// Highway target (toggle guard below) from conv_depthwise.cc, after <hwy/highway.h>,
// simd-inl.h and activation-inl.h.

#if defined(AXON_RUNTIME_KERNELS_DEPTHWISE_DIRECT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AXON_RUNTIME_KERNELS_DEPTHWISE_DIRECT_INL_H_
#undef AXON_RUNTIME_KERNELS_DEPTHWISE_DIRECT_INL_H_
#else
#define AXON_RUNTIME_KERNELS_DEPTHWISE_DIRECT_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <limits>

#include <hwy/highway.h>

#include "runtime/kernels/depthwise_direct.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace depthwise_direct_impl {

namespace dd = depthwise_direct;
using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Vectors computed together: each tap's weight is loaded once for all of them, and U · kernel
// width accumulators keep the FMA units busy (a column's chain is only kh FMAs long). AVX2 and
// narrower have 16 registers, too few for 4 × 3 accumulators, their inputs and weights.
inline constexpr int kU = HWY_MAX_BYTES >= 64 ? 4 : 2;

// buf[i] = x[lo + i] where lo + i lies in [0, n), else 0, for i < hi - lo. Whole-vector stores
// may write up to Lanes - 1 floats past buf[hi - lo - 1].
HWY_INLINE void FillWindow(float* buf, const float* x, int64_t n, int64_t lo, int64_t hi) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t len = hi - lo;
  const int64_t a = std::clamp<int64_t>(-lo, 0, len), b = std::clamp<int64_t>(n - lo, a, len);
  const VF zero = hn::Zero(d);
  for (int64_t i = 0; i < a; i += N) hn::StoreU(zero, d, buf + i);  // overrun: the copy follows
  int64_t i = a;
  for (; i + N <= b; i += N) hn::StoreU(hn::LoadU(d, x + lo + i), d, buf + i);
  if (i < b) {
    if (b - a >= N) {  // the last whole vector of the copy, overlapping the one before
      hn::StoreU(hn::LoadU(d, x + lo + b - N), d, buf + b - N);
    } else {
      for (; i < b; ++i) buf[i] = x[lo + i];
    }
  }
  for (i = b; i < len; i += N) hn::StoreU(zero, d, buf + i);
}

// What every vector of a plane shares, in locals (the compiler keeps them in registers; a Plan
// read through a reference would be reloaded after every store, which may alias it).
template <int K>
struct Shared {
  const float* w;  // K × K taps
  float* y;
  const float* residual;  // null: none
  int64_t row_step, dw, out_plane;
  VF bias;
  bool masked[K];
  // None, ReLU and ReLU6 are a clamp to [lo, hi] (-inf and inf: none), NaN kept; Sigmoid and Tanh
  // (`other`) are applied after it, out of line.
  float lo, hi;
  Activation other;
};

// Sigmoid or Tanh of v, out of line: its polynomial would crowd the registers of Step's loop.
HWY_NOINLINE VF OtherActivation(VF v, Activation act) { return ApplyActivation(DF(), v, act); }

// U output vectors: vector u reads tap (0, 0) of its lane 0 at in[u], writes from out[u] on, and
// its tap columns' masks are mask[u][k · N, (k + 1) · N). Per tap column the sum over kh of w · x
// in kh order; the columns (zeroed where they are padding) added in kw order; then bias,
// residual, activation.
template <int S, int K, int U>
HWY_INLINE void Step(const Shared<K>& c, const float* const* in, const int64_t* out, const float* const* mask) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  VF acc[U][K];
  for (int u = 0; u < U; ++u)
    for (int k = 0; k < K; ++k) acc[u][k] = hn::Zero(d);
  for (int kh = 0; kh < K; ++kh) {
    const int64_t r = kh * c.row_step;
    for (int k = 0; k < K; ++k) {
      const VF wv = hn::Set(d, c.w[kh * K + k]);
      for (int u = 0; u < U; ++u) {
        const float* q = in[u] + r;
        VF xv;
        if constexpr (S == 1) {
          xv = hn::LoadU(d, q + k * c.dw);
        } else {  // stride 2, dilation 1: tap k is phase k & 1 of the pair at k & ~1
          VF even, odd;
          hn::LoadInterleaved2(d, q + (k & ~1), even, odd);
          xv = (k & 1) ? odd : even;
        }
        acc[u][k] = hn::MulAdd(wv, xv, acc[u][k]);
      }
    }
  }
  for (int u = 0; u < U; ++u) {
    VF t = hn::Zero(d);
    for (int k = 0; k < K; ++k) {
      VF v = acc[u][k];
      if (c.masked[k]) v = hn::And(v, hn::LoadU(d, mask[u] + k * N));
      t = k == 0 ? v : hn::Add(t, v);
    }
    t = hn::Add(t, c.bias);
    const int64_t count = std::min(N, c.out_plane - out[u]);
    if (c.residual) {
      const float* r = c.residual + out[u];
      t = hn::Add(t, count == N ? hn::LoadU(d, r) : LoadTail(d, r, static_cast<std::size_t>(count)));
    }
    t = AtMostKeepNaN(d, AtLeastKeepNaN(d, t, c.lo), c.hi);
    if (HWY_UNLIKELY(c.other != Activation::kNone)) t = OtherActivation(t, c.other);
    if (count == N) {
      hn::StoreU(t, d, c.y + out[u]);
    } else {
      StoreTail(d, t, c.y + out[u], static_cast<std::size_t>(count));
    }
  }
}

template <int S, int K>
void Plane(const dd::Plan& p, const float* masks, const float* x, const float* w, float bias, float* y,
           const float* residual, Activation act, float* scratch) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const float* top = nullptr;
  const float* bottom = nullptr;
  if (p.TopFloats() > 0) {
    FillWindow(scratch, x, p.plane, p.top_lo, p.top_hi);
    top = scratch - p.top_lo;
  }
  if (p.single) {
    bottom = top;
  } else if (p.BottomFloats() > 0) {
    float* buf = scratch + p.TopFloats() + p.lanes;
    FillWindow(buf, x, p.plane, p.bottom_lo, p.bottom_hi);
    bottom = buf - p.bottom_lo;
  }
  Shared<K> c;
  c.w = w, c.y = y, c.residual = residual, c.row_step = p.row_step, c.dw = p.dw, c.out_plane = p.out_plane;
  c.bias = hn::Set(d, bias);
  for (int k = 0; k < K; ++k) c.masked[k] = p.masked[k];
  const float inf = std::numeric_limits<float>::infinity();
  c.lo = act == Activation::kRelu || act == Activation::kRelu6 ? 0.0f : -inf;
  c.hi = act == Activation::kRelu6 ? 6.0f : inf;
  c.other = act == Activation::kSigmoid || act == Activation::kTanh ? act : Activation::kNone;
  const int64_t plane = p.plane, span = p.span, lead = p.lead, w_in = p.w, out_w = p.out_w, stride = p.stride;
  const int64_t row_vectors = p.row_vectors, vectors = p.vectors, period = p.period, entry_floats = K * N;
  const bool flat = p.flat;
  // The vectors in order: in_off (tap (0, 0) of lane 0 in the flattened image), output index,
  // mask entry; in rows mode j is the vector's index within its output row (its mask entry).
  int64_t in_off = lead, out_index = 0, j = 0, row = 0, e = 0;
  auto next = [&](const float** in, int64_t* out, const float** mask) {
    const float* src = in_off < 0 ? top : in_off > plane - span ? bottom : x;
    *in = src + in_off, *out = out_index, *mask = masks + e * entry_floats;
    if (flat) {
      out_index += N, in_off += N;
      if (++e == period) e = 0;
    } else if (++j < row_vectors) {
      out_index += N, in_off += N * stride, e = j;
    } else {
      j = 0, e = 0, ++row;
      out_index = row * out_w, in_off = lead + row * stride * w_in;
    }
  };
  const float* in[kU];
  int64_t out[kU];
  const float* mask[kU];
  int64_t i = 0;
  for (; i + kU <= vectors; i += kU) {
    for (int u = 0; u < kU; ++u) next(&in[u], &out[u], &mask[u]);
    Step<S, K, kU>(c, in, out, mask);
  }
  for (; i < vectors; ++i) {
    next(&in[0], &out[0], &mask[0]);
    Step<S, K, 1>(c, in, out, mask);
  }
}

}  // namespace depthwise_direct_impl

// The plan's mask table (depthwise_direct.h) into masks (p.MaskFloats() floats): all bits set in
// the lanes whose tap column lies inside the image, zero elsewhere; columns never masked are left.
HWY_INLINE void DepthwiseDirectMasks(const depthwise_direct::Plan& p, float* masks) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto ones = hn::BitCast(d, hn::Set(hn::RebindToSigned<decltype(d)>(), -1));
  const auto width = hn::Set(d, static_cast<float>(p.w));
  for (int64_t e = 0, first = 0; e < p.period; ++e) {
    // Lane columns: e·N + i, wrapped at the row length in flat mode (first = e·N mod W).
    auto col = hn::Add(hn::Iota(d, 0.0f), hn::Set(d, static_cast<float>(p.flat ? first : e * N)));
    if (p.flat) {
      for (int64_t wraps = (N + p.w - 2) / p.w; wraps > 0; --wraps)
        col = hn::IfThenElse(hn::Ge(col, width), hn::Sub(col, width), col);
      first = (first + N) % p.w;
    }
    for (int64_t k = 0; k < p.kw; ++k) {
      if (!p.masked[k]) continue;
      const auto inside = hn::And(hn::Ge(col, hn::Set(d, static_cast<float>(p.col_lo[k]))),
                                  hn::Le(col, hn::Set(d, static_cast<float>(p.col_hi[k]))));
      hn::StoreU(hn::IfThenElseZero(inside, ones), d, masks + (e * p.kw + k) * N);
    }
  }
}

// y = act(depthwise(x, w) + bias + residual) for one plane, p = MakePlan(g, Lanes). scratch:
// p.ScratchFloats(), the mask table made by DepthwiseDirectMasks at its start.
HWY_INLINE void DepthwiseDirectPlane(const depthwise_direct::Plan& p, const float* x, const float* w, float bias,
                                     float* y, const float* residual, Activation act, float* scratch) {
  namespace impl = depthwise_direct_impl;
  const float* masks = scratch;
  float* windows = scratch + p.MaskFloats();
  if (p.stride == 1) {
    return p.kw == 3 ? impl::Plane<1, 3>(p, masks, x, w, bias, y, residual, act, windows)
                     : impl::Plane<1, 5>(p, masks, x, w, bias, y, residual, act, windows);
  }
  return p.kw == 3 ? impl::Plane<2, 3>(p, masks, x, w, bias, y, residual, act, windows)
                   : impl::Plane<2, 5>(p, masks, x, w, bias, y, residual, act, windows);
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
