// Finding NaN and infinities in f32 arrays: training checks every parameter after each optimizer
// step, so this must cost a small fraction of a step (one load and two vector ops per 16 floats
// on AVX-512; a 670k-weight MLP is scanned in a few hundredths of a millisecond from cache).
#pragma once

#include <cstdint>

namespace axon::kernels {

// The index of the first element of x[0, n) that is NaN or ±infinity, or -1 when all are finite.
int64_t FirstNonFinite(const float* x, int64_t n);

}  // namespace axon::kernels
