// The weight gradient of a convolution: dW[m, c, k] = Σ_n,o dY[n, m, o] · X[n, c, o·s + k·d − pad],
// per image and group one im2col of X and one GEMM (dY · colᵀ) accumulated into dW, images in
// order, so the result does not depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/kernels/im2col.h"

namespace axon::kernels {

struct ConvWeightGradShape {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  WindowGeometry window;  // over X; out is dY's spatial grid
};

// Scratch floats: one column matrix of a group (C/group · kernel taps × output positions).
std::size_t ConvWeightGradWorkspaceFloats(const ConvWeightGradShape& s);

// dy [N, M, out...], x [N, C, in...] -> dw [M, C/group, kernel...]. workspace holds
// ConvWeightGradWorkspaceFloats floats.
void ConvWeightGradF32(const ConvWeightGradShape& s, const float* dy, const float* x, float* dw, float* workspace);

}  // namespace axon::kernels
