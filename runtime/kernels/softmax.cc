// Softmax along an axis, in two layouts. inner == 1 (the axis is the last dim, the common case):
// each row is contiguous, reduced with whole vectors. inner > 1: the axis is strided, so the
// vectors run across `inner` instead (adjacent in memory) and walk the axis one row at a time;
// every lane is an independent softmax. Either way, three passes: max, sum of exp, normalize.

#include "runtime/kernels/softmax.h"

#include <algorithm>
#include <cmath>

#include "axon/error.h"
#include "runtime/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/softmax.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>
#include "runtime/kernels/activation-inl.h"
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

// Exp goes through ExpChecked (activation-inl.h): Highway's Exp returns 0 for NaN, which would
// quietly drop a NaN from a row; passed through, it reaches the sum and so every output of the
// row, as in numpy and ONNX, whichever lane or target saw it.

// n >= 1. Max is idempotent, so a ragged end is covered by one more load of the last full
// vector, overlapping what was already seen.
template <class D>
HWY_INLINE float RowMax(D d, const float* x, int64_t n) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  if (n < N) {
    float m = x[0];
    for (int64_t i = 1; i < n; ++i) m = std::max(m, x[i]);
    return m;
  }
  auto m0 = hn::LoadU(d, x);
  auto m1 = m0;
  int64_t i = N;
  for (; i + 2 * N <= n; i += 2 * N) {  // two chains: Max latency 4, throughput 2/cycle
    m0 = hn::Max(m0, hn::LoadU(d, x + i));
    m1 = hn::Max(m1, hn::LoadU(d, x + i + N));
  }
  for (; i + N <= n; i += N) m0 = hn::Max(m0, hn::LoadU(d, x + i));
  if (i < n) m1 = hn::Max(m1, hn::LoadU(d, x + n - N));
  return hn::GetLane(hn::MaxOfLanes(d, hn::Max(m0, m1)));
}

// Returns sum(exp(x - max)); when kStore, also writes the exps to y. Two accumulators halve the
// add dependency chain and, spread over 2N lanes, keep the rounding error of a 1000-long sum
// small (each lane adds about n / 2N terms).
template <bool kStore, class D>
HWY_INLINE float RowSumExp(D d, const float* x, float* y, int64_t n, float max) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto vmax = hn::Set(d, max);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto e0 = ExpChecked(d, hn::Sub(hn::LoadU(d, x + i), vmax));
    const auto e1 = ExpChecked(d, hn::Sub(hn::LoadU(d, x + i + N), vmax));
    if (kStore) {
      hn::StoreU(e0, d, y + i);
      hn::StoreU(e1, d, y + i + N);
    }
    s0 = hn::Add(s0, e0);
    s1 = hn::Add(s1, e1);
  }
  for (; i + N <= n; i += N) {
    const auto e = ExpChecked(d, hn::Sub(hn::LoadU(d, x + i), vmax));
    if (kStore) hn::StoreU(e, d, y + i);
    s0 = hn::Add(s0, e);
  }
  if (i < n) {
    const std::size_t count = static_cast<std::size_t>(n - i);
    // The padding lanes hold exp(0 - max), which must not reach the sum.
    const auto e = hn::IfThenElseZero(hn::FirstN(d, count), ExpChecked(d, hn::Sub(LoadTail(d, x + i, count), vmax)));
    if (kStore) StoreTail(d, e, y + i, count);
    s1 = hn::Add(s1, e);
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
}

// Scalar tails below use the same single IEEE operation as the vector body.
template <class D>
HWY_INLINE void Scale(D d, float* y, int64_t n, float factor) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto f = hn::Set(d, factor);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, y + i), f), d, y + i);
  for (; i < n; ++i) y[i] *= factor;
}

// y = (x - max) - log_sum: subtracting max first keeps x - max exact when x is near max.
template <class D>
HWY_INLINE void SubtractLogSum(D d, const float* x, float* y, int64_t n, float max, float log_sum) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto vmax = hn::Set(d, max), vlog = hn::Set(d, log_sum);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Sub(hn::Sub(hn::LoadU(d, x + i), vmax), vlog), d, y + i);
  for (; i < n; ++i) y[i] = (x[i] - max) - log_sum;
}

// Rows of length len at x, x + len, ...
void SoftmaxRowsF32(const float* x, float* y, int64_t rows, int64_t len, bool log) {
  const hn::ScalableTag<float> d;
  for (int64_t r = 0; r < rows; ++r, x += len, y += len) {
    const float max = RowMax(d, x, len);
    if (log) {
      const float sum = RowSumExp<false>(d, x, y, len, max);
      SubtractLogSum(d, x, y, len, max, std::log(sum));
    } else {
      const float sum = RowSumExp<true>(d, x, y, len, max);
      Scale(d, y, len, 1.0f / sum);
    }
  }
}

