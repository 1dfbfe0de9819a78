// Broadcasting binary ops. The layout (built once per plan, outside the SIMD code) right-aligns the
// shapes, gives broadcast dims stride 0, drops size-1 dims and merges adjacent dims that are
// contiguous in a, b and y alike. What remains is an outer odometer over rows and one inner run
// in which a and b each have stride 1 or 0, so the SIMD code has exactly three loops.

#include "runtime/kernels/elementwise.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "runtime/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/elementwise.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {
namespace hn = hwy::HWY_NAMESPACE;

// Each functor has a vector form op(d, a, b). The body of a run applies it a vector at a time and
// the tail applies it to one zero-padded vector (simd-inl.h), so every element of a run goes
// through the same code, and a chunk boundary never changes a result. An op that Highway cannot
// do on a lane type T says so in kVector<T> and gives a scalar form, used for every element.
struct AddOp {
  template <class T> static constexpr bool kVector = true;
  template <class D, class V> HWY_INLINE V operator()(D, V a, V b) const { return hn::Add(a, b); }
};
struct SubOp {
  template <class T> static constexpr bool kVector = true;
  template <class D, class V> HWY_INLINE V operator()(D, V a, V b) const { return hn::Sub(a, b); }
};
// Highway 1.0.3 has no 64-bit integer vector multiply on x86 (it would need AVX-512DQ).
// Nor any 8-bit one (products of 8-bit lanes are only multiplied as 16-bit).
struct MulOp {
  template <class T> static constexpr bool kVector = !std::is_same_v<T, int64_t> && sizeof(T) != 1;
  template <class D, class V> HWY_INLINE V operator()(D, V a, V b) const { return hn::Mul(a, b); }
  template <class T> HWY_INLINE T operator()(T a, T b) const {  // wraps, never signed overflow
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  }
};
// x86 has no SIMD integer divide: integers divide one element at a time, with the two cases C
// leaves undefined given a value.
struct DivOp {
  template <class T> static constexpr bool kVector = std::is_floating_point_v<T>;
  template <class D, class V> HWY_INLINE V operator()(D, V a, V b) const { return hn::Div(a, b); }
  template <class T> HWY_INLINE T operator()(T a, T b) const {
    if (b == 0) return 0;
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return static_cast<T>(-static_cast<std::make_unsigned_t<T>>(a));  // INT_MIN / -1 wraps
    }
    return static_cast<T>(a / b);  // truncates toward zero
  }
};
// Remainders, one element at a time (x86 has no SIMD remainder; a - trunc(a/b)·b in floats would
// not be exact). C's % truncates, so its remainder has the dividend's sign: FMod as it is, Mod
// moved to the divisor's sign by adding the divisor. b == 0 and b == -1 are defined (elementwise.h).
template <class T>
HWY_INLINE T TruncatedRemainder(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::fmod(a, b);
  } else {
    if (b == 0) return 0;
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return 0;
    }
    return static_cast<T>(a % b);
  }
}
struct FModOp {
  template <class T> static constexpr bool kVector = false;
  template <class T> HWY_INLINE T operator()(T a, T b) const { return TruncatedRemainder(a, b); }
};
struct ModOp {
  template <class T> static constexpr bool kVector = false;
  template <class T> HWY_INLINE T operator()(T a, T b) const {
    const T r = TruncatedRemainder(a, b);
    if constexpr (std::is_signed_v<T>) {
      if (r != 0 && (r < 0) != (b < 0)) return static_cast<T>(r + b);  // |r| < |b|: no overflow
    }
    return r;
  }
};

// a < 0 ? slope·a : a. NaN fails the test and stays a.
struct PReluOp {
  template <class T> static constexpr bool kVector = true;
  template <class D, class V> HWY_INLINE V operator()(D d, V a, V b) const {
    return hn::IfThenElse(hn::Lt(a, hn::Zero(d)), hn::Mul(a, b), a);
  }
};

