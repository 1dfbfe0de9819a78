// Shape-inference building blocks shared by several op schemas.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "graph/op_schema.h"

namespace axon::graph {

// Output 0 = input 0's dtype and shape (activations, Identity); input 0 must be f32.
void SameShapeAndType(InferContext& ctx);

// numpy broadcasting of two shapes; fails (naming both) when they are incompatible.
// A symbolic dim broadcasts against 1 to itself; against a number n > 1 it is taken to be n.
Shape BroadcastShapes(const InferContext& ctx, const Shape& a, const Shape& b);

// Transpose's permutation: the perm attribute, or (ONNX's default) the dims reversed.
std::vector<int64_t> TransposePerm(const AttrReader& attrs, int64_t rank);

// The data of integer input i (i64 or i32, any shape, read in row-major order) as i64, when
// inference knows it (a constant, or a graph input while a plan is made); nullopt otherwise.
// Reading it marks the input as read (InferContext::values_read).
std::optional<std::vector<int64_t>> IntValues(const InferContext& ctx, std::size_t i);

// Input i must be a 1-D tensor of dtype i64 (when its rank is known); `what` names it in errors.
// Returns its length when known.
std::optional<int64_t> RequireI64Vector(const InferContext& ctx, std::size_t i, const std::string& what);

// Input i must have the given dtype and hold one value: shape [] or [1] (as ONNX Runtime accepts
// for its scalar inputs), when its rank is known. Never reads the value.
void RequireScalar(const InferContext& ctx, std::size_t i, DType dtype);

// FLOPs of an op that does one operation per output element.
double OneFlopPerOutput(const FlopContext& f);

}  // namespace axon::graph
