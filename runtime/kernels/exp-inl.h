// The exponential pieces that the activations (activation-inl.h), softmax, the losses and the
// math kernels (unary-inl.h) share: one range reduction, two polynomials, two ways to scale by
// 2^n. Included once per Highway target (toggle guard below) after <hwy/highway.h>.
//
// e^x = 2^n · e^t with n = round(x / ln 2) and t = x - n·ln 2, |t| <= ln2/2 (Cody-Waite: ln 2 in
// two parts, so t carries no rounding error from n·ln 2). This is the scheme of MLAS and XNNPACK
// (their "rr2_p5"), chosen for its operation count: the rounding, the bias of the exponent and
// the conversion to an integer are one multiply-add against a magic number, and 2^n is one
// shift. Highway's own Exp spends about twice the operations on a wider range; here the wide
// range (overflow, gradual underflow, NaN) is a separate, slower path that a vector takes only
// when one of its lanes needs it, and that gives bit-identical results for the lanes that do not.
//
// The polynomials are minimax fits (linear Remez in mpmath, 40 digits, on |t| <= ln2/2·(1+1e-4),
// the margin covering the rounding of x·log2(e); coefficients rounded to float and the error
// re-measured after rounding):
//   ExpPoly:    1 + t·P4(t) against e^t, relative error 9.5e-8.
//   Expm1Poly:  t·P5(t) against e^t - 1, relative error 2.4e-8. The relative error of e^t - 1
//               is what ELU and SELU need near 0, where the degree-4 fit's 4.4e-7 would eat half
//               of the 1e-6 budget.

#if defined(AXON_RUNTIME_KERNELS_EXP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AXON_RUNTIME_KERNELS_EXP_INL_H_
#undef AXON_RUNTIME_KERNELS_EXP_INL_H_
#else
#define AXON_RUNTIME_KERNELS_EXP_INL_H_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace exp_detail {

// 1.5·2^23 + 127: adding it to x·log2(e) (|x·log2(e)| < 2^22) rounds to an integer n held in
// the low mantissa bits, already biased by 127, so shifting those bits into the exponent field
// gives 2^n. Subtracting it again gives n exactly.
inline constexpr float kMagic = 0x1.8000FEp23f;
inline constexpr float kLog2E = 0x1.715476p+0f;
// ln 2 = kLn2Hi + kLn2Lo; kLn2Hi has 15 significant bits, so n·kLn2Hi is exact for |n| < 512.
inline constexpr float kLn2Hi = 0x1.62E400p-1f;
inline constexpr float kLn2Lo = 0x1.7F7D1Cp-20f;

// For the argument kScale·x: returns n + kMagic (n = round(kScale·x / ln 2), the biased exponent
// in its low bits) and sets *t = (kScale·x - n·ln 2) / kScale. kScale (a power of two) folds a
// doubling of the argument into the constants, every scaling exact, so the results are bit for
// bit those of reducing kScale·x. Valid for |kScale·x| < 2^21; callers clamp or branch before
// anything larger gets here.
// kOneConstant: t = x - n·(ln 2 rounded to float), one multiply-add instead of two, with an
// absolute error in t of |n|·1.9e-9 (plus half an ulp of n·ln 2 on targets without FMA). Only
// for callers whose error scales with 2^n, as 1 - e^x's does for n <= 0: there the error it
// adds is at most |n|·2^n·(1.9e-9 + 2^-24·ln 2) relative to e^x, 1e-7 relative to 1 - e^x.
template <int kScale = 1, bool kOneConstant = false, class D, class V>
HWY_INLINE V Reduce(D d, V x, V* t) {
  constexpr float s = static_cast<float>(kScale);
  const V nb = hn::MulAdd(x, hn::Set(d, kLog2E * s), hn::Set(d, kMagic));
  const V n = hn::Sub(nb, hn::Set(d, kMagic));
  if constexpr (kOneConstant) {
    *t = hn::MulAdd(n, hn::Set(d, -0x1.62E430p-1f / s), x);
  } else {
    *t = hn::MulAdd(n, hn::Set(d, -kLn2Lo / s), hn::MulAdd(n, hn::Set(d, -kLn2Hi / s), x));
  }
  return nb;
}

// 2^n from Reduce's biased value, for n in [-126, 127] (a normal float).
template <class D, class V>
HWY_INLINE V Pow2(D d, V nb) {
  const hn::RebindToSigned<D> di;
  return hn::BitCast(d, hn::ShiftLeft<23>(hn::BitCast(di, nb)));
}

// m · 2^n for n in [-150, 128] (the product may overflow to inf or round into the subnormals),
// as two exact scalings, each by a normal power of two, and one final rounding.
template <class D, class V>
HWY_INLINE V ScaleWide(D d, V m, V nb) {
  const hn::RebindToSigned<D> di;
  const auto n = hn::ConvertTo(di, hn::Sub(nb, hn::Set(d, kMagic)));
  const auto half = hn::ShiftRight<1>(n);
  const auto bias = hn::Set(di, 127);
  const V s1 = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(half, bias)));
  const V s2 = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(hn::Sub(n, half), bias)));
  return hn::Mul(hn::Mul(m, s1), s2);
}

}  // namespace exp_detail