// pow(x, 2) and pow(x, 0.5) exactly: x·x and a square root, one rounding each. sqrt(-0) = -0 and
// sqrt(-inf) = NaN, where pow gives +0 and +inf: adding +0 turns -0 into +0, and -inf is selected.
struct SquareOp {
  template <class T> static constexpr bool kVector = true;
  template <class D, class V> HWY_INLINE V operator()(D, V a, V) const { return hn::Mul(a, a); }
};
struct PowHalfOp {
  template <class T> static constexpr bool kVector = true;
  template <class D, class V> HWY_INLINE V operator()(D d, V a, V) const {
    const V inf = hn::Inf(d);
    return hn::IfThenElse(hn::Eq(a, hn::Neg(inf)), inf, hn::Add(hn::Sqrt(a), hn::Zero(d)));
  }
};

// |x|^y for ax = |x| >= 0, in double: exp(y·ln ax), or ax·ax·ax for y = 3 (exact in double but
// for one rounding, and faster). ln(0) = -inf and ln(inf) = +inf are selected (Highway's Log is
// only meant for finite positive input), so that the product's infinities give the limits C99
// specifies once clamped: exp(-200) rounds to float 0 and exp(200) to inf, and Highway's Exp
// stays within its range. A NaN product (0·inf, NaN input) gives a meaningless value here, which
// PowOp replaces.
struct PowMagnitudeFn {
  template <class DD, class VD>
  HWY_INLINE VD operator()(DD dd, VD ax, VD y) const {
    const VD inf = hn::Inf(dd);
    const auto zero = hn::Eq(ax, hn::Zero(dd)), infinite = hn::Eq(ax, inf);
    VD log_ax = hn::Log(dd, hn::IfThenElse(hn::Or(zero, infinite), hn::Set(dd, 1.0), ax));
    log_ax = hn::IfThenElse(zero, hn::Neg(inf), hn::IfThenElse(infinite, inf, log_ax));
    const VD t = hn::Min(hn::Max(hn::Mul(y, log_ax), hn::Set(dd, -200.0)), hn::Set(dd, 200.0));
    return hn::IfThenElse(hn::Eq(y, hn::Set(dd, 3.0)), hn::Mul(hn::Mul(ax, ax), ax), hn::Exp(dd, t));
  }
};

// x·x·x in double: x·x is exact, so the result has one double and one float rounding. The signs,
// zeros, infinities and NaN are pow(x, 3)'s.
struct CubeFn {
  template <class DD, class VD>
  HWY_INLINE VD operator()(DD, VD x) const { return hn::Mul(hn::Mul(x, x), x); }
};

// Rounds doubles to floats, overflowing to ±inf as IEEE conversion does: Highway's SCALAR
// DemoteTo saturates at ±FLT_MAX instead (to avoid undefined behaviour in a C++ cast).
template <class DF, class VD>
HWY_INLINE hn::Vec<DF> DemoteToF32(DF df, VD v) {
#if HWY_TARGET == HWY_SCALAR
  const double x = hn::GetLane(v);
  constexpr double kOverflow = 0x1.ffffffp+127;  // FLT_MAX + half an ulp: rounds to inf
  return hn::Set(df, std::fabs(x) >= kOverflow ? static_cast<float>(std::copysign(HUGE_VAL, x)) : static_cast<float>(x));
#else
  return hn::DemoteTo(df, v);
#endif
}

// f(dd, args...) on double vectors for the lanes of float vectors, rounded back to float: half a
// vector at a time on SIMD targets.
template <class D, class F, class... V>
HWY_INLINE hn::Vec<D> InDouble(D d, const F& f, V... v) {
#if HWY_TARGET == HWY_SCALAR
  const hn::Rebind<double, D> dd;
  return DemoteToF32(d, f(dd, hn::PromoteTo(dd, v)...));
#else
  const hn::Half<D> dh;
  const hn::Rebind<double, decltype(dh)> dd;
  const auto lo = DemoteToF32(dh, f(dd, hn::PromoteTo(dd, hn::LowerHalf(dh, v))...));
  const auto hi = DemoteToF32(dh, f(dd, hn::PromoteTo(dd, hn::UpperHalf(dh, v))...));
  return hn::Combine(d, hi, lo);
#endif
}

