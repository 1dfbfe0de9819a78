#include "formats/onnx/onnx_tensor.h"

#include <cstring>
#include <vector>

#include "graph/shape.h"

namespace axon::formats::onnx_import {
namespace {

using ::onnx::TensorProto;

std::string Typed(const std::string& what, DType dtype, const std::vector<int64_t>& dims) {
  return what + " " + std::string(DTypeName(dtype)) + ShapeToString(dims);
}

// Gives a repeated field's memory back (Clear keeps the capacity).
template <class Field>
void Free(Field* field) {
  Field().Swap(field);
}

// Copies int32_data into 1-byte elements, each of which must fit (and be 0 or 1 for bool).
template <class T>
void NarrowInt32(const Reporter& r, const TensorProto& t, T* out, int64_t lo, int64_t hi, const std::string& what) {
  for (int i = 0; i < t.int32_data_size(); ++i) {
    const int32_t v = t.int32_data(i);
    if (v < lo || v > hi)
      r.Invalid(what + " has element " + std::to_string(i) + " = " + std::to_string(v) + " in int32_data, outside " +
                std::to_string(lo) + ".." + std::to_string(hi));
    out[i] = static_cast<T>(v);
  }
}

}  // namespace

std::optional<DType> DTypeFromOnnx(int64_t onnx_type) {
  switch (onnx_type) {
    case TensorProto::FLOAT: return DType::kF32;
    case TensorProto::INT64: return DType::kI64;
    case TensorProto::INT32: return DType::kI32;
    case TensorProto::INT8: return DType::kI8;
    case TensorProto::UINT8: return DType::kU8;
    case TensorProto::BOOL: return DType::kBool;
    default: return std::nullopt;
  }
}

int64_t OnnxTypeOf(DType dtype) {
  switch (dtype) {
    case DType::kF32: return TensorProto::FLOAT;
    case DType::kI64: return TensorProto::INT64;
    case DType::kI32: return TensorProto::INT32;
    case DType::kI8: return TensorProto::INT8;
    case DType::kU8: return TensorProto::UINT8;
    case DType::kBool: return TensorProto::BOOL;
    case DType::kUndefined: break;
  }
  return TensorProto::UNDEFINED;
}

std::string OnnxTypeName(int64_t onnx_type) {
  if (onnx_type >= INT32_MIN && onnx_type <= INT32_MAX && TensorProto::DataType_IsValid(static_cast<int>(onnx_type)))
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(onnx_type));
  return "data type " + std::to_string(onnx_type);
}

Tensor TensorFromOnnx(const Reporter& r, TensorProto& t, const std::string& what) {
  if (t.data_location() == TensorProto::EXTERNAL || t.external_data_size() > 0)
    r.Unsupported(what + " keeps its data in an external file (ONNX external data), which Axon does not read; save "
                         "the model with its data inside (onnx.save_model(model, path, save_as_external_data=False))");
  if (t.has_segment()) r.Unsupported(what + " is a segment of a larger tensor (TensorProto.segment)");
  if (t.data_type() == TensorProto::UNDEFINED) r.Invalid(what + " has no data type");
  const std::optional<DType> mapped = DTypeFromOnnx(t.data_type());
  if (!mapped)
    r.Unsupported(what + " has ONNX data type " + OnnxTypeName(t.data_type()) +
                  ", which Axon does not have (it has FLOAT, INT64, INT32, INT8, UINT8 and BOOL)");
  const DType dtype = *mapped;
  if (t.dims_size() > graph::kMaxRank)
    r.Invalid(what + " has " + std::to_string(t.dims_size()) + " dims; at most " + std::to_string(graph::kMaxRank) +
              " are supported");
  const std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  for (std::size_t i = 0; i < dims.size(); ++i)
    if (dims[i] < 0) r.Invalid(what + " has negative dim " + std::to_string(i) + " in " + ShapeToString(dims));
  const std::string typed = Typed(what, dtype, dims);
  int64_t count = 0;
  try {
    count = ElementCount(dims);
  } catch (const Error&) {
    r.Invalid(typed + " has too many elements");
  }

  // Exactly one place holds the elements: raw_data, or the typed field of this type. Data in any
  // other field is a file that says two things at once.
  struct Field {
    const char* name;
    int size;
  };
  const Field fields[] = {{"float_data", t.float_data_size()},   {"int32_data", t.int32_data_size()},
                          {"int64_data", t.int64_data_size()},   {"double_data", t.double_data_size()},
                          {"uint64_data", t.uint64_data_size()}, {"string_data", t.string_data_size()}};
  const char* own = dtype == DType::kF32 ? "float_data" : dtype == DType::kI64 ? "int64_data" : "int32_data";
  int own_size = 0;
  for (const Field& f : fields) {
    if (f.size == 0) continue;
    if (std::strcmp(f.name, own) != 0)
      r.Invalid(typed + " has data in " + f.name + ", which does not hold " + OnnxTypeName(t.data_type()));
    own_size = f.size;
  }
  const bool raw = t.has_raw_data();
  if (raw && own_size > 0) r.Invalid(typed + " has both raw_data and " + own);
  const std::size_t elem = DTypeSize(dtype);
  if (raw) {
    const auto needed = static_cast<uint64_t>(count) * elem;
    if (t.raw_data().size() != needed)
      r.Invalid(typed + " needs " + std::to_string(needed) + " bytes, raw_data has " + std::to_string(t.raw_data().size()));
    if (dtype == DType::kBool)
      if (const int64_t bad = internal::FirstInvalidBool(t.raw_data().data(), t.raw_data().size()); bad >= 0)
        r.Invalid(typed + " has element " + std::to_string(bad) + " = " +
                  std::to_string(static_cast<unsigned char>(t.raw_data()[static_cast<std::size_t>(bad)])) +
                  ": a bool must be 0 or 1");
  } else if (own_size != count) {
    if (own_size == 0 && count > 0) r.Invalid(typed + " has no data (neither raw_data nor " + own + ")");
    r.Invalid(typed + " has " + std::to_string(own_size) + " elements in " + own + ", its dims need " +
              std::to_string(count));
  }

  // Checked: the allocation is no larger than what the file holds.
  Tensor out = Tensor::Uninitialized(dtype, dims);
  if (raw) {
    internal::CopyLittleEndian(out.raw_data(), t.raw_data().data(), t.raw_data().size(), elem);
    std::string().swap(*t.mutable_raw_data());
    return out;
  }
  switch (dtype) {
    case DType::kF32:
      if (count > 0) std::memcpy(out.raw_data(), t.float_data().data(), static_cast<std::size_t>(count) * elem);
      Free(t.mutable_float_data());
      break;
    case DType::kI64:
      if (count > 0) std::memcpy(out.raw_data(), t.int64_data().data(), static_cast<std::size_t>(count) * elem);
      Free(t.mutable_int64_data());
      break;
    case DType::kI32:
      if (count > 0) std::memcpy(out.raw_data(), t.int32_data().data(), static_cast<std::size_t>(count) * elem);
      Free(t.mutable_int32_data());
      break;
    case DType::kI8: NarrowInt32(r, t, out.data<int8_t>(), -128, 127, typed); break;
    case DType::kU8: NarrowInt32(r, t, out.data<uint8_t>(), 0, 255, typed); break;
    case DType::kBool: NarrowInt32(r, t, out.data<bool>(), 0, 1, typed); break;
    case DType::kUndefined: break;
  }
  Free(t.mutable_int32_data());
  return out;
}

