// Per-target activation functors, shared by the activation kernels and by the epilogues of
// other kernels (GEMM) that apply an activation while results are still in registers. Included
// once per Highway target (toggle guard below) after <hwy/highway.h>.

#if defined(AXON_RUNTIME_KERNELS_ACTIVATION_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AXON_RUNTIME_KERNELS_ACTIVATION_INL_H_
#undef AXON_RUNTIME_KERNELS_ACTIVATION_INL_H_
#else
#define AXON_RUNTIME_KERNELS_ACTIVATION_INL_H_
#endif

#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include "runtime/kernels/activation.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Compares rather than taking Max(x, 0): x86 MAXPS returns its second operand when either is
// NaN, so Max would silently turn NaN into 0 on some targets and not on others.
struct ReluOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::IfThenZeroElse(hn::Lt(x, hn::Zero(d)), x);
  }
};

// Highway's Exp is only specified up to +104 (beyond, its range reduction overflows int32 and
// returns garbage) and returns 0 for NaN, because its underflow test `x >= -104` is false for
// NaN. Clamping to 89 keeps every overflow at +inf (exp(89) > FLT_MAX); NaN is passed through.
template <class D, class V>
HWY_INLINE V ExpChecked(D d, V x) {
  const V e = hn::Exp(d, hn::Min(x, hn::Set(d, 89.0f)));
  return hn::IfThenElse(hn::IsNaN(x), x, e);
}

struct ExpOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const { return ExpChecked(d, x); }
};

// e = exp(-|x|) lies in (0, 1], so nothing overflows. For x >= 0 the result is 1/(1+e); for
// x < 0 it is e/(1+e), which keeps full relative precision where 1 - 1/(1+exp(-x)) would cancel
// catastrophically (sigmoid(-30) ~ 9e-14 is exact to a few ulp rather than 0).
struct SigmoidOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V neg_abs = hn::Or(x, hn::SignBit(d));
    const V e = ExpChecked(d, neg_abs);
    const V r = hn::Div(hn::Set(d, 1.0f), hn::Add(hn::Set(d, 1.0f), e));
    const V y = hn::IfThenElse(hn::Ge(x, hn::Zero(d)), r, hn::Mul(e, r));
    return hn::IfThenElse(hn::IsNaN(x), x, y);
  }
};

// Highway's Tanh already computes expm1(2|x|) / (expm1(2|x|) + 2), which stays accurate for
// small |x| (no 1 - 1 cancellation) and saturates at 1 above 18.7; measured within 1e-6.
struct TanhOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::IfThenElse(hn::IsNaN(x), x, hn::Tanh(d, x));
  }
};

template <class D, class V>
HWY_INLINE V ApplyActivation(D d, V x, Activation act) {
  switch (act) {
    case Activation::kNone: return x;
    case Activation::kRelu: return ReluOp()(d, x);
    case Activation::kSigmoid: return SigmoidOp()(d, x);
    case Activation::kTanh: return TanhOp()(d, x);
  }
  return x;
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
