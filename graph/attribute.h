// Typed node attributes.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "axon/tensor.h"

namespace axon::graph {

// A tensor-valued attribute (ONNX's TensorProto attribute: ConstantOfShape's `value`). A wrapper
// rather than axon::Tensor itself, so that attributes compare by value (dtype, shape and bytes)
// while Tensor keeps its handle semantics.
struct TensorAttr {
  Tensor value;
  bool operator==(const TensorAttr& other) const;
};

enum class AttrType { kInt, kFloat, kString, kInts, kFloats, kStrings, kTensor };

using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>,
                               std::vector<std::string>, TensorAttr>;

inline AttrType TypeOf(const Attribute& a) { return static_cast<AttrType>(a.index()); }
const char* AttrTypeName(AttrType t);

}  // namespace axon::graph
