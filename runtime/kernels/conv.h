// Convolution (NCHW, 1-D to 3-D, groups) on top of the GEMM, with a direct kernel for depthwise.
//
// Per image and group, Y_g [M/g, out] = W_g [M/g, C/g·k] · col [C/g·k, out] + bias (per row):
// the weight is the GEMM's A, read in place in its stored layout (the GEMM never packs A), the
// im2col matrix its B, and the bias rides in the GEMM epilogue. Three paths, chosen from the
// shapes alone:
//   pointwise  1×1 kernel, stride 1, no padding: X itself is B (no copy at all);
//   depthwise  group == C == M (C/group == M/group == 1): one filter per channel, where im2col would be a GEMM with M = 1;
//              a direct Highway kernel (conv_depthwise.h) instead;
//   im2col     everything else: window positions in column blocks sized for L2, each block
//              copied into per-thread scratch and multiplied there;
//   winograd   3×3, stride 1, group 1, 2-D, enough channels to repay the transforms, when the caller
//              has W's Winograd transform (a constant W: the adapter prepares it), which it
//              then passes beside W: 16 GEMMs of 2.25× fewer FLOPs (conv_winograd.h); W itself
//              recomputes the blocks whose results are not finite.
// On small images (7×7, 14×14) the GEMM's N (the output positions, or a Winograd block's tiles)
// leaves a mostly empty last vector of columns in every row tile: 49 columns take 4 vectors of 16.
// With the weights' transpose packed ahead of time (a constant W: the adapter prepares it,
// PackConvWeightsT), those GEMMs run as Yᵀ = colᵀ·Wᵀ instead (Winograd: M_ξᵀ = V_ξᵀ·U_ξᵀ), rows
// along the positions and columns along the output channels (GemmArgs::packed_at), for the same bits.
// Results are bit-identical for any thread count: blocks depend on the shapes alone and the GEMM
// never splits K.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/kernels/conv_winograd.h"
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/im2col.h"

