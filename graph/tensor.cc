#include "axon/tensor.h"

#include "graph/shape.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace axon {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kInvalidModel: return "invalid model";
    case ErrorCode::kInvalidFile: return "invalid file";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kIo: return "I/O error";
    case ErrorCode::kInternal: return "internal error";
    case ErrorCode::kMemoryLimit: return "memory limit";
    case ErrorCode::kTryAgain: return "try again";
  }
  return "error";
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kI64: return "i64";
    case DType::kBool: return "bool";
    case DType::kI32: return "i32";
    case DType::kI8: return "i8";
    case DType::kU8: return "u8";
    case DType::kUndefined: break;
  }
  return "undefined";
}

std::optional<DType> DTypeFromName(std::string_view name) {
  if (name == "f32" || name == "float32" || name == "float") return DType::kF32;
  if (name == "i64" || name == "int64") return DType::kI64;
  if (name == "bool") return DType::kBool;
  if (name == "i32" || name == "int32") return DType::kI32;
  if (name == "i8" || name == "int8") return DType::kI8;
  if (name == "u8" || name == "uint8") return DType::kU8;
  return std::nullopt;
}

int64_t ElementCount(const std::vector<int64_t>& shape) {
  for (int64_t d : shape)
    if (d < 0) throw Error(ErrorCode::kInvalidArgument, "negative dimension in shape " + ShapeToString(shape));
  const graph::DimProduct count = graph::MultiplyDimsBy(shape, [](int64_t d) { return d; });
  if (count.too_large) throw Error(ErrorCode::kInvalidArgument, "shape " + ShapeToString(shape) + " has too many elements");
  return *count.value;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape, std::shared_ptr<void> owner, void* data,
               bool read_only)
    : dtype_(dtype), shape_(std::move(shape)), owner_(std::move(owner)), data_(data), read_only_(read_only) {
  size_ = ElementCount(shape_);
}

Tensor Tensor::Zeros(DType dtype, std::vector<int64_t> shape) {
  Tensor t = Uninitialized(dtype, std::move(shape));
  std::memset(t.data_, 0, t.nbytes());
  return t;
}

Tensor Tensor::Uninitialized(DType dtype, std::vector<int64_t> shape) {
  if (DTypeSize(dtype) == 0) throw Error(ErrorCode::kInvalidArgument, "cannot allocate a tensor of undefined dtype");
  const std::size_t bytes = static_cast<std::size_t>(ElementCount(shape)) * DTypeSize(dtype);
  // Round up: aligned_alloc wants a multiple of the alignment, and never a zero size.
  const std::size_t padded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment + kTensorAlignment;
  void* p = std::aligned_alloc(kTensorAlignment, padded);
  if (!p) throw Error(ErrorCode::kInvalidArgument, "out of memory allocating " + std::to_string(bytes) + " bytes for shape " + ShapeToString(shape));
  std::shared_ptr<void> owner(p, [](void* q) { std::free(q); });
  return Tensor(dtype, std::move(shape), std::move(owner), p, false);
}

// A view of null memory is refused here, where the mistake is made, rather than found as a
// crash inside a kernel; with no elements there is nothing to read, so null is fine then.
Tensor Tensor::MakeView(DType dtype, std::vector<int64_t> shape, const void* data, bool read_only) {
  Tensor t(dtype, std::move(shape), nullptr, const_cast<void*>(data), read_only);
  if (data == nullptr && t.size_ > 0)
    throw Error(ErrorCode::kInvalidArgument, "Tensor::View of a null pointer with shape " + ShapeToString(t.shape_) +
                                                 " (" + std::to_string(t.size_) + " elements)");
  // Kernels load elements at their natural alignment (as C++ itself requires).
  if (reinterpret_cast<std::uintptr_t>(data) % DTypeSize(dtype) != 0)
    throw Error(ErrorCode::kInvalidArgument, "Tensor::View of " + std::string(DTypeName(dtype)) + " data at address " +
                                                 std::to_string(reinterpret_cast<std::uintptr_t>(data)) +
                                                 ", not a multiple of " + std::to_string(DTypeSize(dtype)));
  return t;
}
template <typename T>
Tensor Tensor::FromValues(const std::vector<T>& values, std::vector<int64_t> shape) {
  Tensor t = Tensor::Zeros(DTypeOf<T>(), std::move(shape));
  if (static_cast<int64_t>(values.size()) != t.size())
    throw Error(ErrorCode::kInvalidArgument, std::to_string(values.size()) + " values do not fill shape " + ShapeToString(t.shape()));
  // Element by element: std::vector<bool> packs bits and has no data().
  T* out = static_cast<T*>(t.data_);
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return t;
}
template Tensor Tensor::FromValues(const std::vector<float>&, std::vector<int64_t>);
template Tensor Tensor::FromValues(const std::vector<int64_t>&, std::vector<int64_t>);
template Tensor Tensor::FromValues(const std::vector<bool>&, std::vector<int64_t>);
template Tensor Tensor::FromValues(const std::vector<int32_t>&, std::vector<int64_t>);
template Tensor Tensor::FromValues(const std::vector<int8_t>&, std::vector<int64_t>);
template Tensor Tensor::FromValues(const std::vector<uint8_t>&, std::vector<int64_t>);

void* Tensor::raw_data() {
  if (read_only_) throw Error(ErrorCode::kInvalidArgument, "tensor views read-only memory and cannot be written");
  return data_;
}

void Tensor::CheckType(DType requested) const {
  if (requested != dtype_)
    throw Error(ErrorCode::kInvalidArgument, "tensor of dtype " + std::string(DTypeName(dtype_)) + " accessed as " + std::string(DTypeName(requested)));
}

Tensor Tensor::Reshaped(std::vector<int64_t> shape) const {
  if (ElementCount(shape) != size_)
    throw Error(ErrorCode::kInvalidArgument, "cannot reshape " + ShapeToString(shape_) + " to " + ShapeToString(shape));
  return Tensor(dtype_, std::move(shape), owner_, data_, read_only_);
}

Tensor Tensor::Clone() const {
  Tensor t = Uninitialized(dtype_, shape_);
  if (nbytes()) std::memcpy(t.raw_data(), data_, nbytes());
  return t;
}

std::vector<float> Tensor::ToFloatVector() const {
  const float* p = data<float>();
  return std::vector<float>(p, p + size_);
}

}  // namespace axon
