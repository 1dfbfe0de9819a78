// Elementwise math kernels: one Highway functor per function (unary-inl.h), applied a vector at a
// time by TransformF32 (the tail through a padded vector, never a scalar loop), over the fixed
// blocks of flat_blocks.h.

#include "runtime/kernels/unary.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/kernels/flat_blocks.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/unary.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>
#include "runtime/kernels/activation-inl.h"
#include "runtime/kernels/simd-inl.h"
#include "runtime/kernels/unary-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

template <class Op>
HWY_INLINE void Apply(const float* x, float* y, int64_t n, const Op& op) {
  const hn::ScalableTag<float> d;
  TransformF32(d, x, y, static_cast<std::size_t>(n), op);
}

void LogF32(const float* x, float* y, int64_t n) { Apply(x, y, n, LogOp()); }
void SqrtF32(const float* x, float* y, int64_t n) { Apply(x, y, n, SqrtOp()); }
void NegF32(const float* x, float* y, int64_t n) { Apply(x, y, n, NegOp()); }
void AbsF32(const float* x, float* y, int64_t n) { Apply(x, y, n, AbsOp()); }
void ErfF32(const float* x, float* y, int64_t n) { Apply(x, y, n, ErfOp()); }
void GeluF32(const float* x, float* y, int64_t n) { Apply(x, y, n, GeluOp()); }
void GeluTanhF32(const float* x, float* y, int64_t n) { Apply(x, y, n, GeluTanhOp()); }
void ReciprocalF32(const float* x, float* y, int64_t n) { Apply(x, y, n, ReciprocalOp()); }
void SoftplusF32(const float* x, float* y, int64_t n) { Apply(x, y, n, SoftplusOp()); }
void HardSwishF32(const float* x, float* y, int64_t n) { Apply(x, y, n, HardSwishOp()); }
void LeakyReluF32(const float* x, float* y, int64_t n, float alpha) { Apply(x, y, n, LeakyReluOp{alpha}); }
void EluF32(const float* x, float* y, int64_t n, float alpha) { Apply(x, y, n, EluOp{alpha}); }
void SeluF32(const float* x, float* y, int64_t n, float alpha, float gamma) { Apply(x, y, n, SeluOp{alpha, gamma}); }
void HardSigmoidF32(const float* x, float* y, int64_t n, float alpha, float beta) {
  Apply(x, y, n, HardSigmoidOp{alpha, beta});
}
void ClipF32(const float* x, float* y, int64_t n, float lo, float hi) { Apply(x, y, n, ClipOp{lo, hi}); }

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(LogF32);
HWY_EXPORT(SqrtF32);
HWY_EXPORT(NegF32);
HWY_EXPORT(AbsF32);
HWY_EXPORT(ErfF32);
HWY_EXPORT(GeluF32);
HWY_EXPORT(GeluTanhF32);
HWY_EXPORT(ReciprocalF32);
HWY_EXPORT(SoftplusF32);
HWY_EXPORT(HardSwishF32);
HWY_EXPORT(LeakyReluF32);
HWY_EXPORT(EluF32);
HWY_EXPORT(SeluF32);
HWY_EXPORT(HardSigmoidF32);
HWY_EXPORT(ClipF32);

namespace {

// Runs fn (a dispatched per-target kernel) over the blocks of [0, n), passing the parameters on.
// Only a plain function pointer crosses the dispatch boundary, never a vector.
template <class... Params>
void RunBlocked(void (*fn)(const float*, float*, int64_t, Params...), const float* x, float* y, int64_t n,
                Params... params) {
  ForEachFlatBlock(n, [&](int64_t begin, int64_t end) { fn(x + begin, y + begin, end - begin, params...); });
}

}  // namespace

void Log(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(LogF32), x, y, n); }
void Sqrt(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(SqrtF32), x, y, n); }
void Neg(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(NegF32), x, y, n); }
void Abs(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(AbsF32), x, y, n); }
void Erf(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(ErfF32), x, y, n); }
void Gelu(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(GeluF32), x, y, n); }
void GeluTanh(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(GeluTanhF32), x, y, n); }
void Reciprocal(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(ReciprocalF32), x, y, n); }
void Softplus(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(SoftplusF32), x, y, n); }
void HardSwish(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(HardSwishF32), x, y, n); }
void LeakyRelu(const float* x, float* y, int64_t n, float alpha) {
  RunBlocked(HWY_DYNAMIC_DISPATCH(LeakyReluF32), x, y, n, alpha);
}
void Elu(const float* x, float* y, int64_t n, float alpha) { RunBlocked(HWY_DYNAMIC_DISPATCH(EluF32), x, y, n, alpha); }
void Selu(const float* x, float* y, int64_t n, float alpha, float gamma) {
  RunBlocked(HWY_DYNAMIC_DISPATCH(SeluF32), x, y, n, alpha, gamma);
}
void HardSigmoid(const float* x, float* y, int64_t n, float alpha, float beta) {
  RunBlocked(HWY_DYNAMIC_DISPATCH(HardSigmoidF32), x, y, n, alpha, beta);
}
void Clip(const float* x, float* y, int64_t n, float lo, float hi) {
  if (std::isnan(lo) || std::isnan(hi)) {  // numpy's clip: a NaN bound makes every element NaN
    ForEachFlatBlock(n, [&](int64_t begin, int64_t end) {
      std::fill(y + begin, y + end, std::numeric_limits<float>::quiet_NaN());
    });
    return;
  }
  RunBlocked(HWY_DYNAMIC_DISPATCH(ClipF32), x, y, n, lo, hi);
}

namespace {
template <class T>
void ClipInt(const T* x, T* y, int64_t n, T lo, T hi) {
  ForEachFlatBlock(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = std::min(std::max(x[i], lo), hi);
  });
}
}  // namespace

void Clip(const int8_t* x, int8_t* y, int64_t n, int8_t lo, int8_t hi) { ClipInt(x, y, n, lo, hi); }
void Clip(const uint8_t* x, uint8_t* y, int64_t n, uint8_t lo, uint8_t hi) { ClipInt(x, y, n, lo, hi); }
void Clip(const int32_t* x, int32_t* y, int64_t n, int32_t lo, int32_t hi) { ClipInt(x, y, n, lo, hi); }
void Clip(const int64_t* x, int64_t* y, int64_t n, int64_t lo, int64_t hi) { ClipInt(x, y, n, lo, hi); }

}  // namespace axon::kernels
#endif  // HWY_ONCE
