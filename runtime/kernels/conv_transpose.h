// ConvTranspose (NCHW, 1-D to 3-D, groups): the adjoint of Conv, as a GEMM and a col2im.
//
// Per image and group, col [M/g·k, positions] = W_gᵀ [M/g·k, C/g] · X_g [C/g, positions], then
// col2im scatter-adds each column's k values into Y (initialized to the bias). W_g is stored
// [C/g, M/g·k], so the GEMM's A is its transpose: transposed once ahead of time when W is a
// constant (PrepareConvTransposeWeights), else read transposed by the GEMM on every run. X is the
// GEMM's B in place. Columns go in L2-sized blocks through per-thread scratch; a 1×1, stride-1,
// unpadded ConvTranspose is the GEMM alone, writing Y with the bias in its epilogue.
// Results do not depend on the thread count: images and groups run in parallel, the blocks of one
// in order, and the GEMM never splits K.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/kernels/im2col.h"

namespace axon::kernels {

struct ConvTransposeShape {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  // As col2im sees it: `in` is Y's spatial dims (the image scattered into), `out` X's (the grid
  // of window positions), pad the begin crop. Y[o] += X[i]·W[k] where o = i·stride + k·dilation - pad.
  WindowGeometry window;
};

struct ConvTransposeLayout {
  ConvTransposeShape shape;
  int64_t cg = 0, mg = 0, rows = 0;  // rows: GEMM M = mg · kernel volume
  bool direct = false;               // 1×1, stride 1, no crop: the GEMM writes Y
  bool prepared_weights = false;     // W given transposed (PrepareConvTransposeWeights)
  int64_t col_block = 0;
  std::size_t scratch_floats = 0, gemm_floats = 0;  // per thread slot
};

ConvTransposeLayout MakeConvTransposeLayout(const ConvTransposeShape& shape, bool prepared_weights, int threads);
std::size_t ConvTransposeWorkspaceBytes(const ConvTransposeLayout& layout, int threads);

// W [C, M/g, k...] per group transposed to [M/g·k, C/g], groups one after another.
std::shared_ptr<const float> PrepareConvTransposeWeights(const ConvTransposeShape& shape, const float* w);

// y = conv_transpose(x, w) + bias. w: as stored, or prepared when the layout says so. bias: M
// values or null. workspace as for ConvF32.
void ConvTransposeF32(const ConvTransposeLayout& layout, const float* x, const float* w, const float* bias, float* y,
                      float* workspace = nullptr, std::size_t workspace_floats = 0, int workspace_threads = 0);

}  // namespace axon::kernels
