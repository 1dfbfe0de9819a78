// Calls a generic lambda with a value of the C++ type that holds a DType's elements, so that an
// adapter picks a kernel instantiation with one call instead of a switch of its own:
//   return WithElementType(b.InType(0), [&](auto t) { using T = decltype(t); ... });
// bool is stored as one byte (0 or 1) and is handed over as uint8_t.
#pragma once

#include <cstdint>
#include <string>

#include "axon/dtype.h"
#include "axon/error.h"

namespace axon::runtime {

template <class Fn>
decltype(auto) WithElementType(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kF32: return fn(float{});
    case DType::kI64: return fn(int64_t{});
    case DType::kI32: return fn(int32_t{});
    case DType::kI8: return fn(int8_t{});
    case DType::kU8:
    case DType::kBool: return fn(uint8_t{});
    case DType::kUndefined: break;
  }
  throw Error(ErrorCode::kInternal, "no element type for dtype " + std::string(DTypeName(dtype)));
}

}  // namespace axon::runtime
