// Backward passes of the elementwise activations on f32 arrays, Highway-dispatched: one pass
// reads dy and the saved forward value and writes dx. dx == dy (in place) is allowed, any other
// overlap is not. Each element's result depends only on its own inputs, so neither the target's
// block split nor the thread count changes it.
#pragma once

#include <cstdint>

namespace axon::kernels {

// dx = x > 0 ? dy : 0. x may be Relu's input or its output: both are > 0 at the same elements.
void ReluGrad(const float* dy, const float* x, float* dx, int64_t n);
// dx = x > 0 ? dy : alpha·dy (x the input, or the output when alpha >= 0).
void LeakyReluGrad(const float* dy, const float* x, float* dx, int64_t n, float alpha);
// dx = dy·y·(1 − y), y = sigmoid(x).
void SigmoidGrad(const float* dy, const float* y, float* dx, int64_t n);
// dx = dy·(1 − y²), y = tanh(x).
void TanhGrad(const float* dy, const float* y, float* dx, int64_t n);

}  // namespace axon::kernels
