#include "runtime/kernels/conv_grad.h"

#include <algorithm>

#include "runtime/kernels/gemm.h"

namespace axon::kernels {

std::size_t ConvWeightGradWorkspaceFloats(const ConvWeightGradShape& s) {
  const int64_t rows = s.in_channels / s.group * s.window.KernelVolume();
  return static_cast<std::size_t>(rows * s.window.OutVolume() + kIm2ColSlack);
}

void ConvWeightGradF32(const ConvWeightGradShape& s, const float* dy, const float* x, float* dw, float* workspace) {
  const int64_t cg = s.in_channels / s.group, mg = s.out_channels / s.group;
  const int64_t rows = cg * s.window.KernelVolume(), positions = s.window.OutVolume();
  const int64_t in_vol = s.window.InVolume();
  if (s.batch == 0 || positions == 0) {
    std::fill(dw, dw + s.out_channels * rows, 0.0f);
    return;
  }
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t g = 0; g < s.group; ++g) {
      Im2Col(s.window, cg, x + (n * s.in_channels + g * cg) * in_vol, 0, positions, workspace);
      // dW_g [mg, rows] (+)= dY_g [mg, positions] · colᵀ [positions, rows].
      Sgemm(false, true, mg, rows, positions, 1.0f, dy + (n * s.out_channels + g * mg) * positions, positions, workspace,
            positions, n == 0 ? 0.0f : 1.0f, dw + g * mg * rows, rows);
    }
  }
}

}  // namespace axon::kernels
