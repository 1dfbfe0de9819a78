// Gather checks every index before it reads anything (one pass over the indices, far smaller
// than the data moved), so a bad index is reported, never turned into a wild read.
#include "runtime/kernels/gather.h"

#include <algorithm>
#include <cstring>

#include "runtime/parallel.h"

namespace axon::kernels {

template <class I>
int64_t FindIndexOutOfRange(const I* indices, int64_t count, int64_t axis_dim) {
  for (int64_t j = 0; j < count; ++j) {
    const int64_t i = indices[j];
    if (i < -axis_dim || i >= axis_dim) return j;
  }
  return -1;
}

template <class I>
void GatherCopy(const GatherLayout& p, const void* data, const I* indices, void* y) {
  const int64_t items = p.outer * p.count;
  if (items == 0 || p.inner_bytes == 0) return;
  const auto* src = static_cast<const char*>(data);
  auto* dst = static_cast<char*>(y);
  const auto bytes = static_cast<std::size_t>(p.inner_bytes);
  runtime::ParallelFor(items, std::max<int64_t>(1, 65536 / p.inner_bytes), [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t o = item / p.count;
      int64_t i = indices[item % p.count];
      if (i < 0) i += p.axis_dim;
      std::memcpy(dst + item * p.inner_bytes, src + (o * p.axis_dim + i) * p.inner_bytes, bytes);
    }
  });
}

template int64_t FindIndexOutOfRange(const int64_t*, int64_t, int64_t);
template int64_t FindIndexOutOfRange(const int32_t*, int64_t, int64_t);
template void GatherCopy(const GatherLayout&, const void*, const int64_t*, void*);
template void GatherCopy(const GatherLayout&, const void*, const int32_t*, void*);

}  // namespace axon::kernels
