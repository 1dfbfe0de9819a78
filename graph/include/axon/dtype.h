// Element types. The numeric values are stable: they are written into .axon files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace axon {

enum class DType : int32_t {
  kUndefined = 0,
  kF32 = 1,
  kI64 = 2,
};

std::string_view DTypeName(DType dtype);          // "f32", "i64"
std::optional<DType> DTypeFromName(std::string_view name);
std::size_t DTypeSize(DType dtype);               // bytes per element; 0 for kUndefined

template <typename T> constexpr DType DTypeOf();
template <> constexpr DType DTypeOf<float>() { return DType::kF32; }
template <> constexpr DType DTypeOf<int64_t>() { return DType::kI64; }

}  // namespace axon