struct CubeOp {
  template <class T> static constexpr bool kVector = true;
  template <class D, class V> HWY_INLINE V operator()(D d, V a, V) const { return InDouble(d, CubeFn(), a); }
};

// C99 pow. Double precision makes y·ln|x| exact enough that the one rounding to float is the
// only error that matters (a float ln would give ~|y·ln x|·2^-24, 5e-6 relative near overflow):
// the error is half an ulp plus ~1e-15 relative (an exact tie, such as 257^3, may round either
// way). Then the sign and the special cases are selected, most specific last.
struct PowOp {
  template <class T> static constexpr bool kVector = true;
  template <class D, class V> HWY_INLINE V operator()(D d, V x, V y) const {
    const hn::RebindToSigned<D> di;
    const V zero = hn::Zero(d), one = hn::Set(d, 1.0f);
    V r = InDouble(d, PowMagnitudeFn(), hn::Abs(x), y);
    // ±inf count as (even) integers; NaN as neither.
    const auto y_integer = hn::Eq(hn::Round(y), y);
    const V half_y = hn::Mul(y, hn::Set(d, 0.5f));
    const auto y_odd = hn::AndNot(hn::Eq(hn::Round(half_y), half_y), y_integer);
    // A negative base (-0 and -inf included: the sign bit decides) to an odd power is negative.
    const auto x_signed = hn::RebindMask(d, hn::Lt(hn::BitCast(di, x), hn::Zero(di)));
    r = hn::IfThenElse(hn::And(x_signed, y_odd), hn::Neg(r), r);
    // A finite negative base to a finite non-integer power has no real value.
    const auto no_real = hn::AndNot(y_integer, hn::And(hn::Lt(x, zero), hn::And(hn::IsFinite(x), hn::IsFinite(y))));
    r = hn::IfThenElse(hn::Or(no_real, hn::Or(hn::IsNaN(x), hn::IsNaN(y))), hn::NaN(d), r);
    // pow(x, ±0) = 1 and pow(1, y) = 1 for any x and y, NaN included; pow(-1, ±inf) = 1.
    const auto is_one = hn::Or(hn::Eq(y, zero), hn::Or(hn::Eq(x, one), hn::And(hn::Eq(x, hn::Neg(one)), hn::IsInf(y))));
    r = hn::IfThenElse(is_one, one, r);
    // The exact forms of 2 and 0.5 (and above, in double, of 3), so that a result does not
    // depend on whether the exponent was broadcast (RunBScalar's fast paths).
    r = hn::IfThenElse(hn::Eq(y, hn::Set(d, 2.0f)), SquareOp()(d, x, y), r);
    return hn::IfThenElse(hn::Eq(y, hn::Set(d, 0.5f)), PowHalfOp()(d, x, y), r);
  }
};

// The three inner runs. Unrolled 2x: two independent load-op-store chains keep both load ports
// busy; deeper unrolling buys nothing for a memory-bound loop.
template <class T, class Op>
HWY_INLINE void RunBothContiguous(const T* a, const T* b, T* y, int64_t n) {
  const Op op;
  if constexpr (!Op::template kVector<T>) {
    for (int64_t i = 0; i < n; ++i) y[i] = op(a[i], b[i]);
  } else {
    const hn::ScalableTag<T> d;
    const int64_t N = static_cast<int64_t>(hn::Lanes(d));
    int64_t i = 0;
    for (; i + 2 * N <= n; i += 2 * N) {
      const auto y0 = op(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i));
      const auto y1 = op(d, hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N));
      hn::StoreU(y0, d, y + i);
      hn::StoreU(y1, d, y + i + N);
    }
    for (; i + N <= n; i += N) hn::StoreU(op(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, y + i);
    if (i < n) {
      const std::size_t rest = static_cast<std::size_t>(n - i);
      StoreTail(d, op(d, LoadTail(d, a + i, rest), LoadTail(d, b + i, rest)), y + i, rest);
    }
  }
}