// One block of `count` <= Lanes(d) adjacent columns of one [len, inner] slab: each lane walks the
// axis with stride `inner`. Partial blocks go through the tail buffers, so every column is
// computed by the same vector code.
template <class D>
HWY_INLINE hn::Vec<D> LoadCols(D d, const float* p, std::size_t count) {
  return count == hn::Lanes(d) ? hn::LoadU(d, p) : LoadTail(d, p, count);
}
template <class D>
HWY_INLINE void StoreCols(D d, hn::Vec<D> v, float* p, std::size_t count) {
  if (count == hn::Lanes(d)) {
    hn::StoreU(v, d, p);
  } else {
    StoreTail(d, v, p, count);
  }
}

template <class D>
HWY_INLINE void SoftmaxColumns(D d, const float* x, float* y, int64_t len, int64_t inner, std::size_t count,
                               bool log) {
  auto max = LoadCols(d, x, count);
  for (int64_t a = 1; a < len; ++a) max = hn::Max(max, LoadCols(d, x + a * inner, count));
  auto sum = hn::Zero(d);
  for (int64_t a = 0; a < len; ++a) {
    const auto e = ExpChecked(d, hn::Sub(LoadCols(d, x + a * inner, count), max));
    if (!log) StoreCols(d, e, y + a * inner, count);
    sum = hn::Add(sum, e);
  }
  if (log) {
    // Highway's Log, like its Exp, does not pass NaN through.
    const auto log_sum = hn::IfThenElse(hn::IsNaN(sum), sum, hn::Log(d, sum));
    for (int64_t a = 0; a < len; ++a)
      StoreCols(d, hn::Sub(hn::Sub(LoadCols(d, x + a * inner, count), max), log_sum), y + a * inner, count);
  } else {
    const auto inv = hn::Div(hn::Set(d, 1.0f), sum);
    for (int64_t a = 0; a < len; ++a)
      StoreCols(d, hn::Mul(LoadCols(d, y + a * inner, count), inv), y + a * inner, count);
  }
}

// Work items are (slab, column block) pairs, slab-major; a column block is cols_per_item columns.
void SoftmaxStridedF32(const float* x, float* y, int64_t len, int64_t inner, int64_t cols_per_item,
                       int64_t item_begin, int64_t item_end, bool log) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t items_per_slab = (inner + cols_per_item - 1) / cols_per_item;
  for (int64_t item = item_begin; item < item_end; ++item) {
    const int64_t slab = item / items_per_slab;
    const int64_t c0 = (item % items_per_slab) * cols_per_item;
    const int64_t c1 = std::min(inner, c0 + cols_per_item);
    const float* xs = x + slab * len * inner;
    float* ys = y + slab * len * inner;
    for (int64_t c = c0; c < c1; c += N)
      SoftmaxColumns(d, xs + c, ys + c, len, inner, static_cast<std::size_t>(std::min(N, c1 - c)), log);
  }
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(SoftmaxRowsF32);
HWY_EXPORT(SoftmaxStridedF32);

namespace {

// About 16K elements of work per task, as in the other families.
constexpr int64_t kItemElems = 16384;
// Columns per strided work item: a multiple of every vector length, so only a slab's last block
// has a partial vector.
constexpr int64_t kColsPerItem = 256;

void Run(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, bool log) {
  if (outer <= 0 || len <= 0 || inner <= 0) return;
  if (inner == 1) {
    const auto rows_fn = HWY_DYNAMIC_DISPATCH(SoftmaxRowsF32);
    const int64_t grain = std::max<int64_t>(1, kItemElems / len);
    runtime::ParallelFor(outer, grain, [&](int64_t r0, int64_t r1) {
      rows_fn(x + r0 * len, y + r0 * len, r1 - r0, len, log);
    });
    return;
  }
  const auto strided_fn = HWY_DYNAMIC_DISPATCH(SoftmaxStridedF32);
  const int64_t cols = std::min(inner, kColsPerItem);
  const int64_t items = outer * ((inner + cols - 1) / cols);
  const int64_t grain = std::max<int64_t>(1, kItemElems / (cols * len));
  runtime::ParallelFor(items, grain, [&](int64_t i0, int64_t i1) { strided_fn(x, y, len, inner, cols, i0, i1, log); });
}

}  // namespace

void SoftmaxF32(const float* x, float* y, int64_t outer, int64_t axis_len, int64_t inner) {
  Run(x, y, outer, axis_len, inner, /*log=*/false);
}

void LogSoftmaxF32(const float* x, float* y, int64_t outer, int64_t axis_len, int64_t inner) {
  Run(x, y, outer, axis_len, inner, /*log=*/true);
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
