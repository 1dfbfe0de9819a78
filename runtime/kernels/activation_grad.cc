// Activation gradients: one Highway functor each, applied by Transform2F32 (simd-inl.h) over fixed
// blocks (flat_blocks.h), as the forward activations are.

#include "runtime/kernels/activation_grad.h"

#include "runtime/kernels/flat_blocks.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/activation_grad.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

struct ReluGradOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V dy, V x) const { return hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), dy); }
};

struct LeakyReluGradOp {
  float alpha;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V dy, V x) const {
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), dy, hn::Mul(dy, hn::Set(d, alpha)));
  }
};

// y·(1 − y) rather than y − y²: the same count of operations, and exact at y = 0 and y = 1.
struct SigmoidGradOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V dy, V y) const { return hn::Mul(dy, hn::Mul(y, hn::Sub(hn::Set(d, 1.0f), y))); }
};

struct TanhGradOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V dy, V y) const { return hn::Mul(dy, hn::NegMulAdd(y, y, hn::Set(d, 1.0f))); }
};

template <class Op>
HWY_INLINE void Apply(const float* a, const float* b, float* y, int64_t n, const Op& op) {
  const hn::ScalableTag<float> d;
  Transform2F32(d, a, b, y, static_cast<std::size_t>(n), op);
}

void ReluGradF32(const float* dy, const float* x, float* dx, int64_t n, float) { Apply(dy, x, dx, n, ReluGradOp()); }
void LeakyReluGradF32(const float* dy, const float* x, float* dx, int64_t n, float alpha) {
  Apply(dy, x, dx, n, LeakyReluGradOp{alpha});
}
void SigmoidGradF32(const float* dy, const float* y, float* dx, int64_t n, float) { Apply(dy, y, dx, n, SigmoidGradOp()); }
void TanhGradF32(const float* dy, const float* y, float* dx, int64_t n, float) { Apply(dy, y, dx, n, TanhGradOp()); }

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(ReluGradF32);
HWY_EXPORT(LeakyReluGradF32);
HWY_EXPORT(SigmoidGradF32);
HWY_EXPORT(TanhGradF32);

namespace {

using GradFn = void (*)(const float*, const float*, float*, int64_t, float);

void RunBlocked(GradFn fn, const float* dy, const float* v, float* dx, int64_t n, float alpha = 0.0f) {
  ForEachFlatBlock(n, [&](int64_t begin, int64_t end) { fn(dy + begin, v + begin, dx + begin, end - begin, alpha); });
}

}  // namespace

void ReluGrad(const float* dy, const float* x, float* dx, int64_t n) {
  RunBlocked(HWY_DYNAMIC_DISPATCH(ReluGradF32), dy, x, dx, n);
}
void LeakyReluGrad(const float* dy, const float* x, float* dx, int64_t n, float alpha) {
  RunBlocked(HWY_DYNAMIC_DISPATCH(LeakyReluGradF32), dy, x, dx, n, alpha);
}
void SigmoidGrad(const float* dy, const float* y, float* dx, int64_t n) {
  RunBlocked(HWY_DYNAMIC_DISPATCH(SigmoidGradF32), dy, y, dx, n);
}
void TanhGrad(const float* dy, const float* y, float* dx, int64_t n) {
  RunBlocked(HWY_DYNAMIC_DISPATCH(TanhGradF32), dy, y, dx, n);
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
