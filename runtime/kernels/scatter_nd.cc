// ScatterND checks every index tuple before it writes anything (a pass over the indices, far
// smaller than the data), so a bad index is reported, never turned into a wild write. Tuples are
// applied in order on one thread: repeated tuples must see each other's writes in a defined order,
// and the scatters exporters emit (masks, cache updates) are small next to the copy of data.
#include "runtime/kernels/scatter_nd.h"

#include <cstddef>
#include <cstring>
#include <type_traits>

namespace axon::kernels {
namespace {

// The element offset of tuple t's slice in data.
int64_t SliceOffset(const ScatterNDLayout& p, const int64_t* tuple) {
  int64_t offset = 0;
  for (std::size_t j = 0; j < p.dims.size(); ++j) {
    const int64_t i = tuple[j] < 0 ? tuple[j] + p.dims[j] : tuple[j];
    offset = offset * p.dims[j] + i;
  }
  return offset * p.slice;
}

void CopyData(const ScatterNDLayout& p, const void* data, void* y) {
  if (y != data && p.data_elements > 0)
    std::memcpy(y, data, static_cast<std::size_t>(p.data_elements * p.element_bytes));
}

// Unsigned arithmetic for integers, so that add and mul wrap as Add and Mul do.
template <class T>
T Combine(ScatterReduction r, T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(r == ScatterReduction::kAdd ? static_cast<U>(static_cast<U>(a) + static_cast<U>(b))
                                                      : static_cast<U>(static_cast<U>(a) * static_cast<U>(b)));
  } else {
    return r == ScatterReduction::kAdd ? a + b : a * b;
  }
}

}  // namespace

int64_t FindScatterIndexOutOfRange(const ScatterNDLayout& p, const int64_t* indices, int64_t* entry) {
  const auto k = static_cast<int64_t>(p.dims.size());
  for (int64_t t = 0; t < p.count; ++t) {
    for (int64_t j = 0; j < k; ++j) {
      const int64_t i = indices[t * k + j];
      if (i < -p.dims[static_cast<std::size_t>(j)] || i >= p.dims[static_cast<std::size_t>(j)]) {
        *entry = j;
        return t;
      }
    }
  }
  return -1;
}

void ScatterNDReplace(const ScatterNDLayout& p, const void* data, const int64_t* indices, const void* updates,
                      void* y) {
  CopyData(p, data, y);
  const auto k = static_cast<int64_t>(p.dims.size());
  const int64_t slice_bytes = p.slice * p.element_bytes;
  if (slice_bytes == 0) return;
  auto* dst = static_cast<char*>(y);
  const auto* src = static_cast<const char*>(updates);
  for (int64_t t = 0; t < p.count; ++t)
    std::memcpy(dst + SliceOffset(p, indices + t * k) * p.element_bytes, src + t * slice_bytes,
                static_cast<std::size_t>(slice_bytes));
}

template <class T>
void ScatterNDReduce(const ScatterNDLayout& p, ScatterReduction reduction, const T* data, const int64_t* indices,
                     const T* updates, T* y) {
  if (reduction == ScatterReduction::kNone) return ScatterNDReplace(p, data, indices, updates, y);
  CopyData(p, data, y);
  const auto k = static_cast<int64_t>(p.dims.size());
  for (int64_t t = 0; t < p.count; ++t) {
    T* dst = y + SliceOffset(p, indices + t * k);
    const T* src = updates + t * p.slice;
    for (int64_t e = 0; e < p.slice; ++e) dst[e] = Combine(reduction, dst[e], src[e]);
  }
}

template void ScatterNDReduce(const ScatterNDLayout&, ScatterReduction, const float*, const int64_t*, const float*, float*);
template void ScatterNDReduce(const ScatterNDLayout&, ScatterReduction, const int32_t*, const int64_t*, const int32_t*,
                              int32_t*);
template void ScatterNDReduce(const ScatterNDLayout&, ScatterReduction, const int64_t*, const int64_t*, const int64_t*,
                              int64_t*);
template void ScatterNDReduce(const ScatterNDLayout&, ScatterReduction, const int8_t*, const int64_t*, const int8_t*,
                              int8_t*);
template void ScatterNDReduce(const ScatterNDLayout&, ScatterReduction, const uint8_t*, const int64_t*, const uint8_t*,
                              uint8_t*);

}  // namespace axon::kernels
