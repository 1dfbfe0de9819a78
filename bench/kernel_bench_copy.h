// The bandwidth anchor of the kernel benchmarks: a copy of the same bytes, as a plain vector loop.
#pragma once

#include <cstddef>

namespace axon::bench {

// Copies `bytes` bytes from x to y (no overlap) with unaligned vector loads and stores of the
// Highway target that the kernels dispatch to (AXON_TARGET included), and nothing else: glibc's
// memcpy switches to `rep movsb` for large copies, which runs at a fraction of this speed when
// source and destination are 4 KiB-aliased (as two equal std::vectors often are), so a memcpy
// anchor made elementwise kernels read up to 20x "faster than a copy" (issue 11).
void CopyAnchor(const void* x, void* y, std::size_t bytes);

}  // namespace axon::bench
