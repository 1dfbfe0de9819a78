// Per-target functors of the elementwise math kernels (unary.h), in the form of the activation
// functors (activation-inl.h): op(d, x) on one vector, parameters held as members and broadcast
// with Set (hoisted out of any loop that applies the functor), so a GEMM epilogue or a fused
// kernel can apply them while results are still in registers. Included once per Highway target
// (toggle guard below) after <hwy/highway.h>.
//
// x86 MINPS/MAXPS return their second operand when either is NaN, so Min/Max would turn NaN into
// a bound on some targets and not on others: where a functor clamps, it passes NaN through
// explicitly.

#if defined(AXON_RUNTIME_KERNELS_UNARY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AXON_RUNTIME_KERNELS_UNARY_INL_H_
#undef AXON_RUNTIME_KERNELS_UNARY_INL_H_
#else
#define AXON_RUNTIME_KERNELS_UNARY_INL_H_
#endif

#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include "runtime/kernels/activation-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

struct NegOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V x) const { return hn::Neg(x); }
};

struct AbsOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V x) const { return hn::Abs(x); }
};

// IEEE square root: correctly rounded, Sqrt(-0) = -0, NaN for x < 0.
struct SqrtOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V x) const { return hn::Sqrt(x); }
};

// A true division: ApproximateReciprocal (RCPPS) has only 12 bits.
struct ReciprocalOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const { return hn::Div(hn::Set(d, 1.0f), x); }
};

// Highway's Log (after musl's) is accurate for finite x > 0, subnormals included, but returns a
// finite value for 0 and garbage for +inf and x < 0: the IEEE values are selected for those.
struct LogOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V inf = hn::Inf(d);
    V y = hn::Log(d, x);
    y = hn::IfThenElse(hn::Eq(x, hn::Zero(d)), hn::Neg(inf), y);
    y = hn::IfThenElse(hn::Eq(x, inf), inf, y);
    y = hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::NaN(d), y);
    return hn::IfThenElse(hn::IsNaN(x), x, y);
  }
};

// erf(x) = sign(x)·min(a·P(a²)/Q(a²), 1) with a = min(|x|, 3.92), P of degree 4 (monic, so its
// first Horner step is an addition) and Q of degree 5: bench/fit_rational.py derives them (minimax
// of the relative error of erf(a)/a on [0, 3.92], 3.7e-7; over every float, after rounding to
// float, 6.7e-7 with FMA (AVX2, AVX-512), 7.6e-7 without (SSE4)). One FMA fewer than the 5/5 rational before it (3.7e-7), 10% faster on
// AVX2, which runs these kernels at the limit of its FMA ports; 4/4 would reach 3e-6. erf rounds
// to 1 in float from 3.92, and the fit ends 3e-7 above erf(3.92) there, so the cap at 1 gives
// exactly 1 from the clamp to inf, and never more than 1 before it. At a -> 0 it is
// a·P(0)/Q(0) = a·2/sqrt(pi), so tiny and subnormal x keep their relative precision.
struct ErfOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V a = AtMostKeepNaN(d, hn::Abs(x), 3.92f);  // huge and infinite |x| never reach the rational
    const V z = hn::Mul(a, a);
    V p = hn::Add(z, hn::Set(d, 0x1.C68D12p+4f));
    p = hn::MulAdd(p, z, hn::Set(d, 0x1.A30BCAp+7f));
    p = hn::MulAdd(p, z, hn::Set(d, 0x1.F2A14Ep+9f));
    p = hn::MulAdd(p, z, hn::Set(d, 0x1.9FDB94p+11f));
    V q = hn::Set(d, 0x1.D553FCp-5f);
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.CA7CDEp+2f));
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.3DE704p+6f));
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.0098C2p+9f));
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.D2A358p+10f));
    q = hn::MulAdd(q, z, hn::Set(d, 0x1.708B60p+11f));
    const V e = AtMostKeepNaN(d, hn::Div(hn::Mul(a, p), q), 1.0f);
    return hn::Or(e, hn::And(x, hn::SignBit(d)));  // NaN stays NaN: the rational of NaN is NaN
  }
};

