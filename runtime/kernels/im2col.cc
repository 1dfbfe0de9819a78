// im2col / col2im on 3-D window geometry, Highway-vectorized. Along a run of window positions
// that share an input row the source is contiguous for stride 1 and strided otherwise; the
// padding at either end of a run is cut off analytically, never tested per element.
//
// Stride 2 (downsampling convolutions, x2 transposed ones) de-interleaves / re-interleaves
// whole vectors; other strides go element by element.
//
// Runs are short (an output row: 7 to 112 floats in a CNN), so per-run costs decide the speed:
// positions advance incrementally (no 64-bit divisions per run), and copies and zero fills are
// inline vector loops rather than memcpy/memset calls, whose entry overhead is a large part of a
// 56-float copy. Stores may run past the end of a run into the next one (written after it, in
// order) and into the slack the caller leaves after the matrix; loads never leave the image.

#include "runtime/kernels/im2col.h"

#include <algorithm>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/im2col.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"

#ifndef AXON_RUNTIME_KERNELS_IM2COL_SHARED_
#define AXON_RUNTIME_KERNELS_IM2COL_SHARED_
namespace axon::kernels::im2col_detail {

// Division rounding toward -inf / +inf for a positive divisor and a numerator of any sign.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int64_t CeilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); }

// Walks window positions [col0, col0 + cols) for one tap (kd, kh, kw) in runs that share an
// output row (od, oh), calling fn(offset, length, input_row, lo, hi, iw_base): the run's first
// column relative to col0 and its length; the offset of the input row the tap reads within a
// channel's volume (-1 when the tap's depth or height falls in the padding); the run's positions
// [lo, hi) (offsets from its start) that land inside the row; and iw_base, such that run position
// i reads input column (ow + i)·stride + iw_base, ow being the run's first output column.
template <class Fn>
void ForEachRun(const WindowGeometry& g, int64_t kd, int64_t kh, int64_t kw, int64_t col0, int64_t cols, Fn&& fn) {
  const int64_t ow_count = g.out[2];
  const int64_t d_off = kd * g.dilation[0] - g.pad[0], h_off = kh * g.dilation[1] - g.pad[1];
  const int64_t iw_base = kw * g.dilation[2] - g.pad[2];
  const int64_t sw = g.stride[2];
  // Output columns ow whose input column is inside the row: [ow_first, ow_end).
  const int64_t ow_first = std::max<int64_t>(0, CeilDiv(-iw_base, sw));
  const int64_t ow_end = std::min<int64_t>(ow_count, FloorDiv(g.in[2] - 1 - iw_base, sw) + 1);
  const int64_t row0 = col0 / ow_count;
  int64_t ow = col0 % ow_count, od = row0 / g.out[1], oh = row0 % g.out[1];
  for (int64_t done = 0; done < cols;) {
    const int64_t len = std::min(ow_count - ow, cols - done);
    const int64_t id = od * g.stride[0] + d_off, ih = oh * g.stride[1] + h_off;
    const bool inside = id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1];
    const int64_t lo = inside ? std::clamp<int64_t>(ow_first - ow, 0, len) : len;
    const int64_t hi = inside ? std::clamp<int64_t>(ow_end - ow, lo, len) : len;
    fn(done, len, inside ? (id * g.in[1] + ih) * g.in[2] : -1, ow, lo, hi, iw_base);
    done += len;
    ow = 0;
    if (++oh == g.out[1]) oh = 0, ++od;
  }
}

}  // namespace axon::kernels::im2col_detail
#endif

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

using im2col_detail::ForEachRun;

}  // namespace