template <class T, class Op>
HWY_INLINE void RunAScalar(T a, const T* b, T* y, int64_t n) {
  const Op op;
  if constexpr (!Op::template kVector<T>) {
    for (int64_t i = 0; i < n; ++i) y[i] = op(a, b[i]);
  } else {
    const hn::ScalableTag<T> d;
    const int64_t N = static_cast<int64_t>(hn::Lanes(d));
    const auto va = hn::Set(d, a);
    int64_t i = 0;
    for (; i + N <= n; i += N) hn::StoreU(op(d, va, hn::LoadU(d, b + i)), d, y + i);
    if (i < n) {
      const std::size_t rest = static_cast<std::size_t>(n - i);
      StoreTail(d, op(d, va, LoadTail(d, b + i, rest)), y + i, rest);
    }
  }
}

template <class T, class Op>
HWY_INLINE void RunBScalar(const T* a, T b, T* y, int64_t n) {
  // An exponent that is one value along the run (a scalar, or broadcast along the inner dim)
  // takes the fast forms; PowOp gives the same results for these exponents, only slower.
  if constexpr (std::is_same_v<Op, PowOp>) {
    if (b == 2.0f) return RunBScalar<T, SquareOp>(a, b, y, n);
    if (b == 0.5f) return RunBScalar<T, PowHalfOp>(a, b, y, n);
    if (b == 3.0f) return RunBScalar<T, CubeOp>(a, b, y, n);  // GELU's tanh form, as exporters write it
  }
  const Op op;
  if constexpr (!Op::template kVector<T>) {
    for (int64_t i = 0; i < n; ++i) y[i] = op(a[i], b);
  } else {
    const hn::ScalableTag<T> d;
    const int64_t N = static_cast<int64_t>(hn::Lanes(d));
    const auto vb = hn::Set(d, b);
    int64_t i = 0;
    for (; i + N <= n; i += N) hn::StoreU(op(d, hn::LoadU(d, a + i), vb), d, y + i);
    if (i < n) {
      const std::size_t rest = static_cast<std::size_t>(n - i);
      StoreTail(d, op(d, LoadTail(d, a + i, rest), vb), y + i, rest);
    }
  }
}

template <class T, class Op>
void RunItems(const BinaryLayout& p, const T* pa, const T* pb, T* py, int64_t begin, int64_t end) {
  const int64_t rank = static_cast<int64_t>(p.dims.size());
  int64_t row = begin / p.chunks_per_row;
  int64_t chunk = begin % p.chunks_per_row;
  // Odometer position of `row`, and the matching input offsets. Merged dims never outnumber the
  // shape's, so a fixed array holds them and a run allocates nothing.
  std::array<int64_t, kMaxBinaryDims> index{};
  int64_t a_off = 0, b_off = 0;
  for (int64_t k = rank - 1, rest = row; k >= 0; --k) {
    index[k] = rest % p.dims[k];
    rest /= p.dims[k];
    a_off += index[k] * p.a_strides[k];
    b_off += index[k] * p.b_strides[k];
  }
  for (int64_t item = begin; item < end; ++item) {
    const int64_t c0 = chunk * p.chunk;
    const int64_t n = std::min(p.chunk, p.inner - c0);
    const T* a = pa + a_off + c0 * p.a_inner;
    const T* b = pb + b_off + c0 * p.b_inner;
    T* y = py + row * p.inner + c0;
    if (p.a_inner == p.b_inner || n == 1) {
      RunBothContiguous<T, Op>(a, b, y, n);  // a_inner == b_inner == 0 only happens when inner == 1
    } else if (p.a_inner == 0) {
      RunAScalar<T, Op>(*a, b, y, n);
    } else {
      RunBScalar<T, Op>(a, *b, y, n);
    }
    if (++chunk == p.chunks_per_row) {
      chunk = 0;
      ++row;
      for (int64_t k = rank - 1; k >= 0; --k) {
        a_off += p.a_strides[k];
        b_off += p.b_strides[k];
        if (++index[k] < p.dims[k]) break;
        a_off -= p.a_strides[k] * p.dims[k];
        b_off -= p.b_strides[k] * p.dims[k];
        index[k] = 0;
      }
    }
  }
}

