// Per-target copy of one plane into the padded, phase-split layout of padded_plane.h. Included
// once per Highway target (toggle guard below), after <hwy/highway.h> and simd-inl.h.

#if defined(AXON_RUNTIME_KERNELS_PADDED_PLANE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AXON_RUNTIME_KERNELS_PADDED_PLANE_INL_H_
#undef AXON_RUNTIME_KERNELS_PADDED_PLANE_INL_H_
#else
#define AXON_RUNTIME_KERNELS_PADDED_PLANE_INL_H_
#endif

#include <algorithm>
#include <cstring>

#include <hwy/highway.h>

#include "runtime/kernels/padded_plane.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Fills n floats with v, whole vectors then the rest.
HWY_INLINE void FillF32(float* p, int64_t n, float v) {
  if (v == 0.0f) return static_cast<void>(std::memset(p, 0, static_cast<std::size_t>(std::max<int64_t>(0, n)) * sizeof(float)));
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto vv = hn::Set(d, v);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(vv, d, p + i);
  for (; i < n; ++i) p[i] = v;
}

// The first count <= N floats at p, `fill` in the other lanes; nothing past p + count is read.
template <class D>
HWY_INLINE hn::Vec<D> LoadOrFill(D d, const float* p, int64_t count, float fill) {
#if HWY_TARGET <= HWY_AVX2  // masked loads neither read nor fault past the live lanes (simd-inl.h: not so on SSE4)
  const auto live = hn::FirstN(d, static_cast<std::size_t>(count));
  return hn::IfThenElse(live, hn::MaskedLoad(live, d, p), hn::Set(d, fill));
#else
  HWY_ALIGN float buf[kMaxF32Lanes];
  for (int64_t i = 0; i < static_cast<int64_t>(hn::Lanes(d)); ++i) buf[i] = i < count ? p[i] : fill;
  return hn::Load(d, buf);
#endif
}

// Copies plane x (in[0] × in[1] × in[2]) into scratch (padded_plane::Floats(g) floats), with
// `fill` everywhere outside the image. Stride 1 along W is a memcpy per row; stride 2 is split
// into its two phases straight from the image with a de-interleaving load (the common strided
// case: ResNet's stem pool, downsampling convolutions); other strides go element by element.
HWY_INLINE void PadPlane(const WindowGeometry& g, const float* x, float fill, float* scratch) {
  namespace pp = padded_plane;
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t ed = pp::Extent(g, 0), eh = pp::Extent(g, 1), ew = pp::Extent(g, 2);
  const int64_t sw = g.stride[2], len = pp::PhaseLength(g), row_floats = pp::RowFloats(g);
  // Padded columns q in [first, end) come from the input (column q - pad).
  const int64_t first = std::min(ew, g.pad[2]), end = std::clamp<int64_t>(g.in[2] + g.pad[2], first, ew);
  for (int64_t qd = 0; qd < ed; ++qd) {
    for (int64_t qh = 0; qh < eh; ++qh) {
      float* row = scratch + (qd * eh + qh) * row_floats;
      const int64_t id = qd - g.pad[0], ih = qh - g.pad[1];
      if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1]) {
        FillF32(row, row_floats, fill);
        continue;
      }
      // src[q] is padded column q, for q in [first, end).
      const float* src = x + (id * g.in[1] + ih) * g.in[2] - g.pad[2];
#if HWY_TARGET <= HWY_AVX2
      if (sw == 1 && row_floats <= 8 * N) {
        // Short rows (MobileNet's 7 to 56 columns): a masked load a vector, lanes outside the
        // image `fill`, instead of three library calls whose entry costs more than the copy.
        // The last vector ends at the row's end (row_floats >= kSlack >= N), overlapping.
        for (int64_t j = 0; j < row_floats; j += N) {
          const int64_t at = std::min(j, row_floats - N);
          const auto live = hn::AndNot(hn::FirstN(d, static_cast<std::size_t>(std::clamp<int64_t>(first - at, 0, N))),
                                       hn::FirstN(d, static_cast<std::size_t>(std::clamp<int64_t>(end - at, 0, N))));
          hn::StoreU(hn::IfThenElse(live, hn::MaskedLoad(live, d, src + at), hn::Set(d, fill)), d, row + at);
        }
        continue;
      }
#endif
      if (sw == 1) {
        FillF32(row, first, fill);
        if (end > first) std::memcpy(row + first, src + first, static_cast<std::size_t>(end - first) * sizeof(float));
        FillF32(row + end, row_floats - end, fill);
        continue;
      }
      auto at = [&](int64_t q) { return q >= first && q < end ? src[q] : fill; };
      if (sw == 2) {
        // Phase 0 holds columns 2j, phase 1 columns 2j + 1: whole vectors where all 2N columns
        // are inside the image, element by element at the edges.
        const int64_t j_lo = (first + 1) / 2;
        int64_t j = 0;
        for (; j < std::min(j_lo, len); ++j) row[j] = at(2 * j), row[len + j] = at(2 * j + 1);
        for (; j + N <= len && 2 * (j + N) <= end; j += N) {
          hn::Vec<decltype(d)> even, odd;
          hn::LoadInterleaved2(d, src + 2 * j, even, odd);
          hn::StoreU(even, d, row + j);
          hn::StoreU(odd, d, row + len + j);
        }
        // The image's last columns (fewer than 2N) by one more de-interleaving load from a buffer
        // of `fill`, then the padding and slack by whole vectors: element by element, these ~N + 16
        // columns a row cost more than the rest of the copy (MobileNet's stride-2 depthwise layers,
        // SqueezeNet's pools). Phase rows keep kSlack >= N floats past the last column a window
        // reads, so a whole vector from j fits (end <= 2·(len - kSlack)).
        if (j < len && 2 * j < end) {
          HWY_ALIGN float buf[2 * kMaxF32Lanes];
          const int64_t n = std::min(end - 2 * j, 2 * N);
          hn::Store(LoadOrFill(d, src + 2 * j, std::min(n, N), fill), d, buf);
          hn::Store(LoadOrFill(d, src + 2 * j + N, std::max<int64_t>(0, n - N), fill), d, buf + N);
          hn::Vec<decltype(d)> even, odd;
          hn::LoadInterleaved2(d, buf, even, odd);
          hn::StoreU(even, d, row + j);
          hn::StoreU(odd, d, row + len + j);
          j += N;
        }
        for (; j < len && 2 * j < end; ++j) row[j] = at(2 * j), row[len + j] = at(2 * j + 1);  // not reached
        FillF32(row + j, len - j, fill);
        FillF32(row + len + j, len - j, fill);
        continue;
      }
      for (int64_t p = 0; p < sw; ++p)
        for (int64_t j = 0; j < len; ++j) row[p * len + j] = at(j * sw + p);
    }
  }
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
