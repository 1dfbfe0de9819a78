// Max / average pooling and global average pooling, Highway-vectorized. See pool.h.
//
// An output row is computed in groups of up to four vectors: per tap, one load and one max (or
// add) per vector, so four independent chains hide the compare/blend latency. Max is written as
// "take x where x > acc or x is NaN" rather than hn::Max: x86's MAXPS returns its second operand
// when either is NaN and Highway's scalar Max does otherwise, and -0 vs +0 also differ; the
// compare keeps the first of equal values and propagates NaN identically on every target.

#include "runtime/kernels/pool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <limits>
#include <memory>

#include "axon/error.h"
#include "runtime/kernels/padded_plane.h"
#include "runtime/kernels/thread_scratch.h"
#include "runtime/parallel.h"

#ifndef AXON_RUNTIME_KERNELS_POOL_SHARED_
#define AXON_RUNTIME_KERNELS_POOL_SHARED_
namespace axon::kernels::pool_detail {

// Max pooling of 2-D windows 2 or 3 wide with stride 2 along W (ResNet's, SqueezeNet's and most
// CNNs' 3×3/2 and 2×2/2 pools) goes row by row instead of through the padded, phase-split plane:
// the plane's rows are copied between columns of -inf padding (rows in the padding are skipped),
// each window row's maxima taken from two de-interleaving loads and folded in window-row order. The
// taps are visited in the same (row, column) order, so the result is the same bits. The plane's
// stride-2 split was most of the cost on such small planes (SqueezeNet's 13×13 to 55×55).
inline constexpr int64_t kMaxRowsKernelH = 16;
inline bool MaxRows(PoolKind kind, const WindowGeometry& g) {
  return kind == PoolKind::kMax && g.in[0] == 1 && g.out[0] == 1 && g.kernel[0] == 1 && g.stride[2] == 2 &&
         g.dilation[2] == 1 && (g.kernel[2] == 2 || g.kernel[2] == 3) && g.kernel[1] <= kMaxRowsKernelH;
}
// Floats of a padded row: the columns the windows span, and two widest vectors' overread.
inline std::size_t MaxRowFloats(const WindowGeometry& g) {
  return static_cast<std::size_t>((g.out[2] - 1) * 2 + g.kernel[2] + 2 * 16 + 2 + 16);
}
// The plane's rows, padded along W only.
inline std::size_t MaxRowsFloats(const WindowGeometry& g) { return static_cast<std::size_t>(g.in[1]) * MaxRowFloats(g); }

}  // namespace axon::kernels::pool_detail
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/pool.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"
#include "runtime/kernels/padded_plane-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

namespace pp = padded_plane;
using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

struct MaxOp {
  static float Fill() { return -std::numeric_limits<float>::infinity(); }
  HWY_INLINE V Init(D d) const { return hn::Set(d, Fill()); }
  HWY_INLINE V operator()(V acc, V x) const { return hn::IfThenElse(hn::Or(hn::Gt(x, acc), hn::IsNaN(x)), x, acc); }
};
struct SumOp {
  static float Fill() { return 0.0f; }
  HWY_INLINE V Init(D d) const { return hn::Zero(d); }
  HWY_INLINE V operator()(V acc, V x) const { return hn::Add(acc, x); }
};

