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
#include "runtime/kernels/softmax-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

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

// One column block (LoadCols): every lane is an independent softmax along the strided axis.
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
