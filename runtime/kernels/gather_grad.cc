// GatherGrad: outer slabs are independent (each its own dx rows), so they run in parallel; within
// a slab the rows are added in index order, which keeps repeated indices deterministic.

#include "runtime/kernels/gather_grad.h"

#include <algorithm>
#include <cstring>

#include "runtime/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/gather_grad.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

struct AddOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const { return hn::Add(a, b); }
};

// dst[i] += src[i].
void AddRowF32(const float* src, float* dst, int64_t n) {
  const hn::ScalableTag<float> d;
  Transform2F32(d, dst, src, dst, static_cast<std::size_t>(n), AddOp());
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(AddRowF32);

template <class I>
void GatherGradF32(const GatherLayout& p, const float* dy, const I* indices, float* dx) {
  const int64_t inner = p.inner_bytes / static_cast<int64_t>(sizeof(float));
  const auto add_row = HWY_DYNAMIC_DISPATCH(AddRowF32);
  const int64_t slab_in = p.axis_dim * inner, slab_out = p.count * inner;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, slab_out + slab_in));
  runtime::ParallelFor(p.outer, grain, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      float* out = dx + o * slab_in;
      if (slab_in > 0) std::memset(out, 0, static_cast<std::size_t>(slab_in) * sizeof(float));
      for (int64_t j = 0; j < p.count; ++j) {
        const int64_t i = indices[j] < 0 ? indices[j] + p.axis_dim : indices[j];
        add_row(dy + o * slab_out + j * inner, out + i * inner, inner);
      }
    }
  });
}

template void GatherGradF32(const GatherLayout&, const float*, const int64_t*, float*);
template void GatherGradF32(const GatherLayout&, const float*, const int32_t*, float*);

}  // namespace axon::kernels
#endif  // HWY_ONCE
