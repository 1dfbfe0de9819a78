// Binary elementwise arithmetic on f32 with numpy broadcasting, Highway-dispatched.
#pragma once

#include <cstdint>
#include <vector>

namespace axon::kernels {

enum class BinaryOp { kAdd, kSub, kMul, kDiv };

// Most dims a layout may keep after merging: a shape's rank bounds it (graph::kMaxRank).
inline constexpr std::size_t kMaxBinaryDims = 64;

// How a broadcasting binary op walks its operands, made once from the planned shapes: size-1
// dims dropped, dims contiguous in a, b and y alike merged, leaving outer dims (each input's
// element stride, 0 where broadcast) and one inner run along which each input has stride 1 or 0.
struct BinaryLayout {
  std::vector<int64_t> dims, a_strides, b_strides;  // outer dims, outermost first
  int64_t inner = 1;                 // length of the innermost run
  int64_t a_inner = 0, b_inner = 0;  // 1: contiguous along the run; 0: one value for the whole run
  int64_t rows = 1;                  // product of dims
  int64_t elements = 1;              // of y
  // Work items are (row, chunk) pairs, row-major; a chunk is a slice of one row's inner run.
  int64_t chunk = 1, chunks_per_row = 1;
};

// The shapes are trusted: y_shape is the numpy broadcast of a_shape and b_shape (the op's schema
// checked that), each of rank <= kMaxBinaryDims.
BinaryLayout MakeBinaryLayout(const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape,
                              const std::vector<int64_t>& y_shape);

// y = a op b elementwise over `layout`. y may be the same buffer as a (or b) when that input
// already has y's shape; no other overlap is allowed. Every element is one correctly rounded IEEE
// operation, so results are identical on every target and for any thread count. Allocates nothing.
void BinaryF32(BinaryOp op, const BinaryLayout& layout, const float* a, const float* b, float* y);

}  // namespace axon::kernels
