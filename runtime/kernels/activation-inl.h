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

// tanh x = x·P(x²)/Q(x²) with P and Q of degree 4 (bench/fit_tanh.py derives them: minimax of the
// relative error, 2.1e-8 before and 3.2e-7 after rounding to float), x clamped to ±9.01, from
// where tanh rounds to ±1 in float and the rational gives exactly ±1. Eight FMAs, two products and
// a division: about five vector operations fewer than -expm1(-2|x|) / (2 + expm1(-2|x|)) with its
// range reduction, 2^n and sign handling, which AVX2, running at the FP ports' limit, paid for
// (0.28-0.32x a copy there, against 0.33-0.38x now). P(0) = Q(0) = 1, so tiny and subnormal x give
// x exactly, and tanh(±0) = ±0; NaN passes the clamps (AtLeastKeepNaN) and stays NaN. Between
// about 8 and 9.01 float rounding can put the result up to 2 ulp above 1 in magnitude (relative
// error 2.4e-7, inside the contract): capping it would cost two more operations a vector.
struct TanhOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V xc = AtMostKeepNaN(d, AtLeastKeepNaN(d, x, -9.01f), 9.01f);
    const V z = hn::Mul(xc, xc);
    V p = hn::Set(d, 0x1.CA406Ap-27f);
    p = hn::MulAdd(p, z, hn::Set(d, 0x1.598C74p-16f));
    p = hn::MulAdd(p, z, hn::Set(d, 0x1.CA127Ap-9f));
    p = hn::MulAdd(p, z, hn::Set(d, 0x1.1207B2p-3f));
    p = hn::MulAdd(p, z, hn::Set(d, 1.0f));
    V q = hn::Set(d, 0x1.A11C6Ap-21f);
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.58640Cp-12f));
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.A7EB92p-6f));
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.DE5922p-2f));
    q = hn::MulAdd(q, z, hn::Set(d, 1.0f));
    return hn::Div(hn::Mul(xc, p), q);
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
