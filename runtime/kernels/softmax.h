// Softmax and LogSoftmax along one axis (ONNX opset 13 semantics), Highway-dispatched.
#pragma once

#include <cstdint>
#include <vector>

namespace axon::kernels {

// x and y are viewed as [outer, axis_len, inner] row-major; the softmax runs along axis_len for
// each (outer, inner) pair. Numerically stable (the max along the axis is subtracted first), so
// inputs of any magnitude work. x == y (in place) is allowed. A row of all -inf gives NaN, and a NaN
// anywhere in a row makes every output of that row NaN (as in numpy and ONNX Runtime).
void SoftmaxF32(const float* x, float* y, int64_t outer, int64_t axis_len, int64_t inner);
// y = x - max - log(sum(exp(x - max))).
void LogSoftmaxF32(const float* x, float* y, int64_t outer, int64_t axis_len, int64_t inner);

// [outer, axis_len, inner] of `shape` around `axis`, which may be negative (counted from the
// back). A rank-0 shape is one row of length 1. Throws axon::Error when axis is out of range.
struct AxisView {
  int64_t outer, axis_len, inner;
};
AxisView ViewAroundAxis(const std::vector<int64_t>& shape, int64_t axis);

}  // namespace axon::kernels