// U vectors of output row (od, oh) from column ow0; count valid columns (the last vector may be
// partial: its loads stay in the phase row's slack, its store is cut).
template <int U, class Op>
HWY_INLINE void Block(const PoolLayout& l, const float* plane, int64_t od, int64_t oh, int64_t ow0, float* y,
                      int64_t count, Op op) {
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const WindowGeometry& g = l.window;
  const int64_t row_floats = pp::RowFloats(g), len = pp::PhaseLength(g), sw = g.stride[2];
  const int64_t step_q = g.dilation[2] / sw, step_r = g.dilation[2] % sw;
  V acc[U];
  for (int u = 0; u < U; ++u) acc[u] = op.Init(d);
  for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
    for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
      const float* row = plane + pp::RowIndex(g, od, oh, kd, kh) * row_floats + ow0;
      // Tap kw reads phase (kw·dw) mod sw at (kw·dw) div sw, advanced incrementally.
      int64_t phase = 0, base = 0;
      for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
        const float* p = row + phase * len + base;
        for (int u = 0; u < U; ++u) acc[u] = op(acc[u], hn::LoadU(d, p + u * N));
        phase += step_r, base += step_q;
        if (phase >= sw) phase -= sw, ++base;
      }
    }
  }
  for (int u = 0; u < U; ++u) {
    V r = acc[u];
    if (l.kind == PoolKind::kAverage) {
      const V divisor = hn::Mul(hn::Set(d, l.count_d[od] * l.count_h[oh]), hn::LoadU(d, l.count_w.data() + ow0 + u * N));
      r = hn::Div(r, divisor);
    }
    const int64_t left = count - u * N;
    if (left >= N) {
      hn::StoreU(r, d, y + ow0 + u * N);
    } else if (left > 0) {
      StoreTail(d, r, y + ow0 + u * N, static_cast<std::size_t>(left));
    }
  }
}

template <class Op>
void PoolPlane(const PoolLayout& l, const float* x, float* y, float* scratch, Op op) {
  const WindowGeometry& g = l.window;
  PadPlane(g, x, Op::Fill(), scratch);
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t ow_count = g.out[2];
  for (int64_t od = 0; od < g.out[0]; ++od) {
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      float* yrow = y + (od * g.out[1] + oh) * ow_count;
      int64_t ow0 = 0;
      for (; ow0 + 4 * N <= ow_count; ow0 += 4 * N) Block<4>(l, scratch, od, oh, ow0, yrow, 4 * N, op);
      const int64_t left = ow_count - ow0;
      switch ((left + N - 1) / N) {
        case 0: break;
        case 1: Block<1>(l, scratch, od, oh, ow0, yrow, left, op); break;
        case 2: Block<2>(l, scratch, od, oh, ow0, yrow, left, op); break;
        case 3: Block<3>(l, scratch, od, oh, ow0, yrow, left, op); break;
        default: Block<4>(l, scratch, od, oh, ow0, yrow, left, op); break;
      }
    }
  }
}

// pool_detail::MaxRows's path. rows: MaxRowsFloats floats.
void MaxPoolRows(const WindowGeometry& g, const float* x, float* y, float* rows) {
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const MaxOp op;
  const V ninf = op.Init(d);
  const int64_t in_w = g.in[2], out_w = g.out[2], pw = g.pad[2];
  const auto width = static_cast<int64_t>(pool_detail::MaxRowFloats(g));
  // Row r of the copy is input row r; its padded column j is input column j - pw, and only the
  // columns a window reaches are copied.
  const int64_t extent = (out_w - 1) * 2 + g.kernel[2];
  const int64_t c0 = std::min(pw, extent), c1 = std::max(c0, std::min(pw + in_w, extent));
  for (int64_t ih = 0; ih < g.in[1]; ++ih) {
    float* row = rows + ih * width;
    for (int64_t j = 0; j < c0; j += N) hn::StoreU(ninf, d, row + j);  // may run into [c0, c1): copied next
    std::memcpy(row + c0, x + ih * in_w + (c0 - pw), static_cast<std::size_t>(c1 - c0) * sizeof(float));
    // Whole vectors, the last one ending at the row's end (width - c1 > N).
    for (int64_t j = c1; j < width; j += N) hn::StoreU(ninf, d, row + std::min(j, width - N));
  }
  const bool three = g.kernel[2] == 3;
  for (int64_t oh = 0; oh < g.out[1]; ++oh) {
    const float* taps[pool_detail::kMaxRowsKernelH];
    int64_t count = 0;
    for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
      const int64_t ih = oh * g.stride[1] + kh * g.dilation[1] - g.pad[1];
      if (ih >= 0 && ih < g.in[1]) taps[count++] = rows + ih * width;  // rows in the padding: -inf, never taken
    }
    float* yrow = y + oh * out_w;
    for (int64_t ow = 0; ow < out_w; ow += N) {
      // Window row by window row, each row's maximum folded in: the same as folding its taps one
      // by one (the first of equal values stays, and a NaN replaces whatever came before it).
      V acc = ninf;
      for (int64_t r = 0; r < count; ++r) {
        V e0, o0, e1, o1;
        hn::LoadInterleaved2(d, taps[r] + 2 * ow, e0, o0);
        V m = op(op(ninf, e0), o0);
        if (three) {
          hn::LoadInterleaved2(d, taps[r] + 2 * ow + 2, e1, o1);
          m = op(m, e1);
        }
        acc = op(acc, m);
      }
      // A partial vector may spill into the rows after it (written later, over the spill) only
      // while the whole vector stays inside the plane: past it lies the next plane (maybe another
      // thread's) or the end of the output. Rows narrower than a vector (7x7 -> 3x3 or 4x4) can
      // leave fewer than N floats after a row that is not the last.
      if ((g.out[1] - oh) * out_w - ow >= N) {
        hn::StoreU(acc, d, yrow + ow);
      } else {
        StoreTail(d, acc, yrow + ow, static_cast<std::size_t>(out_w - ow));
      }
    }
  }
}

}  // namespace

