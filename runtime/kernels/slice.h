// Slice's copy: y[i] = x[start + i * step] along every dim, steps of any sign, any dtype.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace axon::kernels {

inline constexpr int kMaxSliceDims = 64;  // a shape's rank bounds it (graph::kMaxRank)

// How y walks x, with fixed capacity so that a run can make one without allocating (Slice's
// starts may be graph inputs, known to a run only): y's dims with size-1 dims dropped and
// neighbours merged where x's strides allow; the last kept dim is the inner run.
struct StridedLayout {
  int rank = 0;                                  // outer dims kept
  std::array<int64_t, kMaxSliceDims> dims{};     // outer dims of y
  std::array<int64_t, kMaxSliceDims> strides{};  // their x strides in elements (negative for negative steps)
  int64_t offset = 0;                            // x element of y's first element
  int64_t inner = 1, inner_stride = 1;
  int64_t elements = 1;                          // of y
  std::size_t esize = 0;
};

// x_shape and y_shape have `rank` dims; along dim d, y takes y_shape[d] elements of x from
// starts[d] by steps[d]. Trusted: every element taken lies inside x (Slice's rule made them).
StridedLayout MakeStridedLayout(int rank, const int64_t* x_shape, const int64_t* y_shape, const int64_t* starts,
                                const int64_t* steps, std::size_t elem_size);

// y = the elements of x the layout takes, in order; y is dense and must not overlap x.
void StridedCopy(const StridedLayout& layout, const void* x, void* y);
// The reverse (SliceGrad): the layout's elements of x = y's, in order; x's others are untouched.
void StridedScatter(const StridedLayout& layout, const void* y, void* x);

}  // namespace axon::kernels
