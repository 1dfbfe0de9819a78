// Optimizer updates on f32 arrays, one fused pass per parameter (read x, g and the state, write
// the new x and state), Highway-dispatched and split into fixed blocks across threads; each
// element's result depends only on its own inputs, so neither blocks nor thread count change it.
//
// The arithmetic is torch.optim's single-tensor (non-foreach) path of PyTorch 1.13, operation for
// operation: the per-call scalars (1 - dampening, bias corrections, step size) are computed in
// double and rounded to float once, as Python computes them and ATen casts them; the per-element
// work is f32, with a fused multiply-add wherever ATen's kernel uses one (add with alpha; addcmul's
// last multiply and add), and separate roundings where it does not (mul_, addcdiv, the division
// and square root). On a target without FMA (SSE4 and below) ATen and this code both multiply
// then add.
//
// Any output may be the same array as any input (the update in place, as torch.optim's is): each
// element is read before it is written. Partial overlap is not allowed.
#pragma once

#include <cstdint>

namespace axon::kernels {

// The double a decimal hyperparameter had before it was stored as a float: the value of f's
// shortest round-trip decimal (0.9f -> 0.9). torch.optim keeps hyperparameters as Python doubles
// and derives 1 - beta1, 1 - lr * weight_decay and so on from them; deriving from the float
// instead (1 - 0.9f) would round differently and drift from PyTorch's trajectory.
double DecimalValue(float f);

// torch.optim.SGD's hyperparameters (lr comes per call).
struct SgdConfig {
  double momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
};

// One SGD step over n elements. step is 1-based: on step 1 the momentum buffer becomes the
// (decayed) gradient, undamped, as PyTorch initializes it, and v is not read. v and v_new are
// used only when momentum != 0 (then neither may be null).
void SgdF32(const SgdConfig& c, double lr, int64_t step, const float* x, const float* g, const float* v, float* x_new,
            float* v_new, int64_t n);

// torch.optim.Adam's (decoupled = false) or AdamW's (true) hyperparameters.
struct AdamConfig {
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weight_decay = 0;
  bool decoupled = false;
};

// One Adam/AdamW step over n elements; m and v are the first and second moments (zeros before
// step 1). step >= 1.
void AdamF32(const AdamConfig& c, double lr, int64_t step, const float* x, const float* g, const float* m,
             const float* v, float* x_new, float* m_new, float* v_new, int64_t n);

}  // namespace axon::kernels
