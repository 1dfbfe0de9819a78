// Per-target building blocks of reductions, shared by the Reduce* kernels and the normalization
// kernels (LayerNormalization's row statistics). Included once per Highway target (toggle guard
// below), after <hwy/highway.h>, from a kernel .cc that uses foreach_target.h.
//
// Sums are pairwise: a leaf of a few vectors is summed in sequence, leaves are combined in a
// binary tree. The rounding error of an n-term f32 sum then grows like log2(n) ulps instead of n
// (a plain loop over 1e6 terms loses about 3 decimal digits; this loses well under one), at no
// cost in speed: the tree's inner nodes are one vector add per leaf.

#if defined(AXON_RUNTIME_KERNELS_REDUCE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AXON_RUNTIME_KERNELS_REDUCE_INL_H_
#undef AXON_RUNTIME_KERNELS_REDUCE_INL_H_
#else
#define AXON_RUNTIME_KERNELS_REDUCE_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Vectors in one leaf of a contiguous pairwise reduction. Four accumulators take turns (an add's
// 4-cycle latency hides behind the loads), so each lane of a leaf adds 8 terms in sequence.
inline constexpr int64_t kLeafVectors = 32;

template <typename T>
inline constexpr bool kIsFloatLane = std::is_floating_point_v<T>;

// The combining operations. Step is the fast vector form used inside a leaf; Combine (vector or
// scalar) is exact about NaN and used wherever partial results meet.
template <typename T>
struct SumOp {
  static constexpr bool kTracksNaN = false;  // NaN survives Add by itself
  static T Identity() { return T(0); }
  static T Combine(T a, T b) {
    if constexpr (kIsFloatLane<T>) {
      return a + b;
    } else {  // integer overflow wraps, as the vector lanes do, instead of being undefined
      return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) + static_cast<std::make_unsigned_t<T>>(b));
    }
  }
  template <class V>
  static HWY_INLINE V Step(V acc, V v) { return hn::Add(acc, v); }
  template <class D, class V>
  static HWY_INLINE V Combine(D, V a, V b) { return hn::Add(a, b); }
};

