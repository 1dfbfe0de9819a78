// im2col and col2im: the layout changes that turn a convolution into a GEMM (and a transposed
// convolution into a GEMM followed by a scatter-add).
#pragma once

#include <array>
#include <cstdint>

namespace axon::kernels {

// The spatial geometry of a convolution window, always as 3 dims: a 1-D or 2-D convolution has
// leading dims of size 1 with kernel 1, stride 1, dilation 1 and no padding, so one loop nest
// serves 1-D, 2-D and 3-D. `in` is the image the window slides over, `out` the grid of window
// positions; pad is the begin padding (the end padding is implied by in, out and the window).
struct WindowGeometry {
  std::array<int64_t, 3> in{1, 1, 1}, out{1, 1, 1}, kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1}, dilation{1, 1, 1}, pad{0, 0, 0};

  int64_t InVolume() const { return in[0] * in[1] * in[2]; }
  int64_t OutVolume() const { return out[0] * out[1] * out[2]; }
  int64_t KernelVolume() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// col (channels·KernelVolume() rows × `cols` columns, row-major, leading dimension cols) gets
// the image values under each window tap for window positions [col0, col0 + cols) of the
// flattened out grid: row (c, kd, kh, kw), column p is image[c] at p's window origin + tap, or 0
// in the padding. image is channels × InVolume(). col must be followed by kIm2ColSlack writable
// floats: whole-vector stores may run past its end (what they leave there is unspecified).
inline constexpr int64_t kIm2ColSlack = 16;  // the widest x86 vector, in floats
void Im2Col(const WindowGeometry& g, int64_t channels, const float* image, int64_t col0, int64_t cols, float* col);

// The adjoint: image[c] at each tap position += col[(c, tap), p] for window positions
// [col0, col0 + cols); positions in the padding are dropped. image must be initialized (zeros,
// or a bias). Within a call an image element accumulates its terms in a fixed order (rows, then
// columns), so results are reproducible as long as the caller splits the columns by the shapes
// alone and visits the pieces in order.
void Col2Im(const WindowGeometry& g, int64_t channels, const float* col, int64_t col0, int64_t cols, float* image);

// Columns per block when a `rows` × `columns` column matrix is made and consumed block by block
// (Conv's im2col, ConvTranspose's col2im): see im2col.cc for the trade-off.
int64_t ColumnBlock(int64_t rows, int64_t columns);

}  // namespace axon::kernels
