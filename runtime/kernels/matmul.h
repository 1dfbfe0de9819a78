// MatMul with numpy semantics (batched, broadcast) on top of the GEMM kernel.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/kernels/gemm.h"

namespace axon::kernels {

// How a numpy matmul maps onto GEMM calls, made once from the planned shapes: a 1-D A is
// promoted to [1, K] and a 1-D B to [K, 1], batch dims broadcast (stride 0 where an operand has
// size 1). When B is shared by every batch and A is not broadcast (a Linear layer on
// [batch, seq, features]) the whole thing is one GEMM over all of A's rows.
struct MatMulLayout {
  int64_t m = 0, k = 0, n = 0;
  int64_t batches = 1;
  bool one_gemm = true;
  std::vector<int64_t> batch, a_stride, b_stride;  // per batch dim, in elements (one_gemm false)
};

// The shapes are trusted (MatMul's schema checked them): a and b of rank >= 1, inner dims equal,
// batch dims broadcastable.
MatMulLayout MakeMatMulLayout(const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape);

// The GEMM arguments (sizes, leading dimensions) of one batch of `layout`, pointers unset.
GemmArgs MatMulGemmArgs(const MatMulLayout& layout);

// y = matmul(a, b). packed_b, when given, is b (a matrix, K x N) packed ahead of time. workspace:
// MatMulWorkspaceBytes(layout, packed_b, workspace_threads) bytes, or null (see GemmArgs).
void MatMulF32(const MatMulLayout& layout, const float* a, const float* b, float* y, const PackedB* packed_b = nullptr,
               float* workspace = nullptr, std::size_t workspace_floats = 0, int workspace_threads = 0);

// Workspace MatMulF32 takes on up to `threads` threads.
std::size_t MatMulWorkspaceBytes(const MatMulLayout& layout, const PackedB* packed_b, int threads);

}  // namespace axon::kernels
