// ONNX Slice's rule for one axis (opset 13), shared by Slice's shape inference and its adapter so
// that the planned shape and the copied elements can never disagree.
#pragma once

#include <cstdint>

namespace axon::graph {

struct SliceAxis {
  int64_t start = 0;  // first element taken (meaningless when count is 0)
  int64_t step = 1;
  int64_t count = 0;  // elements taken
};

// Negative start/end have dim added; then, stepping forward, start and end are clamped into
// [0, dim]; stepping backward, start into [0, dim - 1] and end into [-1, dim - 1]. count is
// ceil((end - start) / step), at least 0. step must not be 0; any int64 values are safe
// (INT64_MAX / INT64_MIN as "to the end" included).
SliceAxis ResolveSliceAxis(int64_t dim, int64_t start, int64_t end, int64_t step);

}  // namespace axon::graph