// Highway leaves Max of a NaN implementation-defined (x86 returns the second operand, the scalar
// target the other one), so a leaf tracks its NaN lanes in a mask on the side (one compare and
// one OR per vector) and puts NaN back at the end; Combine checks both sides.
template <typename T>
struct MaxOp {
  static constexpr bool kTracksNaN = kIsFloatLane<T>;
  static T Identity() {
    if constexpr (kIsFloatLane<T>) {
      return -std::numeric_limits<T>::infinity();
    } else {
      return std::numeric_limits<T>::lowest();
    }
  }
  static T Combine(T a, T b) {
    if constexpr (kIsFloatLane<T>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return a < b ? b : a;
  }
  template <class V>
  static HWY_INLINE V Step(V acc, V v) { return hn::Max(acc, v); }
  template <class D, class V>
  static HWY_INLINE V Combine(D, V a, V b) {
    if constexpr (kIsFloatLane<T>) {
      return hn::IfThenElse(hn::IsNaN(a), a, hn::IfThenElse(hn::IsNaN(b), b, hn::Max(a, b)));
    } else {
      return hn::Max(a, b);
    }
  }
};

template <typename T>
inline constexpr std::size_t kMaxLanesOf = HWY_MAX_BYTES / sizeof(T);

// Loads count < Lanes(d) elements; the other lanes hold fill (the operation's identity). Through
// a stack buffer: Highway 1.0.3's MaskedLoad reads whole vectors on SSSE3/SSE4 and would fault
// past the end of an array (see simd-inl.h).
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> LoadPart(D d, const T* HWY_RESTRICT p, std::size_t count, T fill) {
  HWY_ALIGN T buf[kMaxLanesOf<T>];
  for (std::size_t i = 0; i < hn::Lanes(d); ++i) buf[i] = i < count ? p[i] : fill;
  return hn::Load(d, buf);
}

// acc = Step(acc, v), remembering NaN lanes when the operation needs that.
template <class Op, class V, class M>
HWY_INLINE void Take(V& acc, M& nan, V v) {
  acc = Op::Step(acc, v);
  if constexpr (Op::kTracksNaN) nan = hn::Or(nan, hn::IsNaN(v));
}

template <class Op, class D, class M>
HWY_INLINE hn::Vec<D> WithNaN(D d, hn::Vec<D> v, M nan) {
  if constexpr (Op::kTracksNaN) {
    return hn::IfThenElse(nan, hn::Set(d, std::numeric_limits<hn::TFromD<D>>::quiet_NaN()), v);
  } else {
    return v;
  }
}

// What a reduction takes of each element: the element itself, or (LayerNormalization's
// statistics) a function of it, such as its square distance from a centre.
struct Itself {
  template <class D, class V>
  HWY_INLINE V operator()(D, V v) const { return v; }
};

// One leaf: 0 <= n <= kLeafVectors * Lanes(d) contiguous elements, each through f, into a vector
// whose lanes are still to be combined (identity lanes where there was nothing).
template <class Op, class D, class F, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> ContigLeaf(D d, const T* HWY_RESTRICT x, int64_t n, const F& f) {
  const auto N = static_cast<int64_t>(hn::Lanes(d));
  const auto id = hn::Set(d, Op::Identity());
  auto a0 = id, a1 = id, a2 = id, a3 = id;
  auto nan = hn::FirstN(d, 0);
  int64_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    Take<Op>(a0, nan, f(d, hn::LoadU(d, x + i)));
    Take<Op>(a1, nan, f(d, hn::LoadU(d, x + i + N)));
    Take<Op>(a2, nan, f(d, hn::LoadU(d, x + i + 2 * N)));
    Take<Op>(a3, nan, f(d, hn::LoadU(d, x + i + 3 * N)));
  }
  for (; i + N <= n; i += N) Take<Op>(a0, nan, f(d, hn::LoadU(d, x + i)));
  if (i < n) {
    const auto count = static_cast<std::size_t>(n - i);
    // f of the padding need not be the identity: the padding lanes are set after f.
    Take<Op>(a1, nan, hn::IfThenElse(hn::FirstN(d, count), f(d, LoadPart(d, x + i, count, Op::Identity())), id));
  }
  return WithNaN<Op>(d, Op::Step(Op::Step(a0, a1), Op::Step(a2, a3)), nan);
}

// n >= 0 contiguous elements (each through f), pairwise: the split falls on a leaf boundary, so
// only the last leaf is partial.
template <class Op, class D, class F = Itself, typename T = hn::TFromD<D>>
hn::Vec<D> ContigReduce(D d, const T* HWY_RESTRICT x, int64_t n, const F& f = F()) {
  const int64_t leaf = kLeafVectors * static_cast<int64_t>(hn::Lanes(d));
  if (n <= leaf) return ContigLeaf<Op>(d, x, n, f);
  const int64_t half = (n / leaf + 1) / 2 * leaf;
  return Op::Combine(d, ContigReduce<Op>(d, x, half, f), ContigReduce<Op>(d, x + half, n - half, f));
}

// The lanes of v combined in a fixed tree (halves, then quarters, ...).
template <class Op, class D, typename T = hn::TFromD<D>>
HWY_INLINE T CombineLanes(D d, hn::Vec<D> v) {
  HWY_ALIGN T buf[kMaxLanesOf<T>];
  hn::Store(v, d, buf);
  for (std::size_t w = hn::Lanes(d); w > 1;) {
    const std::size_t h = (w + 1) / 2;
    for (std::size_t i = 0; i + h < w; ++i) buf[i] = Op::Combine(buf[i], buf[i + h]);
    w = h;
  }
  return buf[0];
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