// GELU's exact form, x·Φ(x) = 0.5·x·(1 + erf(x/√2)), as PyTorch evaluates it (x·0.5·(1 +
// erf(x·M_SQRT1_2))) and its exporters spell it out; ErfOp's 7.6e-7 relative error in erf gives
// at most 4e-7·|x| absolute error here (relative 1e-6 for x >= 0, where y >= x/2). -inf gives
// NaN (−inf·0), as the formula does in PyTorch and in the graph this op replaces.
struct GeluOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V e = ErfOp()(d, hn::Mul(x, hn::Set(d, 0.7071067811865476f)));
    return hn::Mul(hn::Mul(x, hn::Set(d, 0.5f)), hn::Add(e, hn::Set(d, 1.0f)));
  }
};

// GELU's tanh form (PyTorch's approximate='tanh', ONNX Gelu's approximate="tanh"): 0.5·x·(1 +
// tanh(u)) with u = √(2/π)·(x + 0.044715·x³), evaluated as x·σ(2u) (1 + tanh u = 2σ(2u)), which
// never cancels where tanh u nears −1: the formula as written loses all precision there. 2u =
// x·(2√(2/π) + 2·0.044715·√(2/π)·x²), one FMA and two products, whose rounding (about 1.5 ulp)
// grows into σ's relative error by |2u|. Against a double reference (tests/runtime/kernels/
// gelu_test.cc): within 1e-6 relative for x >= -3, 2e-7·|x| absolute everywhere; below -3 the
// relative error grows (1.6e-6 at x = -5, where the function's own condition number is 35: the
// float rounding of x alone moves it by 2e-6). σ(2u) is 0 in float below x ≈ -11, so finite x
// there give −0; −inf gives NaN (−inf·0), as 0.5·x·(1 + tanh u) does in PyTorch and in the
// unfused graph this op replaces; +inf gives +inf, NaN stays NaN.
struct GeluTanhOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V p = hn::MulAdd(hn::Mul(x, x), hn::Set(d, 0.0713548162726f), hn::Set(d, 1.5957691216057308f));
    return hn::Mul(x, SigmoidOp()(d, hn::Mul(x, p)));
  }
};

// log1p(v) for v in [0, 1] (NaN stays NaN): 2·atanh(s) with s = v / (2 + v) in [0, 1/3], as
// s·Q(s²). s comes from v itself, never from a rounded 1 + v, so tiny v keep their relative
// precision (log1p(v) = v·(1 - v/2 + ...)) with no correction term, and |s| <= 1/3 needs no range
// reduction. Q (degree 4 in s², coefficients doubled) approximates 2·atanh(s)/s to 9.2e-9
// relative after rounding to float (minimax, as exp-inl.h's polynomials).
template <class D, class V>
HWY_INLINE V Log1pUnit(D d, V v) {
  const V s = hn::Div(v, hn::Add(hn::Set(d, 2.0f), v));
  const V z = hn::Mul(s, s);
  V q = hn::Set(d, 0x1.208D16p-2f);
  q = hn::MulAdd(q, z, hn::Set(d, 0x1.1E5050p-2f));
  q = hn::MulAdd(q, z, hn::Set(d, 0x1.99DAFEp-2f));
  q = hn::MulAdd(q, z, hn::Set(d, 0x1.5554DEp-1f));
  q = hn::MulAdd(q, z, hn::Set(d, 2.0f));
  return hn::Mul(s, q);
}

