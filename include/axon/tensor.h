// axon::Tensor: a dense, row-major tensor. Either owns 64-byte aligned storage (shared between
// copies of the handle) or views caller memory without copying it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "axon/dtype.h"
#include "axon/error.h"
#include "axon/export.h"

namespace axon {

inline constexpr std::size_t kTensorAlignment = 64;

// Most elements a tensor may have: count * 8 bytes (the widest dtype) must fit in int64. As in
// numpy, the bound applies to the product of the nonzero dims, so that every partial product of
// a valid shape's dims (the strides kernels compute) fits as well, even for an empty tensor:
// [0, 2^62, 2^62] is refused although it holds no elements.
inline constexpr int64_t kMaxElementCount = std::numeric_limits<int64_t>::max() / 8;

// Number of elements of a shape; throws axon::Error on a negative dim or when the nonzero dims
// multiply past kMaxElementCount.
AXON_API int64_t ElementCount(const std::vector<int64_t>& shape);
AXON_API std::string ShapeToString(const std::vector<int64_t>& shape);  // "[2,3]"

class AXON_API Tensor {
 public:
  Tensor() = default;

  // Owning, zero-filled, 64-byte aligned.
  static Tensor Zeros(DType dtype, std::vector<int64_t> shape);
  // Owning, 64-byte aligned, contents unspecified: for buffers about to be overwritten whole.
  static Tensor Uninitialized(DType dtype, std::vector<int64_t> shape);
  // Views caller memory; the caller keeps it alive and unchanged for the tensor's lifetime.
  // Throws axon::Error if data is null and the shape has elements.
  // T is float, int64_t, int32_t, int8_t, uint8_t or bool; a const T views read-only memory.
  // Refused (axon::Error) for a null pointer when the shape has elements.
  template <typename T> static Tensor View(T* data, std::vector<int64_t> shape) {
    return MakeView(DTypeOf<std::remove_const_t<T>>(), std::move(shape), data, std::is_const_v<T>);
  }
  // Owning copy of values.
  template <typename T> static Tensor FromVector(const std::vector<T>& values, std::vector<int64_t> shape) {
    return FromValues(values, std::move(shape));
  }

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t size() const { return size_; }  // elements
  std::size_t nbytes() const { return static_cast<std::size_t>(size_) * DTypeSize(dtype_); }
  bool is_view() const { return owner_ == nullptr && data_ != nullptr; }
  bool read_only() const { return read_only_; }

  // Typed access; throws axon::Error when T does not match dtype().
  template <typename T> T* data();
  template <typename T> const T* data() const;
  void* raw_data();
  const void* raw_data() const { return data_; }

  // Same storage, new shape of equal element count.
  Tensor Reshaped(std::vector<int64_t> shape) const;
  // Owning deep copy.
  Tensor Clone() const;
  std::vector<float> ToFloatVector() const;

 private:
  Tensor(DType dtype, std::vector<int64_t> shape, std::shared_ptr<void> owner, void* data,
         bool read_only);
  static Tensor MakeView(DType dtype, std::vector<int64_t> shape, const void* data, bool read_only);
  template <typename T> static Tensor FromValues(const std::vector<T>& values, std::vector<int64_t> shape);
  void CheckType(DType requested) const;

  DType dtype_ = DType::kUndefined;
  std::vector<int64_t> shape_;
  int64_t size_ = 0;
  std::shared_ptr<void> owner_;
  void* data_ = nullptr;
  bool read_only_ = false;
};

template <typename T> T* Tensor::data() {
  CheckType(DTypeOf<T>());
  return static_cast<T*>(raw_data());
}
template <typename T> const T* Tensor::data() const {
  CheckType(DTypeOf<T>());
  return static_cast<const T*>(data_);
}

}  // namespace axon
