// Arena offsets from buffer lifetimes: buffers whose lifetimes do not overlap may share bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
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

// The walk PlanArena and PlanConcurrentArena (inter_op.h) share. `blocks` says what a free block
// carries beside its size, and who may reuse it:
//   typename Blocks::Block, with an int64_t `size`;
//   Block Freed(std::size_t buffer, int64_t size) const: the bytes a buffer gives back;
//   void Join(Block& into, Block&& from) const: adjacent free blocks merged (sizes summed);
//   bool Usable(const Block& block, int writer) const: whether step `writer` may write over it.
template <class Blocks>
ArenaLayout PlanBestFit(const std::vector<BufferLifetime>& buffers, const Blocks& blocks) {
  using Block = typename Blocks::Block;
  auto aligned = [](int64_t bytes) { return (bytes + 63) / 64 * 64; };
  ArenaLayout layout;
  layout.offsets.assign(buffers.size(), 0);
  int steps = 0;
  for (const BufferLifetime& b : buffers) steps = std::max(steps, std::max(b.first, b.last) + 1);
  std::vector<std::vector<std::size_t>> starts(static_cast<std::size_t>(steps)), ends(static_cast<std::size_t>(steps));
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    starts[static_cast<std::size_t>(buffers[i].first)].push_back(i);
    ends[static_cast<std::size_t>(std::max(buffers[i].first, buffers[i].last))].push_back(i);
  }
  std::map<int64_t, Block> free_blocks;  // by offset; disjoint, never adjacent
  auto release = [&](int64_t offset, Block block) {
    auto next = free_blocks.lower_bound(offset);
    if (next != free_blocks.end() && offset + block.size == next->first) {
      blocks.Join(block, std::move(next->second));
      next = free_blocks.erase(next);
    }
    if (next != free_blocks.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second.size == offset) {
        blocks.Join(prev->second, std::move(block));
        return;
      }
    }
    free_blocks.emplace(offset, std::move(block));
  };
  for (std::size_t s = 0; s < starts.size(); ++s) {
    for (std::size_t i : starts[s]) {
      const int64_t size = aligned(buffers[i].bytes);
      if (size == 0) continue;  // empty tensors need no bytes (offset 0 is as good as any)
      const int writer = buffers[i].first;
      auto best = free_blocks.end();
      for (auto it = free_blocks.begin(); it != free_blocks.end(); ++it)
        if (it->second.size >= size && (best == free_blocks.end() || it->second.size < best->second.size) &&
            blocks.Usable(it->second, writer))
          best = it;
      if (best == free_blocks.end()) {
        // Nothing fits: grow the arena, starting inside a free block that touches its end.
        int64_t offset = layout.bytes;
        if (!free_blocks.empty()) {
          auto last = std::prev(free_blocks.end());
          if (last->first + last->second.size == layout.bytes && blocks.Usable(last->second, writer)) {
            offset = last->first;
            free_blocks.erase(last);
          }
        }
        layout.offsets[i] = offset;
        layout.bytes = offset + size;
        continue;
      }
      const int64_t offset = best->first;
      Block rest = std::move(best->second);
      rest.size -= size;
      free_blocks.erase(best);
      if (rest.size > 0) free_blocks.emplace(offset + size, std::move(rest));
      layout.offsets[i] = offset;
    }
    for (std::size_t i : ends[s]) {
      const int64_t size = aligned(buffers[i].bytes);
      if (size > 0) release(layout.offsets[i], blocks.Freed(i, size));
    }
  }
  return layout;
}

}  // namespace axon::runtime
