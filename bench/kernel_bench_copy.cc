// CopyAnchor (kernel_bench_copy.h): one Highway copy loop per target, dispatched like the kernels.

#include "bench/kernel_bench_copy.h"

#include <cstdint>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/kernel_bench_copy.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace axon::bench::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Four vectors an iteration, so loop overhead does not count; the last partial vector by memcpy.
void CopyBytes(const uint8_t* HWY_RESTRICT x, uint8_t* HWY_RESTRICT y, std::size_t n) {
  const hn::ScalableTag<uint8_t> d;
  const std::size_t N = hn::Lanes(d);
  std::size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    const auto a = hn::LoadU(d, x + i), b = hn::LoadU(d, x + i + N);
    const auto c = hn::LoadU(d, x + i + 2 * N), e = hn::LoadU(d, x + i + 3 * N);
    hn::StoreU(a, d, y + i);
    hn::StoreU(b, d, y + i + N);
    hn::StoreU(c, d, y + i + 2 * N);
    hn::StoreU(e, d, y + i + 3 * N);
  }
  for (; i + N <= n; i += N) hn::StoreU(hn::LoadU(d, x + i), d, y + i);
  if (i < n) std::memcpy(y + i, x + i, n - i);
}

}  // namespace axon::bench::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::bench {

HWY_EXPORT(CopyBytes);

void CopyAnchor(const void* x, void* y, std::size_t bytes) {
  HWY_DYNAMIC_DISPATCH(CopyBytes)(static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y), bytes);
}

}  // namespace axon::bench
#endif  // HWY_ONCE