void BinaryItemsF32(BinaryOp op, const BinaryLayout& p, const float* a, const float* b, float* y, int64_t begin,
                    int64_t end) {
  switch (op) {
    case BinaryOp::kAdd: return RunItems<float, AddOp>(p, a, b, y, begin, end);
    case BinaryOp::kSub: return RunItems<float, SubOp>(p, a, b, y, begin, end);
    case BinaryOp::kMul: return RunItems<float, MulOp>(p, a, b, y, begin, end);
    case BinaryOp::kDiv: return RunItems<float, DivOp>(p, a, b, y, begin, end);
    case BinaryOp::kPow: return RunItems<float, PowOp>(p, a, b, y, begin, end);
    case BinaryOp::kPRelu: return RunItems<float, PReluOp>(p, a, b, y, begin, end);
    case BinaryOp::kFMod: return RunItems<float, FModOp>(p, a, b, y, begin, end);
    case BinaryOp::kMod: return;  // integers only (elementwise.h)
  }
}

template <class T>
void IntegerItems(BinaryOp op, const BinaryLayout& p, const T* a, const T* b, T* y, int64_t begin, int64_t end) {
  switch (op) {
    case BinaryOp::kAdd: return RunItems<T, AddOp>(p, a, b, y, begin, end);
    case BinaryOp::kSub: return RunItems<T, SubOp>(p, a, b, y, begin, end);
    case BinaryOp::kMul: return RunItems<T, MulOp>(p, a, b, y, begin, end);
    case BinaryOp::kDiv: return RunItems<T, DivOp>(p, a, b, y, begin, end);
    case BinaryOp::kMod: return RunItems<T, ModOp>(p, a, b, y, begin, end);
    case BinaryOp::kFMod: return RunItems<T, FModOp>(p, a, b, y, begin, end);
    case BinaryOp::kPow:
    case BinaryOp::kPRelu: return;  // f32 only (elementwise.h)
  }
}

