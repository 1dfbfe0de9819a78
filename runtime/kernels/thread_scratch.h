// Scratch for kernel calls that bring no workspace (tests, benchmarks): one buffer per thread and
// purpose, grown on demand and kept, so steady-state calls do not allocate. runtime::ParallelFor
// isolates its tasks, so a thread waiting inside a kernel never starts another task that would
// reuse the same purpose's buffer mid-flight. A session's plan passes a workspace instead, which
// counts against its memory limit.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string>

#include "axon/error.h"

namespace axon::kernels {

// Floats rounded up to whole cache lines, so each scratch region starts 64-byte aligned.
constexpr std::size_t Lines(std::size_t floats) { return (floats + 15) / 16 * 16; }

// One buffer per purpose: kernels that run inside one another (a convolution's GEMM) never share.
enum class ScratchPurpose { kGemmA, kGemmGemv, kGemmPackB, kGemmStrip, kGemmSwappedC, kConv, kConvTranspose, kPool, kAttention };

template <ScratchPurpose kPurpose>
float* ThreadScratch(std::size_t floats) {
  thread_local std::unique_ptr<float, void (*)(void*)> buffer(nullptr, &std::free);
  thread_local std::size_t capacity = 0;
  if (floats > capacity) {
    capacity = 0;  // stays 0 if the allocation fails, so a later call retries instead of using null
    buffer.reset(static_cast<float*>(std::aligned_alloc(64, Lines(floats) * sizeof(float))));
    if (!buffer) throw Error(ErrorCode::kInternal, "out of memory for " + std::to_string(floats) + " floats of kernel scratch");
    capacity = floats;
  }
  return buffer.get();
}

}  // namespace axon::kernels
