// Softmax and LogSoftmax along one axis (ONNX opset 13 semantics), Highway-dispatched.
#pragma once

#include <cstdint>

namespace axon::kernels {

// x and y are viewed as [outer, axis_len, inner] row-major; the softmax runs along axis_len for
// each (outer, inner) pair. Numerically stable (the max along the axis is subtracted first), so
// inputs of any magnitude work. x == y (in place) is allowed. A row of all -inf gives NaN, and a NaN
// anywhere in a row makes every output of that row NaN (as in numpy and ONNX Runtime).
void SoftmaxF32(const float* x, float* y, int64_t outer, int64_t axis_len, int64_t inner);
// y = x - max - log(sum(exp(x - max))).
void LogSoftmaxF32(const float* x, float* y, int64_t outer, int64_t axis_len, int64_t inner);

}  // namespace axon::kernels
