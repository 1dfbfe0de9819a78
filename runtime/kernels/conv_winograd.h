// Winograd F(2×2, 3×3) for 2-D 3×3 convolutions with stride 1, dilation 1 and group 1 (Lavin &
// Gray, "Fast Algorithms for Convolutional Neural Networks", 2015). Each 2×2 tile of outputs is
//   Y = Aᵀ [ Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B) ] A
// over the 4×4 input tile d_c of every channel c, so the sum over channels becomes 16 GEMMs (one
// per point ξ of the 4×4 transform domain), U_ξ [M × C] · V_ξ [C × tiles], with 16 multiplies per
// tile and channel pair instead of 36: 2.25× fewer FLOPs than im2col, for a few additions per
// input and output value. The weight transform U is made once (the adapter prepares it from a
// constant W); the input and output transforms run per block of tile rows, in cache.
//
// Accuracy: the transforms only add and halve, so the error stays within a small multiple of the
// direct sum's (about 1e-6 relative in float on random data, like cuDNN's and oneDNN's F(2, 3)).
// Results are the same bits for any thread count: blocks depend on the shapes alone.
//
// Non-finite data: the transforms' differences turn one ±Inf input into inf - inf = NaN over its
// tiles, and inputs near FLT_MAX overflow in the input transform where the direct sum does not.
// So a block whose outputs are not all finite (WinogradOutput says so) is recomputed by
// WinogradDirect from W itself: results on any data are those of a direct convolution, and finite
// data, the case that matters for speed, pays one scan of the outputs it writes anyway.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/kernels/activation.h"

namespace axon::kernels {

inline constexpr int64_t kWinogradPoints = 16;  // the 4×4 transform domain

// U [16][M][C] (point ξ = 4a + b of U = G g Gᵀ, then output channel, then input channel) from
// W [M][C][3][3]. u holds WinogradWeightFloats(M, C) floats.
std::size_t WinogradWeightFloats(int64_t out_channels, int64_t in_channels);
void WinogradWeights(const float* w, int64_t out_channels, int64_t in_channels, float* u);

// One block of tile rows [ty0, ty1) of one image. Tiles are tile_cols per row; tile (ty, tx)
// covers outputs (2ty.., 2tx..) and reads input rows 2ty - pad_h .. +3 and columns 2tx - pad_w .. +3.
struct WinogradBlock {
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0, pad_h = 0, pad_w = 0;
  int64_t tile_cols = 0, ty0 = 0, ty1 = 0;
  int64_t Tiles() const { return (ty1 - ty0) * tile_cols; }
  int64_t PaddedCols() const { return 2 * tile_cols + 2; }
  int64_t PaddedRows() const { return 2 * (ty1 - ty0) + 2; }
};

// Scratch the input transform needs for `channels` (the block's padded rows), in floats.
std::size_t WinogradPaddedFloats(const WinogradBlock& b, int64_t channels);

// v [16][channels][b.Tiles()] = Bᵀ d B for every tile of the block; x is one image
// (channels × in_h × in_w); padded: WinogradPaddedFloats scratch.
void WinogradInput(const WinogradBlock& b, int64_t channels, const float* x, float* padded, float* v);
// The same in two stages, each of which threads may share by channel ranges [c0, c1): every
// channel's padded rows must be complete before any channel's transform, which reads a few floats
// past its own rows (into the next channel's).
void WinogradPadInput(const WinogradBlock& b, int64_t c0, int64_t c1, const float* x, float* padded);
void WinogradTransformInput(const WinogradBlock& b, int64_t channels, int64_t c0, int64_t c1, const float* padded, float* v);

// y (one image, out_channels × out_h × out_w) = act(Aᵀ m A + bias + residual) for the block's
// outputs inside the image, of output channels [c0, c1) (c1 < 0: all); m [16][out_channels][b.Tiles()]
// is followed by at least 16 readable floats. bias: out_channels values or null; residual: y's
// shape or null. Returns whether any of those outputs was not finite before the activation.
bool WinogradOutput(const WinogradBlock& b, int64_t out_channels, const float* m, const float* bias,
                    const float* residual, Activation act, float* y, int64_t c0 = 0, int64_t c1 = -1);

// The block's outputs as WinogradOutput defines them, by a direct convolution of x (one image,
// channels × in_h × in_w) with W [out_channels][channels][3][3], summed in double, then + bias,
// + residual and the activation in float as the im2col path's GEMM epilogue applies them. Slow
// (scalar): for the blocks whose Winograd results were not finite.
void WinogradDirect(const WinogradBlock& b, int64_t channels, int64_t out_channels, const float* x, const float* w,
                    const float* bias, const float* residual, Activation act, float* y);

}  // namespace axon::kernels