void PoolPlaneF32(const PoolLayout& l, const float* x, float* y, float* scratch) {
  if (l.window.OutVolume() == 0) return;
  if (pool_detail::MaxRows(l.kind, l.window)) return MaxPoolRows(l.window, x, y, scratch);
  if (l.kind == PoolKind::kMax) return PoolPlane(l, x, y, scratch, MaxOp());
  PoolPlane(l, x, y, scratch, SumOp());
}

// Four accumulators: the add chain is 4 cycles long, and more lanes in flight also keep the
// rounding error of a long sum small (each lane adds about n / 4N terms).
float PlaneSumF32(const float* x, int64_t n) {
  const D d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  V s0 = hn::Zero(d), s1 = s0, s2 = s0, s3 = s0;
  int64_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    s0 = hn::Add(s0, hn::LoadU(d, x + i));
    s1 = hn::Add(s1, hn::LoadU(d, x + i + N));
    s2 = hn::Add(s2, hn::LoadU(d, x + i + 2 * N));
    s3 = hn::Add(s3, hn::LoadU(d, x + i + 3 * N));
  }
  for (; i + N <= n; i += N) s0 = hn::Add(s0, hn::LoadU(d, x + i));
  if (i < n) s1 = hn::Add(s1, LoadTail(d, x + i, static_cast<std::size_t>(n - i)));
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(PoolPlaneF32);
HWY_EXPORT(PlaneSumF32);

namespace {

// Taps t in [0, k) of the window starting at `start` with position start + t·dilation in [lo, hi).
int64_t TapsWithin(int64_t start, int64_t k, int64_t dilation, int64_t lo, int64_t hi) {
  auto first_at_or_after = [&](int64_t bound) {  // smallest t with start + t·dilation >= bound
    const int64_t gap = bound - start;
    return gap <= 0 ? 0 : (gap + dilation - 1) / dilation;
  };
  const int64_t t0 = std::min(k, first_at_or_after(lo)), t1 = std::min(k, first_at_or_after(hi));
  return std::max<int64_t>(0, t1 - t0);
}

std::vector<float> Counts(const WindowGeometry& g, int i, int64_t pad_end, bool include_pad, int64_t slack) {
  std::vector<float> c(static_cast<std::size_t>(g.out[i] + slack), 1.0f);
  for (int64_t o = 0; o < g.out[i]; ++o) {
    const int64_t start = o * g.stride[i] - g.pad[i];
    c[static_cast<std::size_t>(o)] = static_cast<float>(
        include_pad ? TapsWithin(start, g.kernel[i], g.dilation[i], -g.pad[i], g.in[i] + pad_end)
                    : TapsWithin(start, g.kernel[i], g.dilation[i], 0, g.in[i]));
  }
  return c;
}


// Planes per task: about 32K floats of input and output, so small planes are batched and a
// task is worth its hand-off. A function of the shapes alone.
int64_t PlaneGrain(int64_t floats_per_plane) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, floats_per_plane)); }

}  // namespace

