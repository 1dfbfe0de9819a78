// How the flat elementwise kernels (activation.cc, unary.cc) split an array across threads: fixed
// blocks whose boundaries depend only on n, so neither the block split nor the thread count ever
// changes an element's result.
#pragma once

#include <algorithm>
#include <cstdint>

#include "runtime/parallel.h"

namespace axon::kernels {

// 16K floats = 64 KiB per block: large enough to amortize a task, small enough that a
// 1M-element activation still splits across cores. A multiple of every vector length, so only
// the last block has a tail.
inline constexpr int64_t kFlatBlock = 16384;

// Calls fn(begin, end) over [0, n) in blocks of kFlatBlock elements, in parallel.
template <class Fn>
void ForEachFlatBlock(int64_t n, const Fn& fn) {
  if (n <= 0) return;
  const int64_t blocks = (n + kFlatBlock - 1) / kFlatBlock;
  runtime::ParallelFor(blocks, 1, [&](int64_t b0, int64_t b1) { fn(b0 * kFlatBlock, std::min(n, b1 * kFlatBlock)); });
}

}  // namespace axon::kernels
