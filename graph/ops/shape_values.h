// Rules of the shape-valued ops that their adapters apply too, so schema and kernel agree.
#pragma once

#include <cstdint>
#include <utility>

#include "graph/op_schema.h"

namespace axon::graph {

// Shape (opset 15): the dims [start, end) of a rank-`rank` input that the op outputs, from its
// start/end attributes (negative counts from the back; both clamped into [0, rank]; end < start
// gives none).
std::pair<int64_t, int64_t> ShapeOpRange(const AttrReader& attrs, int64_t rank);

}  // namespace axon::graph