// e^t for |t| <= ln2/2.
template <class D, class V>
HWY_INLINE V ExpPoly(D d, V t) {
  V p = hn::Set(d, 0x1.0FA8E6p-7f);
  p = hn::MulAdd(p, t, hn::Set(d, 0x1.573974p-5f));
  p = hn::MulAdd(p, t, hn::Set(d, 0x1.555A66p-3f));
  p = hn::MulAdd(p, t, hn::Set(d, 0x1.FFFDC8p-2f));
  p = hn::MulAdd(p, t, hn::Set(d, 0x1.FFFFF6p-1f));
  return hn::MulAdd(p, t, hn::Set(d, 1.0f));
}

// kScale·P(kScale·t) for |kScale·t| <= ln2/2, where P(t) = (e^t - 1) / t; so t times the result
// is e^(kScale·t) - 1 (Reduce<kScale>'s t; the caller multiplies by t or by t·2^n).
template <int kScale = 1, class D, class V>
HWY_INLINE V Expm1PolyOverT(D d, V t) {
  constexpr float s = static_cast<float>(kScale);
  V p = hn::Set(d, 0x1.6C16A4p-10f * s * s * s * s * s * s);
  p = hn::MulAdd(p, t, hn::Set(d, 0x1.123C4Cp-7f * s * s * s * s * s));
  p = hn::MulAdd(p, t, hn::Set(d, 0x1.555650p-5f * s * s * s * s));
  p = hn::MulAdd(p, t, hn::Set(d, 0x1.55547Ep-3f * s * s * s));
  p = hn::MulAdd(p, t, hn::Set(d, 0x1.FFFFFEp-2f * s * s));
  return hn::MulAdd(p, t, hn::Set(d, s));
}

// 1 - e^(kScale·z) = -expm1(kScale·z) for kScale·z in [-87, 0] (NaN stays NaN), as
// (1 - 2^n) - t·2^n·P(t): exact at z = 0 (n = 0 gives -t·P(t), so the relative precision of
// P carries over near 0; and +0 for z = ±0), and with no cancellation beyond one bit elsewhere.
// Negated because its users want it so: ELU's -alpha·u and SELU's.
template <int kScale = 1, class D, class V>
HWY_INLINE V NegExpm1(D d, V z) {
  V t;
  const V nb = exp_detail::Reduce<kScale, /*kOneConstant=*/true>(d, z, &t);
  const V s = exp_detail::Pow2(d, nb);
  return hn::NegMulAdd(hn::Mul(t, s), Expm1PolyOverT<kScale>(d, t), hn::Sub(hn::Set(d, 1.0f), s));
}

// |x| below this takes the short path: n stays in [-126, 126], so 2^n is a normal float, and
// e^x is normal too (e^-87 > FLT_MIN = e^-87.34), so one rounding of m·2^n is exact scaling.
inline constexpr float kExpShortRange = 87.0f;

// e^x for |x| < kExpShortRange only.
template <class D, class V>
HWY_INLINE V ExpShort(D d, V x) {
  V t;
  const V nb = exp_detail::Reduce(d, x, &t);
  return hn::Mul(ExpPoly(d, t), exp_detail::Pow2(d, nb));
}

// e^x for any x: +inf above about 88.72, subnormal below about -87.34, 0 below about -103.97,
// NaN for NaN. Relative error about 2e-7 where the result is normal (activation.h has the
// measured bound).
template <class D, class V>
HWY_INLINE V ExpChecked(D d, V x) {
  if (HWY_LIKELY(hn::AllTrue(d, hn::Lt(hn::Abs(x), hn::Set(d, kExpShortRange))))) return ExpShort(d, x);
  // Clamped by compare and select, so NaN (false in both tests) stays NaN through the
  // arithmetic below; -110 and 89 are already past the underflow to 0 and the overflow to inf.
  V xc = hn::IfThenElse(hn::Lt(x, hn::Set(d, -110.0f)), hn::Set(d, -110.0f), x);
  xc = hn::IfThenElse(hn::Gt(xc, hn::Set(d, 89.0f)), hn::Set(d, 89.0f), xc);
  V t;
  const V nb = exp_detail::Reduce(d, xc, &t);
  const V y = exp_detail::ScaleWide(d, ExpPoly(d, t), nb);
  return hn::IfThenElse(hn::IsNaN(x), x, y);
}

// max(v, lo) that keeps a NaN v NaN. On x86 that is one MAXPS with lo first (it returns its
// second operand when either is NaN); Highway's scalar Max returns the operand that is not NaN, so
// the other targets compare and select.
template <class D, class V>
HWY_INLINE V AtLeastKeepNaN(D d, V v, float lo) {
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
  return hn::Max(hn::Set(d, lo), v);
#else
  return hn::IfThenElse(hn::Lt(v, hn::Set(d, lo)), hn::Set(d, lo), v);
#endif
}

// min(v, hi) that keeps a NaN v NaN (AtLeastKeepNaN's mirror: MINPS returns its second operand).
template <class D, class V>
HWY_INLINE V AtMostKeepNaN(D d, V v, float hi) {
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
  return hn::Min(hn::Set(d, hi), v);
#else
  return hn::IfThenElse(hn::Gt(v, hn::Set(d, hi)), hn::Set(d, hi), v);
#endif
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
