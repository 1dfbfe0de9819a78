// Data movement without arithmetic, any dtype: Transpose.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace axon::kernels {

// How transpose(x, perm) walks memory, made once from the planned shapes: y's dims in order,
// size-1 dims dropped and neighbours that are also neighbours in x merged; the last kept dim is
// the inner run.
struct TransposeLayout {
  std::vector<int64_t> dims, strides;  // outer dims of y and their source strides (elements)
  int64_t inner = 1, inner_stride = 1;
  std::size_t contiguous_dim = 0;      // the outer dim with source stride 1 (when inner_stride != 1)
  std::size_t esize = 0;
  int64_t elements = 1;
};

// The inputs are trusted: perm is a permutation of x's dims (Transpose's schema checked it).
TransposeLayout MakeTransposeLayout(const std::vector<int64_t>& x_shape, const std::vector<int64_t>& perm,
                                    std::size_t elem_size);

// y = transpose(x) as laid out; y is dense and must not overlap x.
void TransposeCopy(const TransposeLayout& layout, const void* x, void* y);

}  // namespace axon::kernels
