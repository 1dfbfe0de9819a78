// ONNX tensors and types into Axon's: the dtype mapping, TensorProto -> axon::Tensor with every
// size checked before allocating, and a graph input's or output's TypeProto -> graph::ValueInfo.
// Internal to formats/onnx/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <onnx/onnx_pb.h>

#include "axon/tensor.h"
#include "formats/onnx/onnx_common.h"
#include "graph/ir.h"

namespace axon::formats::onnx_import {

// ONNX's TensorProto.DataType -> Axon's dtype: FLOAT, INT64, INT32, INT8, UINT8 and BOOL map; every
// other type (DOUBLE, FLOAT16, STRING, ...) is nullopt, and a tensor or value of it is refused
// naming it. Doubles are refused rather than narrowed: a silent f64 -> f32 changes results.
std::optional<DType> DTypeFromOnnx(int64_t onnx_type);
// "FLOAT", "DOUBLE", ..., or "data type 99" for a number ONNX does not define.
std::string OnnxTypeName(int64_t onnx_type);
// The inverse for the types that map (Cast's `to` is in ONNX's numbering).
int64_t OnnxTypeOf(DType dtype);

// Converts t, whose element data may be in raw_data (little-endian) or in the typed field for
// its type (float_data, int64_data, or int32_data for INT32/INT8/UINT8/BOOL). Checks, before
// allocating: no external data or segment, a known type, at most 64 dims each >= 0, an element
// count that fits, and exactly that many elements in the one field that holds them. t's data is
// freed as it is copied, so a model's weights are held about once. `what` names the tensor:
// "initializer 'fc.weight'".
Tensor TensorFromOnnx(const Reporter& r, ::onnx::TensorProto& t, const std::string& what);

// A graph input's or output's declared type: a tensor type of a mapped dtype (an output may leave
// the dtype or shape out: inference fills them); dim_value -> known dim, dim_param -> symbolic dim,
// neither -> anonymous. `what`: "graph input 'x'".
graph::ValueInfo ValueInfoFromOnnx(const Reporter& r, const ::onnx::ValueInfoProto& v, const std::string& what,
                                   bool type_required);

}  // namespace axon::formats::onnx_import