// ln(1 + e^x) = max(x, 0) + log1p(e^-|x|): e^-|x| lies in (0, 1], so nothing overflows, and for
// x << 0, where the result is about e^x, log1p keeps its relative precision. One exp, one
// division and nine other operations where Highway's Exp and Log1p took two divisions and about
// forty. The exponent is -|x| <= 0, so the short path's test is one compare, and where the
// multiply-add is fused its reduction takes ln 2 as one float (exp_detail::Reduce's
// kOneConstant): the error that adds to e^-|x|, at most 87·1.9e-9 relative, is what the result
// has where it is about e^x (max relative error 4.2e-7, against 3.0e-7), and far below an ulp of
// x where x > 0. Together 8% of softplus on AVX2, which runs at the FP ports' limit. Unfused,
// n·ln 2 would be rounded too (4.2e-6): those targets keep the two-constant reduction.
struct SoftplusOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V z = hn::Or(x, hn::SignBit(d));  // -|x|
    V e;
    if (HWY_LIKELY(hn::AllFalse(d, hn::Le(z, hn::Set(d, -kExpShortRange))))) {  // NaN: short path, stays NaN
      V t;
      const V nb = exp_detail::Reduce</*kScale=*/1, /*kOneConstant=*/HWY_NATIVE_FMA != 0>(d, z, &t);
      e = hn::Mul(ExpPoly(d, t), exp_detail::Pow2(d, nb));
    } else {
      e = ExpChecked(d, z);
    }
    return hn::Add(AtLeastKeepNaN(d, x, 0.0f), Log1pUnit(d, e));
  }
};

// x·clamp(x/6 + 1/2, 0, 1), with the inner term computed as (x + 3)·(1/6): x + 3 is exact near
// the kink at x = -3, where x/6 + 1/2 would cancel and lose all relative precision. A NaN x
// makes the product NaN whatever the clamp did with it.
struct HardSwishOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V h = hn::Mul(hn::Add(x, hn::Set(d, 3.0f)), hn::Set(d, 1.0f / 6.0f));
    return hn::Mul(x, hn::Min(hn::Max(h, hn::Zero(d)), hn::Set(d, 1.0f)));
  }
};

// x < 0 ? alpha·x : x; NaN fails the test and stays x.
struct LeakyReluOp {
  float alpha;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Mul(hn::Set(d, alpha), x), x);
  }
};

// x < 0 ? alpha·expm1(x) : x, expm1 rather than exp - 1, which would cancel for x near 0. The
// argument is clamped at -20, where expm1 rounds to -1 already; lanes with x >= 0 or NaN, where
// NegExpm1 may return garbage, are not selected.
struct EluOp {
  float alpha;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V u = NegExpm1(d, AtLeastKeepNaN(d, x, -20.0f));
    return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Mul(hn::Set(d, -alpha), u), x);
  }
};

// x <= 0 ? (gamma·alpha)·expm1(x) : gamma·x, the ONNX gamma·(alpha·e^x - alpha) without its
// cancellation near 0, with ELU's expm1. NaN fails x <= 0 and gives gamma·NaN.
struct SeluOp {
  float alpha, gamma;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V minus_gamma_alpha = hn::Set(d, static_cast<float>(-static_cast<double>(gamma) * alpha));
    const V u = NegExpm1(d, AtLeastKeepNaN(d, x, -20.0f));
    return hn::IfThenElse(hn::Le(x, hn::Zero(d)), hn::Mul(minus_gamma_alpha, u), hn::Mul(hn::Set(d, gamma), x));
  }
};

// clamp(alpha·x + beta, 0, 1); a NaN alpha·x + beta (NaN x, or 0·inf) passes through.
struct HardSigmoidOp {
  float alpha, beta;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V t = hn::MulAdd(hn::Set(d, alpha), x, hn::Set(d, beta));
    const V y = hn::Min(hn::Max(t, hn::Zero(d)), hn::Set(d, 1.0f));
    return hn::IfThenElse(hn::IsNaN(t), t, y);
  }
};

// min(max(x, lo), hi) by compare-and-select, so a NaN x fails both tests and stays NaN. NaN
// bounds are the caller's business (Clip in unary.cc).
struct ClipOp {
  float lo, hi;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V vlo = hn::Set(d, lo), vhi = hn::Set(d, hi);
    const V y = hn::IfThenElse(hn::Lt(x, vlo), vlo, x);
    return hn::IfThenElse(hn::Gt(y, vhi), vhi, y);
  }
};

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
