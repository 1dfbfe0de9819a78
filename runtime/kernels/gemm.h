// Single-precision GEMM, BLIS-style and Highway-dispatched:
//   C = act(alpha·op(A)·op(B) + beta·C + bias + residual)
// row-major with leading dimensions, op(X) = X or Xᵀ. A register-blocked micro-kernel (8 rows ×
// 3 vectors on AVX-512) walks K in L1-sized blocks; op(B) is packed into panels (once, ahead of
// time, for constant weights), A is read in place; the epilogue runs while the tile is in
// registers. Threads split M and N, never K, so results are bit-identical for any thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/kernels/activation.h"

namespace axon::kernels {

enum class GemmBias { kNone, kScalar, kPerColumn, kPerRow };

// Applied on the final K block, in this order: + bias, + residual, activation.
struct GemmEpilogue {
  GemmBias bias_kind = GemmBias::kNone;
  const float* bias = nullptr;      // 1 value, N values (per column) or M values (per row)
  const float* residual = nullptr;  // M × N, leading dimension ldr
  int64_t ldr = 0;
  Activation activation = Activation::kNone;
  // A plain SGD step fused into a weight gradient: C := fma(sum, neg_lr, C) where the sum would
  // have been stored. neg_lr = float(-lr) gives the bits of storing the gradient, then SgdF32
  // (its MulAdd(g, -lr, x) of the rounded gradient); alpha·sum + beta·C would round twice. With
  // weight_decay != 0 the sum becomes fma(C, weight_decay, sum) first, as SgdF32's decay.
  // Needs alpha 1, beta 1, no bias, residual or activation, and K within one K block
  // (GemmSgdStepMaxK), so that the sum is finished in registers.
  bool sgd_step = false;
  float neg_lr = 0.0f;
  float weight_decay = 0.0f;
};

// op(B) packed into the panel layout of the SIMD target that was dispatched when it was packed.
// Immutable once made; share it between threads and runs.
class PackedB {
 public:
  // op(B) is k × n: B is k × n (ldb >= n), or n × k (ldb >= k) when trans_b.
  static std::shared_ptr<const PackedB> Pack(bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb);

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  int64_t target() const { return target_; }  // Highway target bit it was packed for
  const float* data() const { return data_.get(); }

  PackedB(int64_t k, int64_t n, int64_t target, std::size_t floats);

 private:
  int64_t k_, n_, target_;
  std::unique_ptr<float, void (*)(void*)> data_;
};

struct GemmArgs {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  float alpha = 1.0f;
  const float* a = nullptr;
  int64_t lda = 0;
  const float* b = nullptr;  // always given; used when packed_b is null or for another target
  int64_t ldb = 0;
  const PackedB* packed_b = nullptr;  // op(B) pre-packed (must match trans_b, k and n)
  // op(A)ᵀ (k × m) pre-packed as a B operand. Used (when it was packed for the running target, beta
  // is 0 and no SGD step is fused) by computing Cᵀ = op(B)ᵀ·op(A)ᵀ with it, then C from Cᵀ with the
  // epilogue: for a constant A with few columns in B (a convolution's weight on a 7×7 image), whose
  // last partial vector of columns would waste most of an edge tile. Same bits as without it, where
  // min(M, N) fills a tile's rows; with it A may be null (not kept), and is then never read.
  const PackedB* packed_at = nullptr;
  float beta = 0.0f;
  float* c = nullptr;
  int64_t ldc = 0;
  GemmEpilogue epilogue;
  // Scratch of GemmWorkspaceBytes(*this, workspace_threads) bytes, 64-byte aligned, one slot for
  // each thread index of the task arena the GEMM runs in. Null: per-thread buffers kept between
  // calls (for direct calls; a session's plan always brings a workspace).
  float* workspace = nullptr;
  std::size_t workspace_floats = 0;
  int workspace_threads = 0;
};

// Bytes of workspace a GEMM of these sizes and flags takes on up to `threads` threads (0 when it
// needs none). Depends on the arena's thread count as the GEMM's path choices do: ask from
// inside the arena that will run it.
std::size_t GemmWorkspaceBytes(const GemmArgs& shape, int threads);

// Any size may be 0. beta == 0 never reads C (NaN there does not propagate); alpha == 0 or
// K == 0 never reads A or B. C must not overlap A, B, bias or residual. Throws axon::Error on
// negative sizes, leading dimensions that are too small, or a PackedB of another shape.
void Gemm(const GemmArgs& args);

// The largest K whose sum a fused SGD step (GemmEpilogue::sgd_step) finishes in registers.
int64_t GemmSgdStepMaxK();

// BLAS-style shorthand for Gemm without an epilogue.
void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace axon::kernels
