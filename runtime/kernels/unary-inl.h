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

// erf(x) = sign(x)·e(|x|), with
//   e(a) = a + a·P(a²)               for a < 1  (P approximates erf(a)/a - 1; adding the leading
//                                                a exactly keeps the relative error near 1 ulp)
//   e(a) = 1 - Q(a - 2.46)           for 1 <= a < 3.92 (Q approximates erfc; the error of Q is
//                                                absolute there, and erf >= 0.84)
//   e(a) = 1                         for a >= 3.92 (erfc(3.92) < 2^-25: erf rounds to 1)
// P (degree 6) and Q (degree 14) are Chebyshev interpolants computed with mpmath (chebyfit of
// erf(sqrt(z))/sqrt(z) - 1 on z in [0, 1], and of erfc(t + 2.46) on t in [-1.46, 1.46]), with
// errors 6.4e-9 (relative) and 8.5e-9 (absolute) after rounding the coefficients to float.
// Both polynomials are evaluated for every lane (branch-free): 21 FMAs in two independent
// chains, cheaper than the exp that a form e^{-a²}·R(a) would need.
struct ErfOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V one = hn::Set(d, 1.0f);
    const V a = hn::Abs(x);
    const V z = hn::Mul(a, a);
    V p = hn::Set(d, 7.87587487e-05f);
    p = hn::MulAdd(p, z, hn::Set(d, -0.00080168643f));
    p = hn::MulAdd(p, z, hn::Set(d, 0.00518908724f));
    p = hn::MulAdd(p, z, hn::Set(d, -0.0268542115f));
    p = hn::MulAdd(p, z, hn::Set(d, 0.112835944f));
    p = hn::MulAdd(p, z, hn::Set(d, -0.37612626f));
    p = hn::MulAdd(p, z, hn::Set(d, 0.128379166f));
    const V small = hn::MulAdd(a, p, a);

    // Clamped so that inf and huge |x| (selected away below) never reach the polynomial.
    const V t = hn::Sub(hn::Min(a, hn::Set(d, 3.92f)), hn::Set(d, 2.46f));
    V q = hn::Set(d, -1.09892505e-06f);
    q = hn::MulAdd(q, t, hn::Set(d, -8.31815541e-08f));
    q = hn::MulAdd(q, t, hn::Set(d, 1.73639892e-05f));
    q = hn::MulAdd(q, t, hn::Set(d, -2.4786983e-05f));
    q = hn::MulAdd(q, t, hn::Set(d, -7.59161048e-05f));
    q = hn::MulAdd(q, t, hn::Set(d, 0.000299832114f));
    q = hn::MulAdd(q, t, hn::Set(d, -0.000355779077f));
    q = hn::MulAdd(q, t, hn::Set(d, -0.000459607138f));
    q = hn::MulAdd(q, t, hn::Set(d, 0.00293709175f));
    q = hn::MulAdd(q, t, hn::Set(d, -0.00679937378f));
    q = hn::MulAdd(q, t, hn::Set(d, 0.0099142082f));
    q = hn::MulAdd(q, t, hn::Set(d, -0.00983250327f));
    q = hn::MulAdd(q, t, hn::Set(d, 0.00653451821f));
    q = hn::MulAdd(q, t, hn::Set(d, -0.0026562335f));
    q = hn::MulAdd(q, t, hn::Set(d, 0.000503353658f));
    const V large = hn::Sub(one, q);

    V e = hn::IfThenElse(hn::Lt(a, one), small, large);
    e = hn::IfThenElse(hn::Ge(a, hn::Set(d, 3.92f)), one, e);
    return hn::IfThenElse(hn::IsNaN(x), x, hn::CopySignToAbs(e, x));
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
// forty.
struct SoftplusOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V e = ExpChecked(d, hn::Or(x, hn::SignBit(d)));
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
