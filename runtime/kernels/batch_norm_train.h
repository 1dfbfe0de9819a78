// BatchNormalization in training mode (PyTorch's nn.BatchNorm*d in train()), forward and
// backward, on x laid out [batch, channels, inner], Highway-dispatched. Each channel is worked
// out on its own (in parallel across channels), from the same sums in the same order, so results
// do not depend on the thread count, and the backward pass recomputes exactly the forward's
// statistics.
#pragma once

#include <cstdint>

namespace axon::kernels {

struct BatchNormTrainShape {
  int64_t batch = 0, channels = 0, inner = 0;  // M = batch · inner values per channel, M >= 2
};

// Normalizes with the batch's statistics, y = (x − mean_B) / sqrt(var_B + epsilon) · scale + bias
// (var_B biased: divided by M), and, when new_mean and new_var are not null, updates the running
// statistics as torch does: new = (1 − m)·running + m·stat with m = 1 − momentum (ONNX's
// momentum, 0.9 for torch's 0.1), stat the mean and the unbiased variance (divided by M − 1).
// Sums run in f32 over each contiguous run of `inner` values and in double across runs.
void BatchNormTrainF32(const float* x, const float* scale, const float* bias, const float* running_mean,
                       const float* running_var, float* y, float* new_mean, float* new_var,
                       const BatchNormTrainShape& shape, float epsilon, float momentum);

// The gradients through the batch statistics (x̂ = (x − mean_B)·inv, inv = 1/sqrt(var_B + ε)):
//   dx = scale·inv·(dy − mean(dy) − x̂·mean(dy·x̂)), dscale = Σ dy·x̂, dbias = Σ dy,
// means and sums over each channel's M values. dx, dscale and dbias may each be null.
void BatchNormTrainGradF32(const float* dy, const float* x, const float* scale, float* dx, float* dscale,
                           float* dbias, const BatchNormTrainShape& shape, float epsilon);

}  // namespace axon::kernels
