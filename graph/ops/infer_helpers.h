// Shape-inference building blocks shared by several op schemas.
#pragma once

#include "graph/op_schema.h"

namespace axon::graph {

// Output 0 = input 0's dtype and shape (activations, Identity); input 0 must be f32.
void SameShapeAndType(InferContext& ctx);

// numpy broadcasting of two shapes; fails (naming both) when they are incompatible.
// A symbolic dim broadcasts against 1 to itself; against a number n > 1 it is taken to be n.
Shape BroadcastShapes(const InferContext& ctx, const Shape& a, const Shape& b);

// Transpose's permutation: the perm attribute, or (ONNX's default) the dims reversed.
std::vector<int64_t> TransposePerm(const AttrReader& attrs, int64_t rank);

// FLOPs of an op that does one operation per output element.
double OneFlopPerOutput(const FlopContext& f);

}  // namespace axon::graph
