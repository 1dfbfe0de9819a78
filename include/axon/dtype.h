// Element types. The numeric values are stable: they are written into .axon files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "axon/export.h"

namespace axon {

enum class DType : int32_t {
  kUndefined = 0,
  kF32 = 1,
  kI64 = 2,
  kBool = 3,  // one byte, 0 or 1
  kI32 = 4,
  kI8 = 5,
  kU8 = 6,
};

AXON_API std::string_view DTypeName(DType dtype);          // "f32", "i64", "bool", "i32", "i8", "u8"
AXON_API std::optional<DType> DTypeFromName(std::string_view name);
// Bytes per element; 0 for kUndefined. Inline: Tensor::nbytes() is on a run's hot path (a run
// checks its buffers for overlap), where a call across the shared library's PLT showed.
constexpr std::size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kI64: return 8;
    case DType::kBool: return 1;
    case DType::kI32: return 4;
    case DType::kI8: return 1;
    case DType::kU8: return 1;
    case DType::kUndefined: break;
  }
  return 0;
}

template <typename T> constexpr DType DTypeOf();
template <> constexpr DType DTypeOf<float>() { return DType::kF32; }
template <> constexpr DType DTypeOf<int64_t>() { return DType::kI64; }
template <> constexpr DType DTypeOf<bool>() { return DType::kBool; }
template <> constexpr DType DTypeOf<int32_t>() { return DType::kI32; }
template <> constexpr DType DTypeOf<int8_t>() { return DType::kI8; }
template <> constexpr DType DTypeOf<uint8_t>() { return DType::kU8; }

}  // namespace axon