void Im2ColF32(const WindowGeometry& g, int64_t channels, const float* image, int64_t col0, int64_t cols, float* col) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t sw = g.stride[2];
  const auto zero = hn::Zero(d);
  float* dst = col;
  for (int64_t c = 0; c < channels; ++c) {
    const float* plane = image + c * g.InVolume();
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, dst += cols)
          ForEachRun(g, kd, kh, kw, col0, cols,
                     [&](int64_t off, int64_t len, int64_t row, int64_t ow, int64_t lo, int64_t hi, int64_t iw_base) {
                       float* out = dst + off;
                       // Zeros, whole vectors (spilling forward is allowed, see above).
                       for (int64_t i = 0; i < lo; i += N) hn::StoreU(zero, d, out + i);
                       if (hi > lo) {
                         const float* src = plane + row + (ow + lo) * sw + iw_base;
                         const int64_t n = hi - lo;
                         if (sw == 1) {
                           int64_t i = 0;
                           for (; i + N <= n; i += N) hn::StoreU(hn::LoadU(d, src + i), d, out + lo + i);
                           if (i < n) hn::StoreU(LoadTail(d, src + i, static_cast<std::size_t>(n - i)), d, out + lo + i);
                         } else {
                           int64_t i = 0;
                           if (sw == 2)  // the even lanes of 2N contiguous floats; the last pair stays inside the run
                             for (; i + N < n; i += N) {
                               hn::Vec<decltype(d)> even, odd;
                               hn::LoadInterleaved2(d, src + 2 * i, even, odd);
                               hn::StoreU(even, d, out + lo + i);
                             }
                           for (; i < n; ++i) out[lo + i] = src[i * sw];
                         }
                       }
                       for (int64_t i = hi; i < len; i += N) hn::StoreU(zero, d, out + i);
                     });
  }
}

void Col2ImF32(const WindowGeometry& g, int64_t channels, const float* col, int64_t col0, int64_t cols, float* image) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t sw = g.stride[2];
  const float* src = col;
  for (int64_t c = 0; c < channels; ++c) {
    float* plane = image + c * g.InVolume();
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, src += cols)
          ForEachRun(g, kd, kh, kw, col0, cols,
                     [&](int64_t off, int64_t, int64_t row, int64_t ow, int64_t lo, int64_t hi, int64_t iw_base) {
                       if (hi <= lo) return;
                       float* out = plane + row + (ow + lo) * sw + iw_base;
                       const float* in = src + off + lo;
                       const int64_t n = hi - lo;
                       // Distinct positions of a run hit distinct image elements (stride >= 1).
                       if (sw == 1) {
                         int64_t i = 0;
                         for (; i + N <= n; i += N)
                           hn::StoreU(hn::Add(hn::LoadU(d, out + i), hn::LoadU(d, in + i)), d, out + i);
                         for (; i < n; ++i) out[i] += in[i];
                       } else {
                         int64_t i = 0;
                         if (sw == 2)  // add to the even lanes of 2N floats, store the odd ones back unchanged
                           for (; i + N < n; i += N) {
                             hn::Vec<decltype(d)> even, odd;
                             hn::LoadInterleaved2(d, out + 2 * i, even, odd);
                             hn::StoreInterleaved2(hn::Add(even, hn::LoadU(d, in + i)), odd, d, out + 2 * i);
                           }
                         for (; i < n; ++i) out[i * sw] += in[i];
                       }
                     });
  }
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(Im2ColF32);
HWY_EXPORT(Col2ImF32);

// A block is written once and then streamed through the GEMM while the weights go past it: about
// 512 KiB keeps it in L2 (1-2 MiB on the machines we run on) beside the GEMM's own working set.
// But every block makes the GEMM read all of the weights again, so a block never has fewer than
// 192 columns (384 FLOPs per weight read, even for ResNet's 4.7 MB last-stage filters), and a
// matrix that fits in two blocks is one block. Blocks are balanced and whole multiples of 48
// columns (the GEMM's widest panel: 3 AVX-512 or 6 AVX2 vectors), so only the last one has a
// ragged edge. A function of the shapes alone.
int64_t ColumnBlock(int64_t rows, int64_t columns) {
  constexpr int64_t kBlockFloats = int64_t{1} << 17, kMinColumns = 192, kAlign = 48;
  const int64_t by_cache = std::max(kMinColumns, kBlockFloats / std::max<int64_t>(1, rows));
  if (columns <= 2 * by_cache) return columns;
  const int64_t blocks = (columns + by_cache - 1) / by_cache;
  const int64_t even = (columns + blocks - 1) / blocks;
  return std::min(columns, (even + kAlign - 1) / kAlign * kAlign);
}

void Im2Col(const WindowGeometry& g, int64_t channels, const float* image, int64_t col0, int64_t cols, float* col) {
  if (channels == 0 || cols == 0) return;
  HWY_DYNAMIC_DISPATCH(Im2ColF32)(g, channels, image, col0, cols, col);
}

void Col2Im(const WindowGeometry& g, int64_t channels, const float* col, int64_t col0, int64_t cols, float* image) {
  if (channels == 0 || cols == 0) return;
  HWY_DYNAMIC_DISPATCH(Col2ImF32)(g, channels, col, col0, cols, image);
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
