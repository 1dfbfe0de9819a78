// Counts calls of the global operator new while a CountAllocations object lives (the test binary
// replaces operator new, in allocation_counter.cc). Allocation from any thread counts.
#pragma once

#include <atomic>
#include <cstdint>

namespace axon::test {

extern std::atomic<bool> g_count_allocations;
extern std::atomic<int64_t> g_allocations;

class CountAllocations {
 public:
  CountAllocations() {
    g_allocations = 0;
    g_count_allocations = true;
  }
  ~CountAllocations() { g_count_allocations = false; }
  int64_t count() const { return g_allocations.load(); }
};

}  // namespace axon::test
