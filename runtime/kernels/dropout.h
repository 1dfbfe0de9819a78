// Training-mode dropout on f32 arrays, Highway-dispatched: y = x · mask / (1 − ratio), the mask
// drawn from a counter-based generator. Element i's keep bit is a hash of (key, i) alone, so the
// mask does not depend on the block split, the thread count or the target's vector width, and a
// run with the same key redraws exactly the same mask (the backward pass applies it to dY so).
#pragma once

#include <cstdint>

namespace axon::kernels {

// Where a mask comes from: the session's seed, a counter it advances once per draw (a training
// step), and the stream of the node (one per Dropout node of a graph).
struct DropoutKey {
  uint64_t seed = 0;
  uint64_t counter = 0;
  uint64_t stream = 0;
};

// Whether element `index` is kept (probability 1 − ratio, to within 2^-31) under `key`: the
// scalar reference of what DropoutF32 draws, for tests and anything that needs the mask itself.
bool DropoutKeeps(const DropoutKey& key, uint64_t index, float ratio);

// y[i] = keep(i) ? x[i] · (1 / (1 − ratio)) : 0 for i < n, ratio in [0, 1). The factor is
// rounded to f32 once, as torch's dropout scales its noise tensor (mask.div_(1 − p)); ratio 0
// copies x exactly. y == x is allowed.
void DropoutF32(const float* x, float* y, int64_t n, float ratio, const DropoutKey& key);

}  // namespace axon::kernels
