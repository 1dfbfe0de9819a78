// LayerNormalization and (inference) BatchNormalization, Highway-dispatched.
#pragma once

#include <cstdint>

namespace axon::kernels {

// Each of `rows` contiguous rows of `cols` elements is normalized to mean 0 and variance 1 (plus
// epsilon), then scaled and shifted per column: y = (x - mean) / sqrt(var + epsilon) * scale +
// bias. scale has cols elements; bias (cols elements) and the per-row statistics mean and
// inv_std (rows elements each) may be null. y == x (in place) is allowed.
//
// The variance is that of the row's centred values, with the centre corrected by their own sum
// (the corrected two-pass algorithm), and every sum is pairwise: a row with a large mean and a
// small spread (1e4 + 1e-2 noise) keeps its relative accuracy, where sum(x^2) - sum(x)^2 / n
// would lose every digit. An empty row gives NaN statistics. Results never depend on the thread
// count.
void LayerNormF32(const float* x, const float* scale, const float* bias, float* y, float* mean, float* inv_std,
                  int64_t rows, int64_t cols, float epsilon);

// y[n, c, i] = (x[n, c, i] - mean[c]) * scale[c] + bias[c] over [batch, channels, inner], where
// scale is already BatchNormScale's. Kept as x - mean rather than folded into one x * a + b: a
// channel whose mean is large beside its spread would lose its digits to the cancellation in
// x * a + b, and the extra subtraction is free in a memory-bound loop. y == x is allowed.
void BatchNormF32(const float* x, float* y, const float* mean, const float* scale, const float* bias, int64_t batch,
                  int64_t channels, int64_t inner);
// out[c] = scale[c] / sqrt(var[c] + epsilon), computed in double and rounded once.
void BatchNormScale(const float* scale, const float* var, float epsilon, float* out, int64_t channels);

}  // namespace axon::kernels