namespace axon::kernels {

struct ConvShape {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  WindowGeometry window;  // in: X's spatial dims, out: Y's
};

enum class ConvPath { kPointwise, kDepthwise, kIm2Col, kWinograd };

// Made once per plan from the shapes (trusted: Conv's schema checked them).
struct ConvLayout {
  ConvShape shape;
  ConvPath path = ConvPath::kIm2Col;
  int64_t cg = 0, mg = 0;  // channels per group in and out
  int64_t kdim = 0;        // GEMM K: cg · kernel volume
  int64_t col_block = 0;   // im2col: window positions per block
  int64_t tile_rows = 0;   // winograd: rows of 2×2 output tiles per block
  // The GEMMs take the weights' transpose packed (ConvWeightsT, packed_at): Wᵀ on the pointwise
  // and im2col paths; on the Winograd path each U_ξᵀ, in place of U.
  bool transposed_weights = false;
  // Per thread slot: im2col block (or depthwise padded plane), then the GEMM's own scratch.
  std::size_t scratch_floats = 0, gemm_floats = 0;
  // Applied to every output (FusedConv): in the GEMM epilogue on the GEMM paths, over each
  // finished plane (still in cache) on the depthwise path.
  Activation activation = Activation::kNone;
};

// winograd_weights: the caller can pass WinogradWeights' transform of W beside W, so the
// Winograd path may be taken (WinogradPays). transposed_weights: the caller can pass what
// PackConvWeightsT makes of W, so the layout may ask for it (TransposedWeightsPay).
ConvLayout MakeConvLayout(const ConvShape& shape, int threads, bool winograd_weights = false,
                          bool transposed_weights = false);

// Whether a convolution of these shapes, with a constant W (so Winograd's shapes take that path),
// runs faster from its weights' packed transpose (conv.h's note on small images): few columns in
// its GEMMs, enough output channels to fill the swapped GEMM's panels, and a K long enough to
// repay transposing Yᵀ. Measured at 1 thread on AVX-512, M × K × columns, the transposition
// included: 512 × 4608 × 49 (ResNet-18's last stage) 99 -> 136 GFLOP/s, 960 × 160 × 49
// (MobileNetV2) 131 -> 152, 160 × 576 × 49 115 -> 163, Winograd's 256 × 256 × 49 (ResNet-18's
// 14×14 layers) 127 -> 163; 196 columns: 256 × 1152 132 -> 163, 96 × 576 132 -> 153, but
// 256 × 128 no faster and 576 × 96, 384 × 64 slower (152 -> 131, 148 -> 121); 64 and more
// columns without a partial vector (64, 112, 784) no faster.
bool TransposedWeightsPay(const ConvShape& shape);
// Both leave out weights whose packed copy would exceed ~5 MB: it is made while W is still held,
// so it adds to peak memory (ResNet-18's 512 × 4608 last-stage weights, 1.2× faster transposed,
// would raise its peak RSS growth from 71 to 101 MiB, past half of ONNX Runtime's).
// Whether, for a constant W of this shape, every plan takes Wᵀ packed whatever the image, so that W
// itself need not be kept (the adapter lets the session release it): larger weights outside
// Winograd's shapes (K >= 1024, M >= 256: ResNet-18's 256- and 512-channel stride-2 layers), whose
// packed copy would otherwise double their memory for good. On large images
// too, their swapped GEMM fills its panels and K dwarfs the transposition of Yᵀ (measured on 784
// positions, M × K 256 × 1152 and 512 × 2304, and on 192-column blocks of 512 × 4608: as fast as
// the direct GEMM or up to 1.1× faster).
bool TransposedWeightsReplaceW(const ConvShape& shape);

// The weights transposed and packed for the GEMMs (GemmArgs::packed_at): one PackedB of Wᵀ
// (k = C·kernel volume, n = M) on the pointwise and im2col paths; on the Winograd path one of
// U_ξᵀ (k = C, n = M) per point ξ, made from W through WinogradWeights.
struct ConvWeightsT {
  std::vector<std::shared_ptr<const PackedB>> packed;
};
std::shared_ptr<const ConvWeightsT> PackConvWeightsT(const ConvLayout& layout, const float* w);

// Whether a convolution of these shapes takes the Winograd path when its weights are offered:
// a function of W's shape and the group, stride and dilation alone (not of the image size).
bool WinogradPays(const ConvShape& shape);

// Workspace ConvF32 takes on up to `threads` threads (the count MakeConvLayout was given).
std::size_t ConvWorkspaceBytes(const ConvLayout& layout, int threads);

// y = act(conv(x, w) + bias + residual), act = layout.activation. w: W. winograd: W's transform
// (WinogradWeights), needed on the Winograd path (which also reads W: conv_winograd.h's
// non-finite fallback) unless layout.transposed_weights, else ignored. weights_t:
// PackConvWeightsT(layout, w), needed when layout.transposed_weights (on another SIMD target than
// it was packed for, W, or U, is read instead). bias: out_channels values or
// null; residual: y's shape, or null (FusedConv's R: added in the GEMM epilogue, or over each
// depthwise output vector, before the activation; it must not overlap y). workspace:
// ConvWorkspaceBytes bytes, 64-byte aligned, one region per thread index of the arena it runs in;
// null (direct calls) uses per-thread buffers kept between calls.
void ConvF32(const ConvLayout& layout, const float* x, const float* w, const float* bias, float* y,
             float* workspace = nullptr, std::size_t workspace_floats = 0, int workspace_threads = 0,
             const float* residual = nullptr, const float* winograd = nullptr, const ConvWeightsT* weights_t = nullptr);

// How many Winograd blocks have been recomputed directly (non-finite results) in this process:
// lets tests see that finite data never takes that path.
uint64_t WinogradDirectBlocks();

// The depthwise path (one filter per channel, channels = in = out; conv_depthwise.h): a plane's
// scratch is DepthwisePlaneFloats(g) floats. Kernels of at most
// kMaxDepthwiseRowsPerOut taps over (D, H) and kMaxDepthwiseKernelW along W (DepthwiseSupports);
// larger ones, unheard of in practice, take the im2col path.
inline constexpr int64_t kMaxDepthwiseRowsPerOut = 64, kMaxDepthwiseKernelW = 64;
bool DepthwiseSupports(const WindowGeometry& g);
std::size_t DepthwisePlaneFloats(const WindowGeometry& g);

// This thread's region of a conv's workspace (ConvF32's contract): `scratch` floats for the conv,
// then the GEMM's region; outside the arena's threads or with no workspace, kept per-thread buffers.
struct ConvSlot {
  float* scratch;
  float* gemm;  // null: the GEMM uses its own per-thread buffers
};
ConvSlot ConvSlotFor(const ConvLayout& l, float* workspace, std::size_t workspace_floats, int workspace_threads);

}  // namespace axon::kernels
