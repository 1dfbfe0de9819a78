// Softmax gradients in the two layouts of softmax.cc: inner == 1 (contiguous rows, reduced with
// whole vectors) and inner > 1 (vectors across adjacent columns, walking the axis).

#include "runtime/kernels/softmax_grad.h"

#include <algorithm>
#include <cmath>

#include "runtime/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/softmax_grad.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>
#include "runtime/kernels/activation-inl.h"
#include "runtime/kernels/simd-inl.h"
#include "runtime/kernels/softmax-inl.h"  // LoadCols / StoreCols: partial vectors through the tail buffers

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

// One contiguous row. Two accumulators halve the add chain; zero-padded tail lanes add nothing.
// A row shorter than a vector (a 10-class classifier) is done in scalar code: the tail buffers'
// copies would cost more than the arithmetic.
template <bool kLog, class D>
HWY_INLINE void GradRow(D d, const float* dy, const float* y, float* dx, int64_t len) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  if (len < N) {
    float s = 0;
    for (int64_t i = 0; i < len; ++i) s += kLog ? dy[i] : dy[i] * y[i];
    for (int64_t i = 0; i < len; ++i) dx[i] = kLog ? dy[i] - std::exp(y[i]) * s : y[i] * (dy[i] - s);
    return;
  }
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * N <= len; i += 2 * N) {
    const auto a = hn::LoadU(d, dy + i), b = hn::LoadU(d, dy + i + N);
    if (kLog) {
      s0 = hn::Add(s0, a);
      s1 = hn::Add(s1, b);
    } else {
      s0 = hn::MulAdd(a, hn::LoadU(d, y + i), s0);
      s1 = hn::MulAdd(b, hn::LoadU(d, y + i + N), s1);
    }
  }
  for (; i < len; i += N) {
    const std::size_t count = static_cast<std::size_t>(std::min(N, len - i));
    const auto a = LoadCols(d, dy + i, count);
    s0 = kLog ? hn::Add(s0, a) : hn::MulAdd(a, LoadCols(d, y + i, count), s0);
  }
  const auto s = hn::Set(d, hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1))));
  for (i = 0; i < len; i += N) {
    const std::size_t count = static_cast<std::size_t>(std::min(N, len - i));
    const auto g = LoadCols(d, dy + i, count), v = LoadCols(d, y + i, count);
    StoreCols(d, kLog ? hn::NegMulAdd(ExpChecked(d, v), s, g) : hn::Mul(v, hn::Sub(g, s)), dx + i, count);
  }
}

// `count` adjacent columns of one [len, inner] slab, each lane its own line along the axis.
template <bool kLog, class D>
HWY_INLINE void GradColumns(D d, const float* dy, const float* y, float* dx, int64_t len, int64_t inner,
                            std::size_t count) {
  auto s = hn::Zero(d);
  for (int64_t a = 0; a < len; ++a) {
    const auto g = LoadCols(d, dy + a * inner, count);
    s = kLog ? hn::Add(s, g) : hn::MulAdd(g, LoadCols(d, y + a * inner, count), s);
  }
  for (int64_t a = 0; a < len; ++a) {
    const auto g = LoadCols(d, dy + a * inner, count), v = LoadCols(d, y + a * inner, count);
    StoreCols(d, kLog ? hn::NegMulAdd(ExpChecked(d, v), s, g) : hn::Mul(v, hn::Sub(g, s)), dx + a * inner, count);
  }
}

template <bool kLog>
void Rows(const float* dy, const float* y, float* dx, int64_t rows, int64_t len) {
  const hn::ScalableTag<float> d;
  for (int64_t r = 0; r < rows; ++r) GradRow<kLog>(d, dy + r * len, y + r * len, dx + r * len, len);
}
void SoftmaxGradRowsF32(const float* dy, const float* y, float* dx, int64_t rows, int64_t len, bool log) {
  log ? Rows<true>(dy, y, dx, rows, len) : Rows<false>(dy, y, dx, rows, len);
}

// Work items are (slab, column block) pairs, slab-major, as in softmax.cc.
template <bool kLog>
void Strided(const float* dy, const float* y, float* dx, int64_t len, int64_t inner, int64_t cols_per_item,
             int64_t item_begin, int64_t item_end) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t items_per_slab = (inner + cols_per_item - 1) / cols_per_item;
  for (int64_t item = item_begin; item < item_end; ++item) {
    const int64_t slab = item / items_per_slab;
    const int64_t c0 = (item % items_per_slab) * cols_per_item;
    const int64_t c1 = std::min(inner, c0 + cols_per_item);
    const int64_t base = slab * len * inner;
    for (int64_t c = c0; c < c1; c += N)
      GradColumns<kLog>(d, dy + base + c, y + base + c, dx + base + c, len, inner,
                        static_cast<std::size_t>(std::min(N, c1 - c)));
  }
}
void SoftmaxGradStridedF32(const float* dy, const float* y, float* dx, int64_t len, int64_t inner,
                           int64_t cols_per_item, int64_t item_begin, int64_t item_end, bool log) {
  log ? Strided<true>(dy, y, dx, len, inner, cols_per_item, item_begin, item_end)
      : Strided<false>(dy, y, dx, len, inner, cols_per_item, item_begin, item_end);
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(SoftmaxGradRowsF32);
HWY_EXPORT(SoftmaxGradStridedF32);

namespace {

constexpr int64_t kItemElems = 16384;  // work per task, as in softmax.cc
constexpr int64_t kColsPerItem = 256;  // a multiple of every vector length

void Run(const float* dy, const float* y, float* dx, int64_t outer, int64_t len, int64_t inner, bool log) {
  if (outer <= 0 || len <= 0 || inner <= 0) return;
  if (inner == 1) {
    const auto rows_fn = HWY_DYNAMIC_DISPATCH(SoftmaxGradRowsF32);
    const int64_t grain = std::max<int64_t>(1, kItemElems / len);
    runtime::ParallelFor(outer, grain, [&](int64_t r0, int64_t r1) {
      rows_fn(dy + r0 * len, y + r0 * len, dx + r0 * len, r1 - r0, len, log);
    });
    return;
  }
  const auto strided_fn = HWY_DYNAMIC_DISPATCH(SoftmaxGradStridedF32);
  const int64_t cols = std::min(inner, kColsPerItem);
  const int64_t items = outer * ((inner + cols - 1) / cols);
  const int64_t grain = std::max<int64_t>(1, kItemElems / (cols * len));
  runtime::ParallelFor(items, grain, [&](int64_t i0, int64_t i1) { strided_fn(dy, y, dx, len, inner, cols, i0, i1, log); });
}

}  // namespace

void SoftmaxGradF32(const float* dy, const float* y, float* dx, int64_t outer, int64_t axis_len, int64_t inner) {
  Run(dy, y, dx, outer, axis_len, inner, /*log=*/false);
}
void LogSoftmaxGradF32(const float* dy, const float* y, float* dx, int64_t outer, int64_t axis_len, int64_t inner) {
  Run(dy, y, dx, outer, axis_len, inner, /*log=*/true);
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
