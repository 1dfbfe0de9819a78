#include "runtime/memory_planner.h"

namespace axon::runtime {

namespace {

// In a serial plan every earlier step has finished: any free bytes may be reused.
struct SerialBlocks {
  struct Block {
    int64_t size;
  };
  Block Freed(std::size_t, int64_t size) const { return {size}; }
  void Join(Block& into, Block&& from) const { into.size += from.size; }
  bool Usable(const Block&, int) const { return true; }
};

}  // namespace

ArenaLayout PlanArena(const std::vector<BufferLifetime>& buffers) { return PlanBestFit(buffers, SerialBlocks{}); }

}  // namespace axon::runtime
