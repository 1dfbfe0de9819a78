// Backward passes of Softmax and LogSoftmax along one axis, Highway-dispatched. Arrays are viewed
// as [outer, axis_len, inner] row-major, as SoftmaxF32's. Each (outer, inner) line is read twice
// (a sum, then the result) while it is still in cache. dx == dy (in place) is allowed.
#pragma once

#include <cstdint>

namespace axon::kernels {

// dx = y·(dy − Σ_axis dy·y), y = softmax(x).
void SoftmaxGradF32(const float* dy, const float* y, float* dx, int64_t outer, int64_t axis_len, int64_t inner);
// dx = dy − exp(y)·Σ_axis dy, y = log_softmax(x).
void LogSoftmaxGradF32(const float* dy, const float* y, float* dx, int64_t outer, int64_t axis_len, int64_t inner);

}  // namespace axon::kernels