void BinaryItemsI32(BinaryOp op, const BinaryLayout& p, const int32_t* a, const int32_t* b, int32_t* y, int64_t begin,
                    int64_t end) {
  IntegerItems(op, p, a, b, y, begin, end);
}
void BinaryItemsI64(BinaryOp op, const BinaryLayout& p, const int64_t* a, const int64_t* b, int64_t* y, int64_t begin,
                    int64_t end) {
  IntegerItems(op, p, a, b, y, begin, end);
}
void BinaryItemsI8(BinaryOp op, const BinaryLayout& p, const int8_t* a, const int8_t* b, int8_t* y, int64_t begin,
                   int64_t end) {
  IntegerItems(op, p, a, b, y, begin, end);
}
void BinaryItemsU8(BinaryOp op, const BinaryLayout& p, const uint8_t* a, const uint8_t* b, uint8_t* y, int64_t begin,
                   int64_t end) {
  IntegerItems(op, p, a, b, y, begin, end);
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(BinaryItemsF32);
HWY_EXPORT(BinaryItemsI32);
HWY_EXPORT(BinaryItemsI64);
HWY_EXPORT(BinaryItemsI8);
HWY_EXPORT(BinaryItemsU8);

namespace {

// ~64 KiB of output per work item: enough to amortize a task, small enough to split a 1M-element
// op over cores. A multiple of every vector length, so only a row's last chunk has a tail.
constexpr int64_t kItemElems = 16384;

// Right-aligns `shape` to `rank` dims and returns its element strides, 0 on broadcast dims.
std::vector<int64_t> BroadcastStrides(const std::vector<int64_t>& shape, const std::vector<int64_t>& y_shape) {
  const std::size_t rank = y_shape.size();
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (std::size_t k = shape.size(); k-- > 0;) {
    const std::size_t i = k + (rank - shape.size());
    strides[i] = shape[k] == 1 ? 0 : stride;
    stride *= shape[k];
  }
  return strides;
}

}  // namespace

BinaryLayout MakeBinaryLayout(const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape,
                              const std::vector<int64_t>& y_shape) {
  BinaryLayout p;
  for (int64_t d : y_shape) p.elements *= d;
  const std::vector<int64_t> sa = BroadcastStrides(a_shape, y_shape);
  const std::vector<int64_t> sb = BroadcastStrides(b_shape, y_shape);
  for (std::size_t i = 0; i < y_shape.size(); ++i) {
    if (y_shape[i] == 1) continue;  // contributes nothing to any offset
    // Merge into the previous dim when stepping it equals stepping this one dims[i] times, in
    // both inputs (true for two contiguous dims and for two broadcast dims alike).
    if (!p.dims.empty() && p.a_strides.back() == sa[i] * y_shape[i] && p.b_strides.back() == sb[i] * y_shape[i]) {
      p.dims.back() *= y_shape[i];
      p.a_strides.back() = sa[i];
      p.b_strides.back() = sb[i];
      continue;
    }
    p.dims.push_back(y_shape[i]);
    p.a_strides.push_back(sa[i]);
    p.b_strides.push_back(sb[i]);
  }
  if (!p.dims.empty()) {  // the innermost kept dim becomes the run; its strides are 0 or 1
    p.inner = p.dims.back();
    p.a_inner = p.a_strides.back();
    p.b_inner = p.b_strides.back();
    p.dims.pop_back();
    p.a_strides.pop_back();
    p.b_strides.pop_back();
  }
  p.rows = 1;
  for (int64_t d : p.dims) p.rows *= d;
  p.chunk = std::max<int64_t>(1, std::min(p.inner, kItemElems));
  p.chunks_per_row = (p.inner + p.chunk - 1) / p.chunk;
  return p;
}

namespace {

// Splits the (row, chunk) work items over threads and runs `items` (a dispatched per-target
// function) on each share.
template <class T>
void RunParallel(void (*items)(BinaryOp, const BinaryLayout&, const T*, const T*, T*, int64_t, int64_t), BinaryOp op,
                 const BinaryLayout& layout, const T* a, const T* b, T* y) {
  if (layout.elements == 0) return;
  const int64_t count = layout.rows * layout.chunks_per_row;
  const int64_t grain = std::max<int64_t>(1, kItemElems / layout.chunk);  // short rows: many per task
  runtime::ParallelFor(count, grain, [&](int64_t begin, int64_t end) { items(op, layout, a, b, y, begin, end); });
}

}  // namespace

void BinaryF32(BinaryOp op, const BinaryLayout& layout, const float* a, const float* b, float* y) {
  RunParallel(HWY_DYNAMIC_DISPATCH(BinaryItemsF32), op, layout, a, b, y);
}
void BinaryI32(BinaryOp op, const BinaryLayout& layout, const int32_t* a, const int32_t* b, int32_t* y) {
  RunParallel(HWY_DYNAMIC_DISPATCH(BinaryItemsI32), op, layout, a, b, y);
}
void BinaryI64(BinaryOp op, const BinaryLayout& layout, const int64_t* a, const int64_t* b, int64_t* y) {
  RunParallel(HWY_DYNAMIC_DISPATCH(BinaryItemsI64), op, layout, a, b, y);
}
void BinaryI8(BinaryOp op, const BinaryLayout& layout, const int8_t* a, const int8_t* b, int8_t* y) {
  RunParallel(HWY_DYNAMIC_DISPATCH(BinaryItemsI8), op, layout, a, b, y);
}
void BinaryU8(BinaryOp op, const BinaryLayout& layout, const uint8_t* a, const uint8_t* b, uint8_t* y) {
  RunParallel(HWY_DYNAMIC_DISPATCH(BinaryItemsU8), op, layout, a, b, y);
}

// ---- Pow with mixed types (scalar)

namespace {

// x ** e for integers, exact modulo 2^bits (elementwise.h).
template <class T>
T IntPow(T x, int64_t e) {
  using U = std::make_unsigned_t<T>;
  if (e < 0) {
    if (x == 1) return 1;
    if (x == -1) return (e & 1) ? T(-1) : T(1);
    return 0;  // |x| >= 2 truncates to 0; 0 ** negative is defined as 0
  }
  U base = static_cast<U>(x), result = 1;
  for (uint64_t k = static_cast<uint64_t>(e); k != 0; k >>= 1) {
    if (k & 1) result = static_cast<U>(result * base);
    base = static_cast<U>(base * base);
  }
  return static_cast<T>(result);
}

// A double converted to an integer type truncating toward zero, saturating, NaN to 0.
template <class T>
T DoubleToInt(double v) {
  if (std::isnan(v)) return 0;
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
  constexpr double hi = -lo;  // 2^(bits-1): the first value past the top
  if (v <= lo) return std::numeric_limits<T>::min();
  if (v >= hi) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

template <class TX, class TE>
TX PowElement(TX x, TE e) {
  if constexpr (std::is_integral_v<TX> && std::is_integral_v<TE>) {
    return IntPow<TX>(x, static_cast<int64_t>(e));
  } else if constexpr (std::is_integral_v<TX>) {
    return DoubleToInt<TX>(std::pow(static_cast<double>(x), static_cast<double>(e)));
  } else {
    return static_cast<float>(std::pow(static_cast<double>(x), static_cast<double>(static_cast<float>(e))));
  }
}

// y = x ** e over work items [begin, end) of the layout: the same (row, chunk) walk as RunItems.
template <class TX, class TE>
void PowMixedItems(const BinaryLayout& p, const TX* px, const TE* pe, TX* py, int64_t begin, int64_t end) {
  const int64_t rank = static_cast<int64_t>(p.dims.size());
  for (int64_t item = begin; item < end; ++item) {
    const int64_t row = item / p.chunks_per_row, c0 = (item % p.chunks_per_row) * p.chunk;
    int64_t x_off = 0, e_off = 0;
    for (int64_t k = rank - 1, rest = row; k >= 0; --k) {
      const int64_t i = rest % p.dims[k];
      rest /= p.dims[k];
      x_off += i * p.a_strides[k];
      e_off += i * p.b_strides[k];
    }
    const int64_t n = std::min(p.chunk, p.inner - c0);
    const TX* x = px + x_off + c0 * p.a_inner;
    const TE* e = pe + e_off + c0 * p.b_inner;
    TX* y = py + row * p.inner + c0;
    for (int64_t i = 0; i < n; ++i) y[i] = PowElement<TX, TE>(x[i * p.a_inner], e[i * p.b_inner]);
  }
}

}  // namespace

template <class TX, class TE>
void PowMixed(const BinaryLayout& layout, const TX* x, const TE* e, TX* y) {
  if (layout.elements == 0) return;
  const int64_t count = layout.rows * layout.chunks_per_row;
  const int64_t grain = std::max<int64_t>(1, kItemElems / layout.chunk);
  runtime::ParallelFor(count, grain, [&](int64_t begin, int64_t end) { PowMixedItems(layout, x, e, y, begin, end); });
}

template void PowMixed<float, int32_t>(const BinaryLayout&, const float*, const int32_t*, float*);
template void PowMixed<float, int64_t>(const BinaryLayout&, const float*, const int64_t*, float*);
template void PowMixed<int32_t, float>(const BinaryLayout&, const int32_t*, const float*, int32_t*);
template void PowMixed<int32_t, int32_t>(const BinaryLayout&, const int32_t*, const int32_t*, int32_t*);
template void PowMixed<int32_t, int64_t>(const BinaryLayout&, const int32_t*, const int64_t*, int32_t*);
template void PowMixed<int64_t, float>(const BinaryLayout&, const int64_t*, const float*, int64_t*);
template void PowMixed<int64_t, int32_t>(const BinaryLayout&, const int64_t*, const int32_t*, int64_t*);
template void PowMixed<int64_t, int64_t>(const BinaryLayout&, const int64_t*, const int64_t*, int64_t*);

}  // namespace axon::kernels
#endif  // HWY_ONCE