PoolLayout MakePoolLayout(PoolKind kind, int64_t planes, const WindowGeometry& window,
                          const std::array<int64_t, 3>& pad_end, bool count_include_pad) {
  PoolLayout l;
  l.kind = kind, l.planes = planes, l.window = window;
  if (kind == PoolKind::kAverage) {
    l.count_d = Counts(window, 0, pad_end[0], count_include_pad, 0);
    l.count_h = Counts(window, 1, pad_end[1], count_include_pad, 0);
    l.count_w = Counts(window, 2, pad_end[2], count_include_pad, padded_plane::kSlack);
  }
  l.scratch_floats = Lines(pool_detail::MaxRows(kind, window) ? pool_detail::MaxRowsFloats(window) : padded_plane::Floats(window));
  return l;
}

std::size_t PoolWorkspaceBytes(const PoolLayout& l, int threads) {
  return l.scratch_floats * static_cast<std::size_t>(std::max(1, threads)) * sizeof(float);
}

void PoolF32(const PoolLayout& l, const float* x, float* y, float* workspace, std::size_t workspace_floats,
             int workspace_threads) {
  const int64_t in_vol = l.window.InVolume(), out_vol = l.window.OutVolume();
  if (l.planes == 0 || out_vol == 0) return;
  const auto fn = HWY_DYNAMIC_DISPATCH(PoolPlaneF32);
  runtime::ParallelFor(l.planes, PlaneGrain(in_vol + out_vol), [&](int64_t p0, int64_t p1) {
    const int slot = runtime::ThreadIndex();
    float* scratch = workspace && slot >= 0 && slot < workspace_threads &&
                             l.scratch_floats * static_cast<std::size_t>(workspace_threads) <= workspace_floats
                         ? workspace + l.scratch_floats * static_cast<std::size_t>(slot)
                         : ThreadScratch<ScratchPurpose::kPool>(l.scratch_floats);
    for (int64_t p = p0; p < p1; ++p) fn(l, x + p * in_vol, y + p * out_vol, scratch);
  });
}

namespace {

// Rare (quantized models) and byte-sized: a direct loop, the taps outside the image skipped.
template <class T>
void MaxPoolInt(const PoolLayout& l, const T* x, T* y) {
  const WindowGeometry& g = l.window;
  const int64_t in_vol = g.InVolume(), out_vol = g.OutVolume();
  if (l.planes == 0 || out_vol == 0) return;
  runtime::ParallelFor(l.planes, PlaneGrain(in_vol + out_vol), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* plane = x + p * in_vol;
      T* out = y + p * out_vol;
      for (int64_t od = 0; od < g.out[0]; ++od)
        for (int64_t oh = 0; oh < g.out[1]; ++oh)
          for (int64_t ow = 0; ow < g.out[2]; ++ow) {
            T m = std::numeric_limits<T>::lowest();
            for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
              const int64_t id = od * g.stride[0] + kd * g.dilation[0] - g.pad[0];
              if (id < 0 || id >= g.in[0]) continue;
              for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
                const int64_t ih = oh * g.stride[1] + kh * g.dilation[1] - g.pad[1];
                if (ih < 0 || ih >= g.in[1]) continue;
                for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                  const int64_t iw = ow * g.stride[2] + kw * g.dilation[2] - g.pad[2];
                  if (iw >= 0 && iw < g.in[2]) m = std::max(m, plane[(id * g.in[1] + ih) * g.in[2] + iw]);
                }
              }
            }
            *out++ = m;
          }
    }
  });
}

}  // namespace

void MaxPoolI8(const PoolLayout& l, const int8_t* x, int8_t* y) { MaxPoolInt(l, x, y); }
void MaxPoolU8(const PoolLayout& l, const uint8_t* x, uint8_t* y) { MaxPoolInt(l, x, y); }

void GlobalAveragePoolF32(const float* x, float* y, int64_t planes, int64_t plane_size) {
  const auto sum = HWY_DYNAMIC_DISPATCH(PlaneSumF32);
  const float n = static_cast<float>(plane_size);
  runtime::ParallelFor(planes, PlaneGrain(plane_size), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) y[p] = plane_size == 0 ? std::nanf("") : sum(x + p * plane_size, plane_size) / n;
  });
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
