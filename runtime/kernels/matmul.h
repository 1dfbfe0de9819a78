// MatMul with numpy semantics (batched, broadcast) on top of the GEMM kernel, and the Gemm and
// MatMul op kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/kernels/gemm.h"

namespace axon::kernels {

// Output shape of numpy matmul: a 1-D A is promoted to [1, K] and a 1-D B to [K, 1], the
// promoted 1 is removed from the result, and batch dims broadcast. Throws axon::Error naming
// both shapes when they do not fit (rank 0, K mismatch, batch dims that do not broadcast).
std::vector<int64_t> MatMulShape(const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape);

// y = matmul(a, b) with numpy semantics; y_shape must equal MatMulShape(a_shape, b_shape).
// packed_b, when given, is b (a matrix, K x N) packed ahead of time.
void MatMulF32(const float* a, const std::vector<int64_t>& a_shape, const float* b,
               const std::vector<int64_t>& b_shape, float* y, const std::vector<int64_t>& y_shape,
               const PackedB* packed_b = nullptr);

}  // namespace axon::kernels
