// x − x is 0 for every finite x and NaN for ±inf and NaN, so one subtract and one compare per
// vector test any kind of non-finite value (this Highway has no IsFinite on x86). Four vectors
// are tested at a time, their differences summed (a NaN survives the sum), and only a block that
// fails is searched element by element for the index.
#include "runtime/kernels/finite.h"

#include <cmath>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/finite.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

int64_t FirstNonFiniteFrom(const float* x, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i)
    if (!std::isfinite(x[i])) return i;
  return -1;
}

int64_t FirstNonFiniteVec(const float* x, int64_t n) {
  const hn::ScalableTag<float> d;
  const auto N = static_cast<int64_t>(hn::Lanes(d));
  const auto zero = hn::Zero(d);
  auto diff = [&](int64_t i) {
    const auto v = hn::LoadU(d, x + i);
    return hn::Sub(v, v);
  };
  int64_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    const auto s = hn::Add(hn::Add(diff(i), diff(i + N)), hn::Add(diff(i + 2 * N), diff(i + 3 * N)));
    if (!hn::AllTrue(d, hn::Eq(s, zero))) return FirstNonFiniteFrom(x, i, i + 4 * N);
  }
  return FirstNonFiniteFrom(x, i, n);
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(FirstNonFiniteVec);

int64_t FirstNonFinite(const float* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(FirstNonFiniteVec)(x, n); }

}  // namespace axon::kernels
#endif  // HWY_ONCE
