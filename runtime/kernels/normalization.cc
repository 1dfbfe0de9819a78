// LayerNormalization: four passes over each row, all vectorized, the last three normally from
// L1/L2 (a row is at most a few thousand floats): the sum (a first centre), the centred values'
// sum (the centre's correction), their squares (the variance), and the output. BatchNormalization:
// one pass, a subtraction and a multiply-add per element.

#include "runtime/kernels/normalization.h"

#include <algorithm>
#include <cmath>

#include "runtime/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/normalization.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/reduce-inl.h"
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

// x - c, and (x - c - delta)^2, for the centred sums.
struct Centred {
  float c;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const { return hn::Sub(v, hn::Set(d, c)); }
};
struct SquaredDeviation {
  float c, delta;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    const V dev = hn::Sub(hn::Sub(v, hn::Set(d, c)), hn::Set(d, delta));
    return hn::Mul(dev, dev);
  }
};

template <class D, class F>
HWY_INLINE float RowSum(D d, const float* x, int64_t n, const F& f) {
  return CombineLanes<SumOp<float>>(d, ContigReduce<SumOp<float>>(d, x, n, f));
}

void LayerNormRowsF32(const float* x, const float* scale, const float* bias, float* y, float* mean, float* inv_std,
                      int64_t r0, int64_t r1, int64_t cols, float epsilon) {
  const hn::ScalableTag<float> d;
  const auto N = static_cast<int64_t>(hn::Lanes(d));
  const float n = static_cast<float>(cols);
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    // The first centre is off by a few ulps of the mean; x - c is then exact for values near the
    // mean (Sterbenz), and the centred values' own mean, delta, is the correction: small, so
    // accurate. The deviations are (x - c) - delta, never x - (c + delta), whose rounding of
    // c + delta to the ulp of the mean would be a whole standard deviation in the bad case.
    const float c = RowSum(d, xr, cols, Itself()) / n;
    const float delta = RowSum(d, xr, cols, Centred{c}) / n;
    const float var = RowSum(d, xr, cols, SquaredDeviation{c, delta}) / n;
    const auto inv = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var) + static_cast<double>(epsilon)));
    if (mean) mean[r] = c + delta;
    if (inv_std) inv_std[r] = inv;
    const auto vc = hn::Set(d, c), vdelta = hn::Set(d, delta), vinv = hn::Set(d, inv);
    int64_t i = 0;
    for (; i + N <= cols; i += N) {
      const auto normalized = hn::Mul(hn::Sub(hn::Sub(hn::LoadU(d, xr + i), vc), vdelta), vinv);
      const auto b = bias ? hn::LoadU(d, bias + i) : hn::Zero(d);
      hn::StoreU(hn::MulAdd(normalized, hn::LoadU(d, scale + i), b), d, yr + i);
    }
    if (i < cols) {  // the same vector code on a partial vector
      const auto count = static_cast<std::size_t>(cols - i);
      const auto normalized = hn::Mul(hn::Sub(hn::Sub(LoadTail(d, xr + i, count), vc), vdelta), vinv);
      const auto b = bias ? LoadTail(d, bias + i, count) : hn::Zero(d);
      StoreTail(d, hn::MulAdd(normalized, LoadTail(d, scale + i, count), b), yr + i, count);
    }
  }
}

struct BatchNormOp {
  float mean, scale, bias;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return hn::MulAdd(hn::Sub(v, hn::Set(d, mean)), hn::Set(d, scale), hn::Set(d, bias));
  }
};

// Planes [p0, p1) of `inner` elements, plane p having channel p % channels.
void BatchNormPlanesF32(const float* x, float* y, const float* mean, const float* scale, const float* bias,
                        int64_t channels, int64_t inner, int64_t p0, int64_t p1) {
  const hn::ScalableTag<float> d;
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t c = p % channels;
    TransformF32(d, x + p * inner, y + p * inner, static_cast<std::size_t>(inner),
                 BatchNormOp{mean[c], scale[c], bias[c]});
  }
}

// inner == 1 ([batch, channels]): rows [r0, r1) of `channels`, the parameters vectors too.
void BatchNormRowsF32(const float* x, float* y, const float* mean, const float* scale, const float* bias,
                      int64_t channels, int64_t r0, int64_t r1) {
  const hn::ScalableTag<float> d;
  const auto N = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * channels;
    float* yr = y + r * channels;
    int64_t c = 0;
    for (; c + N <= channels; c += N)
      hn::StoreU(hn::MulAdd(hn::Sub(hn::LoadU(d, xr + c), hn::LoadU(d, mean + c)), hn::LoadU(d, scale + c),
                            hn::LoadU(d, bias + c)),
                 d, yr + c);
    if (c < channels) {
      const auto count = static_cast<std::size_t>(channels - c);
      StoreTail(d,
                hn::MulAdd(hn::Sub(LoadTail(d, xr + c, count), LoadTail(d, mean + c, count)),
                           LoadTail(d, scale + c, count), LoadTail(d, bias + c, count)),
                yr + c, count);
    }
  }
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(LayerNormRowsF32);
HWY_EXPORT(BatchNormPlanesF32);
HWY_EXPORT(BatchNormRowsF32);

namespace {
// About 16K elements of work per parallel task, as in the other families.
constexpr int64_t kItemElems = 16384;
}  // namespace

void LayerNormF32(const float* x, const float* scale, const float* bias, float* y, float* mean, float* inv_std,
                  int64_t rows, int64_t cols, float epsilon) {
  if (rows <= 0) return;
  const auto fn = HWY_DYNAMIC_DISPATCH(LayerNormRowsF32);
  runtime::ParallelFor(rows, std::max<int64_t>(1, kItemElems / std::max<int64_t>(1, cols)), [&](int64_t r0, int64_t r1) {
    fn(x, scale, bias, y, mean, inv_std, r0, r1, cols, epsilon);
  });
}

void BatchNormF32(const float* x, float* y, const float* mean, const float* scale, const float* bias, int64_t batch,
                  int64_t channels, int64_t inner) {
  if (batch <= 0 || channels <= 0 || inner <= 0) return;
  if (inner == 1) {
    const auto fn = HWY_DYNAMIC_DISPATCH(BatchNormRowsF32);
    runtime::ParallelFor(batch, std::max<int64_t>(1, kItemElems / channels), [&](int64_t r0, int64_t r1) {
      fn(x, y, mean, scale, bias, channels, r0, r1);
    });
    return;
  }
  const auto fn = HWY_DYNAMIC_DISPATCH(BatchNormPlanesF32);
  runtime::ParallelFor(batch * channels, std::max<int64_t>(1, kItemElems / inner), [&](int64_t p0, int64_t p1) {
    fn(x, y, mean, scale, bias, channels, inner, p0, p1);
  });
}

void BatchNormScale(const float* scale, const float* var, float epsilon, float* out, int64_t channels) {
  for (int64_t c = 0; c < channels; ++c)
    out[c] = static_cast<float>(static_cast<double>(scale[c]) /
                                std::sqrt(static_cast<double>(var[c]) + static_cast<double>(epsilon)));
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
