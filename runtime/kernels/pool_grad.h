// Backward passes of MaxPool and AveragePool over NCHW planes (1-D to 3-D windows, as
// WindowGeometry describes them). Plain C++: each output position scatters into a window of dx,
// and windows overlap whenever stride < kernel, so the adds are done in a fixed order per plane
// (planes run in parallel; the result does not depend on the thread count).
#pragma once

#include <cstdint>

#include "runtime/kernels/im2col.h"
#include "runtime/kernels/pool.h"

namespace axon::kernels {

// dx = 0, then dy of each window added at the window's maximum in x (the first one, in tap order,
// on ties; a NaN tap counts as the maximum, as PyTorch does). Taps in the padding are never chosen.
void MaxPoolGradF32(const WindowGeometry& g, int64_t planes, const float* x, const float* dy, float* dx);

// dx = 0, then dy of each window divided by its divisor (layout's counts, as the forward pass
// divides) added to each of its taps inside the image.
void AveragePoolGradF32(const PoolLayout& layout, const float* dy, float* dx);

}  // namespace axon::kernels
