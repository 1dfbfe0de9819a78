// Per-target building blocks of softmax along a row, shared by the Softmax kernels and the fused
// softmax cross-entropy loss kernels. Included once per Highway target (toggle guard below), after
// <hwy/highway.h>, activation-inl.h and simd-inl.h, from a kernel .cc that uses foreach_target.h.

#if defined(AXON_RUNTIME_KERNELS_SOFTMAX_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AXON_RUNTIME_KERNELS_SOFTMAX_INL_H_
#undef AXON_RUNTIME_KERNELS_SOFTMAX_INL_H_
#else
#define AXON_RUNTIME_KERNELS_SOFTMAX_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "runtime/kernels/activation-inl.h"
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

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

// A block of count <= Lanes(d) adjacent columns of a [len, inner] slab, each lane walking the
// axis with stride inner. Partial blocks go through the tail buffers, so every column is computed
// by the same vector code.
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

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
