#include "runtime/kernels/fill.h"

#include <cstring>
#include <type_traits>

#include "runtime/parallel.h"

namespace axon::kernels {
namespace {

constexpr int64_t kGrain = 65536;  // elements a task: filling is bound by memory bandwidth

template <class E>
void FillAs(E* y, int64_t n, E v) {
  runtime::ParallelFor(n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = v;
  });
}

}  // namespace

void Fill(void* y, int64_t n, const void* value, std::size_t elem_size) {
  switch (elem_size) {  // fixed sizes: each store is one move, and the loop vectorizes
    case 1: return FillAs(static_cast<uint8_t*>(y), n, *static_cast<const uint8_t*>(value));
    case 4: {
      uint32_t v;
      std::memcpy(&v, value, 4);
      return FillAs(static_cast<uint32_t*>(y), n, v);
    }
    case 8: {
      uint64_t v;
      std::memcpy(&v, value, 8);
      return FillAs(static_cast<uint64_t*>(y), n, v);
    }
    default: {
      auto* out = static_cast<char*>(y);
      for (int64_t i = 0; i < n; ++i) std::memcpy(out + i * static_cast<int64_t>(elem_size), value, elem_size);
    }
  }
}

template <class T>
void Range(T start, T delta, T* y, int64_t n) {
  runtime::ParallelFor(n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if constexpr (std::is_floating_point_v<T>) {
        y[i] = start + static_cast<T>(i) * delta;
      } else {
        // Unsigned arithmetic wraps where i * delta overflows; the sum is exact modulo 2^64 and
        // the true value fits in T.
        y[i] = static_cast<T>(static_cast<int64_t>(static_cast<uint64_t>(static_cast<int64_t>(start)) +
                                                   static_cast<uint64_t>(i) * static_cast<uint64_t>(static_cast<int64_t>(delta))));
      }
    }
  });
}
template void Range(float, float, float*, int64_t);
template void Range(int64_t, int64_t, int64_t*, int64_t);
template void Range(int32_t, int32_t, int32_t*, int64_t);

}  // namespace axon::kernels
