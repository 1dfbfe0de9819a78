// Single-precision matrix multiplication, Highway-dispatched. This first version is a
// register-blocked, row-parallel GEMM; the BLIS-style packed one will keep these signatures.
#pragma once

#include <cstdint>
#include <vector>

namespace axon::kernels {

// C = alpha * op(A) * op(B) + beta * C, all row-major; op(X) is X or X^T.
// op(A) is M x K (A is M x K with lda >= K, or K x M with lda >= M when trans_a); op(B) is K x N
// (B is K x N with ldb >= N, or N x K with ldb >= K when trans_b); C is M x N with ldc >= N.
// Any size may be 0. beta == 0 never reads C (NaN or garbage there does not propagate); alpha ==
// 0 or K == 0 never reads A or B. Elements of C beyond N in each row are not touched. C must not
// overlap A or B. Throws axon::Error on negative sizes or too-small leading dimensions.
// Results are identical for any thread count.
void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Output shape of numpy matmul: a 1-D A is promoted to [1, K] and a 1-D B to [K, 1], the
// promoted 1 is removed from the result, and batch dims broadcast. Throws axon::Error naming
// both shapes when they do not fit (rank 0, K mismatch, batch dims that do not broadcast).
std::vector<int64_t> MatMulShape(const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape);

// y = matmul(a, b) with numpy semantics; y_shape must equal MatMulShape(a_shape, b_shape).
void MatMulF32(const float* a, const std::vector<int64_t>& a_shape, const float* b,
               const std::vector<int64_t>& b_shape, float* y, const std::vector<int64_t>& y_shape);

}  // namespace axon::kernels
