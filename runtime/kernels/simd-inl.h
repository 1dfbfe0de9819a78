// Per-target helpers shared by the kernel families. Included once per Highway target (toggle
// guard below), after <hwy/highway.h>, from a kernel .cc that uses foreach_target.h.
//
// Tails go through a small stack buffer rather than MaskedLoad/BlendedStore before AVX2 (and
// for 8- and 16-bit lanes): on SSSE3/SSE4, Highway 1.0.3 implements MaskedLoad as a full aligned
// Load, which would read (and fault) past the end of the caller's array. The buffer costs one
// short copy per array, and the tail lanes are computed by exactly the same vector code as the
// body, so an element's result does not depend on where a block boundary falls.

#if defined(AXON_RUNTIME_KERNELS_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AXON_RUNTIME_KERNELS_SIMD_INL_H_
#undef AXON_RUNTIME_KERNELS_SIMD_INL_H_
#else
#define AXON_RUNTIME_KERNELS_SIMD_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Largest lane count of any float vector on this target; sizes the tail buffers.
inline constexpr std::size_t kMaxF32Lanes = HWY_MAX_BYTES / sizeof(float);

// Loads count < Lanes(d) elements (float, or the integer lanes of the integer kernels); the lanes
// past count are zero.
template <class D>
HWY_INLINE hn::Vec<D> LoadTail(D d, const hn::TFromD<D>* HWY_RESTRICT p, std::size_t count) {
  using T = hn::TFromD<D>;
#if HWY_TARGET <= HWY_AVX2
  // AVX2's and AVX-512's masked loads of 32- and 64-bit lanes read nothing past count (and a
  // memcpy of a variable size is a call or a `rep movs`, tens of cycles a row on short rows).
  if constexpr (sizeof(T) >= 4) return hn::MaskedLoad(hn::FirstN(d, count), d, p);
#endif
  HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)] = {};
  std::memcpy(buf, p, count * sizeof(T));
  return hn::Load(d, buf);
}

// Stores the first count < Lanes(d) lanes of v.
template <class D>
HWY_INLINE void StoreTail(D d, hn::Vec<D> v, hn::TFromD<D>* HWY_RESTRICT p, std::size_t count) {
  using T = hn::TFromD<D>;
#if HWY_TARGET <= HWY_AVX2
  if constexpr (sizeof(T) >= 4) return hn::BlendedStore(v, hn::FirstN(d, count), d, p);  // as LoadTail
#endif
  HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)];
  hn::Store(v, d, buf);
  std::memcpy(p, buf, count * sizeof(T));
}

// y[i] = op(d, x[i]) for i < n; x == y is allowed (each vector is loaded before it is stored,
// and no vector straddles another's range). Two vectors an iteration: for the cheapest ops (ReLU,
// Neg, Clip) the loop's own add, compare and branch would otherwise be a third of the work.
template <class D, class Op>
HWY_INLINE void TransformF32(D d, const float* x, float* y, std::size_t n, const Op& op) {
  const std::size_t N = hn::Lanes(d);
  const float* const end = x + n;
  // Pointers rather than an index: x86 cores split indexed loads folded into an arithmetic
  // instruction into two micro-ops, and indexed stores cannot use every store address unit.
  for (; end - x >= static_cast<std::ptrdiff_t>(2 * N); x += 2 * N, y += 2 * N) {
    const auto a = op(d, hn::LoadU(d, x));
    const auto b = op(d, hn::LoadU(d, x + N));
    hn::StoreU(a, d, y);
    hn::StoreU(b, d, y + N);
  }
  for (; end - x >= static_cast<std::ptrdiff_t>(N); x += N, y += N) hn::StoreU(op(d, hn::LoadU(d, x)), d, y);
  const std::size_t rest = static_cast<std::size_t>(end - x);
  if (rest != 0) StoreTail(d, op(d, LoadTail(d, x, rest)), y, rest);
}

// y[i] = op(d, a[i], b[i]) for i < n; y may be a or b (the same argument as TransformF32's).
template <class D, class Op>
HWY_INLINE void Transform2F32(D d, const float* a, const float* b, float* y, std::size_t n, const Op& op) {
  const std::size_t N = hn::Lanes(d);
  std::size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(op(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, y + i);
  if (i < n) StoreTail(d, op(d, LoadTail(d, a + i, n - i), LoadTail(d, b + i, n - i)), y + i, n - i);
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
