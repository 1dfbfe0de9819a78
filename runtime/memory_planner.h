// Arena offsets from buffer lifetimes: buffers whose lifetimes do not overlap may share bytes.
#pragma once

#include <cstdint>
#include <vector>

namespace axon::runtime {

struct BufferLifetime {
  int64_t bytes = 0;
  int first = 0;  // step that writes it first
  int last = 0;   // last step that reads it (inclusive)
};

struct ArenaLayout {
  std::vector<int64_t> offsets;  // per buffer, multiples of 64
  int64_t bytes = 0;             // arena size
};

// Walks the steps in order: a buffer takes the best-fitting free block when its first step comes
// (or grows the arena), and gives its bytes back after its last step, where they merge with free
// neighbours. O(n log n)-ish on chains of any length, deterministic, and on real graphs close to
// the peak of live bytes.
ArenaLayout PlanArena(const std::vector<BufferLifetime>& buffers);

}  // namespace axon::runtime
