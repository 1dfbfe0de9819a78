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

// tanh x = sign(x)·min(a·P(a²)/Q(a²), 1) with a = min(|x|, 9.2), P and Q of degree 4
// (bench/fit_rational.py derives them: minimax of the relative error over [0, 9.01], from where tanh
// rounds to 1 in float; 2.1e-8 before and 3.0e-7 after rounding to float). Eight FMAs (P monic,
// so its first Horner step is an addition), two products and a division: about five vector
// operations fewer than -expm1(-2|x|) / (2 + expm1(-2|x|)) with its range reduction, 2^n and
// sign handling, which AVX2, running at the FP ports' limit, paid for. The cap at 1 keeps
// |tanh| <= 1, which the rational's float rounding would exceed by up to 2 ulp near 8.5; the
// rational is above 1 at the clamp, so ±1 comes out exactly from |x| >= 9.2 to ±inf.
// P(0) = Q(0), so tiny and subnormal x give x exactly, and the sign, or-ed in last, makes
// tanh(±0) = ±0; NaN passes the clamp (AtMostKeepNaN) and the cap and stays NaN.
struct TanhOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V a = AtMostKeepNaN(d, hn::Abs(x), 9.2f);
    const V z = hn::Mul(a, a);
    V p = hn::Add(z, hn::Set(d, 0x1.8213FEp+10f));
    p = hn::MulAdd(p, z, hn::Set(d, 0x1.FFCCAEp+17f));
    p = hn::MulAdd(p, z, hn::Set(d, 0x1.322BCCp+23f));
    p = hn::MulAdd(p, z, hn::Set(d, 0x1.1E06BAp+26f));
    V q = hn::Set(d, 0x1.D208B4p+5f);
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.80C8D2p+14f));
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.D9A452p+20f));
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.0B3A12p+25f));
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.1E06BAp+26f));
    const V y = AtMostKeepNaN(d, hn::Div(hn::Mul(a, p), q), 1.0f);
    return hn::Or(y, hn::And(x, hn::SignBit(d)));
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
