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
#include "runtime/kernels/activation.h"
#include "runtime/kernels/exp-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// max(x, 0) that keeps NaN, which a plain Max does not on every target (AtLeastKeepNaN); -0 stays
// -0 (x86 MAXPS returns its second operand, x, for two zeros; the compare elsewhere is false).
struct ReluOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const { return AtLeastKeepNaN(d, x, 0.0f); }
};

// Clip(x, 0, 6) by the compares of unary-inl.h's ClipOp, so a fused ReLU6 gives Clip's bits.
struct Relu6Op {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V zero = hn::Zero(d), six = hn::Set(d, 6.0f);
    const V y = hn::IfThenElse(hn::Lt(x, zero), zero, x);
    return hn::IfThenElse(hn::Gt(y, six), six, y);
  }
};

struct ExpOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const { return ExpChecked(d, x); }
};

// 1 / (1 + e^-x). It needs no select on the sign of x: for x < 0 the divisor is large, and a
// quotient is as precise relative to its value however small that value is (sigmoid(-30) ~ 9e-14
// to a few ulp); only 1 - 1/(1 + e^x) would cancel. A true division: a reciprocal estimate with a
// Newton step measured slower on AVX2 and AVX-512 (three more operations on the ports that the
// polynomial needs, against a divider that works beside them). A vector with any lane at
// |x| >= 87 (or NaN) takes the long path, which gives those lanes e^x / (1 + e^x) for x < 0, so
// that sigmoid underflows gradually where e^-x would overflow, and keeps the short path's result
// in the others, so that a lane's result never depends on its neighbours.
struct SigmoidOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V one = hn::Set(d, 1.0f);
    const auto in_range = hn::Lt(hn::Abs(x), hn::Set(d, kExpShortRange));
    const V y = hn::Div(one, hn::Add(one, ExpShort(d, hn::Neg(x))));
    if (HWY_LIKELY(hn::AllTrue(d, in_range))) return y;
    const V e = ExpChecked(d, hn::Or(x, hn::SignBit(d)));  // e^-|x|: 0 for ±inf, NaN for NaN
    const V wide = hn::Div(hn::IfThenElse(hn::Lt(x, hn::Zero(d)), e, one), hn::Add(one, e));
    return hn::IfThenElse(in_range, y, wide);
  }
};

// tanh|x| = -expm1(-2|x|) / (2 + expm1(-2|x|)): with u = -expm1(-2|x|) in [0, 1), tanh|x| =
// u / (2 - u), no cancellation for small |x| (NegExpm1 is relatively precise near 0), and the
// divisor lies in [1, 2]. |x| is clamped at 10, where tanh rounds to 1 already
// (1 - tanh 9.1 < 2^-25), so 2^n stays normal and no lane needs a slow path. u = +0 at x = ±0,
// so the sign of x, or-ed in last, makes tanh(±0) = ±0.
struct TanhOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V sign = hn::SignBit(d);
    const V z = AtLeastKeepNaN(d, hn::Or(x, sign), -10.0f);  // -|x|; NaN stays NaN to the end
    const V u = NegExpm1<2>(d, z);
    const V y = hn::Div(u, hn::Sub(hn::Set(d, 2.0f), u));
    return hn::Or(y, hn::And(x, sign));
  }
};

template <class D, class V>
HWY_INLINE V ApplyActivation(D d, V x, Activation act) {
  switch (act) {
    case Activation::kNone: return x;
    case Activation::kRelu: return ReluOp()(d, x);
    case Activation::kSigmoid: return SigmoidOp()(d, x);
    case Activation::kTanh: return TanhOp()(d, x);
    case Activation::kRelu6: return Relu6Op()(d, x);
  }
  return x;
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
