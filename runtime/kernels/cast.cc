// One plain loop per (from, to) pair: the compiler vectorizes most of them, and a cast is bound
// by memory traffic anyway.
#include "runtime/kernels/cast.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "axon/error.h"
#include "runtime/parallel.h"

namespace axon::kernels {
namespace {

// bool elements are bytes; reading them as uint8_t keeps a stray byte from being UB.
struct BoolByte {};

// Between two non-bool types.
template <class To, class From>
To Convert(From v) {
  if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(v)) return 0;
    // Bounds as doubles are exact powers of two: [-2^digits, 2^digits) for signed types,
    // [0, 2^digits) for unsigned ones, so the comparisons never round.
    const double t = std::trunc(static_cast<double>(v));
    const double hi = std::ldexp(1.0, std::numeric_limits<To>::digits);
    const double lo = std::is_signed_v<To> ? -hi : 0.0;
    if (t >= hi) return std::numeric_limits<To>::max();
    if (t < lo) return std::numeric_limits<To>::min();
    return static_cast<To>(t);
  } else {
    return static_cast<To>(v);  // int -> int wraps (C++20), int -> float rounds to nearest
  }
}

template <class From, class To>
void Loop(const void* x, void* y, int64_t n) {
  runtime::ParallelFor(n, 65536, [&](int64_t begin, int64_t end) {
    if constexpr (std::is_same_v<To, BoolByte>) {
      using Src = std::conditional_t<std::is_same_v<From, BoolByte>, uint8_t, From>;
      const Src* src = static_cast<const Src*>(x);
      auto* dst = static_cast<uint8_t*>(y);
      for (int64_t i = begin; i < end; ++i) dst[i] = src[i] != 0;  // NaN != 0: true
    } else if constexpr (std::is_same_v<From, BoolByte>) {
      const auto* src = static_cast<const uint8_t*>(x);
      To* dst = static_cast<To*>(y);
      for (int64_t i = begin; i < end; ++i) dst[i] = static_cast<To>(src[i] != 0);
    } else {
      const From* src = static_cast<const From*>(x);
      To* dst = static_cast<To*>(y);
      for (int64_t i = begin; i < end; ++i) dst[i] = Convert<To>(src[i]);
    }
  });
}

template <class Fn>
void WithType(DType t, Fn&& fn) {
  switch (t) {
    case DType::kF32: return fn(float{});
    case DType::kI64: return fn(int64_t{});
    case DType::kI32: return fn(int32_t{});
    case DType::kI8: return fn(int8_t{});
    case DType::kU8: return fn(uint8_t{});
    case DType::kBool: return fn(BoolByte{});
    case DType::kUndefined: break;
  }
  throw Error(ErrorCode::kInternal, "Cast of dtype " + std::string(DTypeName(t)));
}

}  // namespace

void Cast(DType from, DType to, const void* x, void* y, int64_t n) {
  if (from == to) {
    if (x != y && n > 0) std::memcpy(y, x, static_cast<std::size_t>(n) * DTypeSize(from));
    return;
  }
  WithType(from, [&](auto f) {
    WithType(to, [&](auto t) { Loop<decltype(f), decltype(t)>(x, y, n); });
  });
}

}  // namespace axon::kernels
