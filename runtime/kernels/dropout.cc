// Dropout's mask: a keyed 32-bit hash of each element's index (three rounds of the "lowbias32"
// mixer, a bijection of u32 with full avalanche), compared with ratio · 2^31. A counter-based
// generator rather than a sequential one (mt19937): every element's bit is computed on its own,
// so parallel blocks and vector lanes need no shared state and agree with the scalar reference.
#include "runtime/kernels/dropout.h"

#include <cmath>
#include <cstring>

#include "runtime/kernels/flat_blocks.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/dropout.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

template <class DU>
HWY_INLINE hn::Vec<DU> MixV(DU du, hn::Vec<DU> x) {
  x = hn::Xor(x, hn::ShiftRight<16>(x));
  x = hn::Mul(x, hn::Set(du, 0x7feb352dU));
  x = hn::Xor(x, hn::ShiftRight<15>(x));
  x = hn::Mul(x, hn::Set(du, 0x846ca68bU));
  return hn::Xor(x, hn::ShiftRight<16>(x));
}

// Elements [first, first + n) of one 2^32-element chunk (first is the index's low word; the
// caller never lets a call cross a chunk), with the chunk's round keys.
void DropoutChunkF32(const float* x, float* y, uint32_t first, int64_t n, uint32_t k0, uint32_t k1, uint32_t k2,
                     int32_t threshold, float scale) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::RebindToSigned<decltype(df)> di;
  const std::size_t N = hn::Lanes(df);
  const auto vk0 = hn::Set(du, k0), vk1 = hn::Set(du, k1), vk2 = hn::Set(du, k2);
  // Kept when (hash >> 1) > threshold − 1: a signed compare of 31-bit values.
  const auto below = hn::Set(di, threshold - 1);
  const auto vscale = hn::Set(df, scale);
  const auto step = hn::Set(du, static_cast<uint32_t>(N));
  auto index = hn::Add(hn::Iota(du, 0), hn::Set(du, first));
  auto apply = [&](hn::Vec<decltype(df)> v) {
    const auto h = MixV(du, hn::Xor(MixV(du, hn::Add(MixV(du, hn::Xor(index, vk0)), vk1)), vk2));
    const auto keep = hn::Gt(hn::BitCast(di, hn::ShiftRight<1>(h)), below);
    index = hn::Add(index, step);
    return hn::IfThenElseZero(hn::RebindMask(df, keep), hn::Mul(v, vscale));
  };
  const auto count = static_cast<std::size_t>(n);
  std::size_t i = 0;
  for (; i + N <= count; i += N) hn::StoreU(apply(hn::LoadU(df, x + i)), df, y + i);
  if (i < count) StoreTail(df, apply(LoadTail(df, x + i, count - i)), y + i, count - i);
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {
namespace {

// The 32-bit round keys of one (key, 2^32-element chunk): SplitMix64 of the key's words, so that
// neighbouring seeds, counters and streams give unrelated keys.
uint64_t SplitMix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

struct RoundKeys {
  uint32_t k0, k1, k2;
};

RoundKeys KeysFor(const DropoutKey& key, uint64_t chunk) {
  const uint64_t a = SplitMix64(key.seed ^ SplitMix64(key.counter ^ SplitMix64(key.stream ^ SplitMix64(chunk))));
  const uint64_t b = SplitMix64(a);
  return {static_cast<uint32_t>(a), static_cast<uint32_t>(a >> 32), static_cast<uint32_t>(b)};
}

uint32_t Mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

uint32_t Hash(uint32_t index, const RoundKeys& k) { return Mix(Mix(Mix(index ^ k.k0) + k.k1) ^ k.k2); }

// Kept when hash >> 1 >= threshold: P(keep) = 1 − threshold / 2^31.
int32_t Threshold(float ratio) {
  return static_cast<int32_t>(std::llround(static_cast<double>(ratio) * 2147483648.0));
}

float ScaleFor(float ratio) { return 1.0f / static_cast<float>(1.0 - static_cast<double>(ratio)); }

}  // namespace

bool DropoutKeeps(const DropoutKey& key, uint64_t index, float ratio) {
  const RoundKeys k = KeysFor(key, index >> 32);
  return static_cast<int32_t>(Hash(static_cast<uint32_t>(index), k) >> 1) >= Threshold(ratio);
}

HWY_EXPORT(DropoutChunkF32);

void DropoutF32(const float* x, float* y, int64_t n, float ratio, const DropoutKey& key) {
  if (ratio == 0.0f) {  // nothing dropped, scale 1: an exact copy
    if (x != y && n > 0) std::memcpy(y, x, static_cast<std::size_t>(n) * sizeof(float));
    return;
  }
  const int32_t threshold = Threshold(ratio);
  const float scale = ScaleFor(ratio);
  ForEachFlatBlock(n, [&](int64_t begin, int64_t end) {
    // A block lies inside one 2^32-element chunk: kFlatBlock divides 2^32.
    static_assert((int64_t{1} << 32) % kFlatBlock == 0);
    const RoundKeys k = KeysFor(key, static_cast<uint64_t>(begin) >> 32);
    HWY_DYNAMIC_DISPATCH(DropoutChunkF32)(x + begin, y + begin, static_cast<uint32_t>(begin), end - begin, k.k0, k.k1,
                                          k.k2, threshold, scale);
  });
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
