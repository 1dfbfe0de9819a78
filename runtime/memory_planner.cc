#include "runtime/memory_planner.h"

#include <algorithm>
#include <iterator>
#include <map>

namespace axon::runtime {

namespace {
int64_t Aligned(int64_t bytes) { return (bytes + 63) / 64 * 64; }
}  // namespace

ArenaLayout PlanArena(const std::vector<BufferLifetime>& buffers) {
  ArenaLayout layout;
  layout.offsets.assign(buffers.size(), 0);
  int steps = 0;
  for (const BufferLifetime& b : buffers) steps = std::max(steps, std::max(b.first, b.last) + 1);
  std::vector<std::vector<std::size_t>> starts(static_cast<std::size_t>(steps)), ends(static_cast<std::size_t>(steps));
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    starts[static_cast<std::size_t>(buffers[i].first)].push_back(i);
    ends[static_cast<std::size_t>(std::max(buffers[i].first, buffers[i].last))].push_back(i);
  }
  std::map<int64_t, int64_t> free_blocks;  // offset -> size, disjoint, never adjacent
  auto release = [&](int64_t offset, int64_t size) {
    auto next = free_blocks.lower_bound(offset);
    if (next != free_blocks.end() && offset + size == next->first) {
      size += next->second;
      next = free_blocks.erase(next);
    }
    if (next != free_blocks.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == offset) {
        prev->second += size;
        return;
      }
    }
    free_blocks.emplace(offset, size);
  };
  for (std::size_t s = 0; s < starts.size(); ++s) {
    for (std::size_t i : starts[s]) {
      const int64_t size = Aligned(buffers[i].bytes);
      if (size == 0) continue;  // empty tensors need no bytes (offset 0 is as good as any)
      auto best = free_blocks.end();
      for (auto it = free_blocks.begin(); it != free_blocks.end(); ++it)
        if (it->second >= size && (best == free_blocks.end() || it->second < best->second)) best = it;
      if (best == free_blocks.end()) {
        // Nothing fits: grow the arena, starting inside a free block that touches its end.
        int64_t offset = layout.bytes;
        if (!free_blocks.empty()) {
          auto last = std::prev(free_blocks.end());
          if (last->first + last->second == layout.bytes) {
            offset = last->first;
            free_blocks.erase(last);
          }
        }
        layout.offsets[i] = offset;
        layout.bytes = offset + size;
        continue;
      }
      const int64_t offset = best->first, rest = best->second - size;
      free_blocks.erase(best);
      if (rest > 0) free_blocks.emplace(offset + size, rest);
      layout.offsets[i] = offset;
    }
    for (std::size_t i : ends[s]) {
      const int64_t size = Aligned(buffers[i].bytes);
      if (size > 0) release(layout.offsets[i], size);
    }
  }
  return layout;
}

}  // namespace axon::runtime