graph::ValueInfo ValueInfoFromOnnx(const Reporter& r, const ::onnx::ValueInfoProto& v, const std::string& what,
                                   bool type_required) {
  graph::ValueInfo out;
  out.name = v.name();
  if (!v.has_type()) {
    if (type_required) r.Invalid(what + " has no type");
    return out;  // dtype and rank unknown: inference fills them
  }
  const ::onnx::TypeProto& type = v.type();
  if (type.value_case() != ::onnx::TypeProto::kTensorType) {
    const char* kind = type.value_case() == ::onnx::TypeProto::kSequenceType       ? "a sequence"
                       : type.value_case() == ::onnx::TypeProto::kMapType          ? "a map"
                       : type.value_case() == ::onnx::TypeProto::kOptionalType     ? "an optional"
                       : type.value_case() == ::onnx::TypeProto::kSparseTensorType ? "a sparse tensor"
                                                                                   : "of no known kind";
    if (type.value_case() == ::onnx::TypeProto::VALUE_NOT_SET && !type_required) return out;
    r.Unsupported(what + " is " + kind + "; Axon imports dense tensors only");
  }
  const ::onnx::TypeProto::Tensor& tensor = type.tensor_type();
  if (tensor.elem_type() != TensorProto::UNDEFINED) {
    const std::optional<DType> dtype = DTypeFromOnnx(tensor.elem_type());
    if (!dtype)
      r.Unsupported(what + " has ONNX data type " + OnnxTypeName(tensor.elem_type()) +
                    ", which Axon does not have (it has FLOAT, INT64, INT32, INT8, UINT8 and BOOL)");
    out.dtype = *dtype;
  } else if (type_required) {
    r.Invalid(what + " has no data type");
  }
  if (!tensor.has_shape()) return out;  // rank unknown
  const ::onnx::TensorShapeProto& shape = tensor.shape();
  if (shape.dim_size() > graph::kMaxRank)
    r.Invalid(what + " has " + std::to_string(shape.dim_size()) + " dims; at most " + std::to_string(graph::kMaxRank) +
              " are supported");
  std::vector<graph::Dim> dims;
  for (int i = 0; i < shape.dim_size(); ++i) {
    const ::onnx::TensorShapeProto::Dimension& d = shape.dim(i);
    const std::string dim = what + " dim " + std::to_string(i);
    switch (d.value_case()) {
      case ::onnx::TensorShapeProto::Dimension::kDimValue:
        // -1 is how some exporters write "unknown"; any other negative size is a broken file.
        if (d.dim_value() < -1) r.Invalid(dim + " is " + std::to_string(d.dim_value()) + "; a known dim must be >= 0");
        dims.push_back(d.dim_value() >= 0 ? graph::Dim(d.dim_value()) : graph::Dim());
        break;
      case ::onnx::TensorShapeProto::Dimension::kDimParam:
        r.CheckText(d.dim_param(), dim + " dim_param");
        dims.push_back(d.dim_param().empty() ? graph::Dim() : graph::Dim::Symbol(d.dim_param()));
        break;
      case ::onnx::TensorShapeProto::Dimension::VALUE_NOT_SET: dims.emplace_back(); break;
    }
  }
  out.shape = graph::Shape(std::move(dims));
  return out;
}

}  // namespace axon::formats::onnx_import
