// Scaled dot-product attention, Y = softmax(scale · Q · Kᵀ) · V, for each of `batch` independent
// (batch × heads) slices, without the [L, S] score matrix in memory: each block of query rows
// gets its scores in a per-thread scratch of kAttentionRowBlock × S floats, still in cache when
// the softmax and the product with V read them. Composed from the GEMM and softmax kernels, so
// each row's numbers are those of MatMul (with alpha = scale), Softmax and MatMul.
#pragma once

#include <cstdint>

namespace axon::kernels {

// Where element (slice b, row i, column j) of an operand lies: b·batch + i·row + j·col floats from
// its start, so that a transposed view of a tensor (a Transpose that attention-fusion folded in)
// is read in place. One of row and col must be 1 for an input (op(X) or its transpose is then a
// plain GEMM operand), col must be 1 for Y. All 0: packed row-major, as the shape says.
struct AttentionStrides {
  int64_t batch = 0, row = 0, col = 0;
  bool Packed() const { return batch == 0 && row == 0 && col == 0; }
};

struct AttentionShape {
  int64_t batch = 0;    // independent slices (batch × heads)
  int64_t rows = 0;     // L: queries
  int64_t depth = 0;    // d: Q's and Kᵀ's shared dim
  int64_t cols = 0;     // S: keys
  int64_t depth_v = 0;  // dv: V's columns
  float scale = 1.0f;
  // Which slice of Q, Kt and V output slice b reads, when a leading dim of 1 broadcasts (the
  // fused MatMuls broadcast their batch dims); nullptr: slice b.
  const int64_t* q_slice = nullptr;
  const int64_t* kt_slice = nullptr;
  const int64_t* v_slice = nullptr;
  AttentionStrides q_strides{}, kt_strides{}, v_strides{}, y_strides{};
};

inline constexpr int64_t kAttentionRowBlock = 32;

// Bytes of workspace AttentionF32 takes on up to `threads` threads (the task arena's thread
// count, asked from inside it): for each thread index, the scores of one row block and the
// workspaces of the two GEMMs it runs on them.
std::size_t AttentionWorkspaceBytes(const AttentionShape& shape, int threads);

// q: [batch, L, d]; kt: [batch, d, S] (slices picked by q_slice ... when set) (K already transposed, as exporters write it); v: [batch,
// S, dv]; y: [batch, L, dv], which must not overlap the inputs; each laid out as its strides say. workspace: AttentionWorkspaceBytes(shape,
// threads) bytes, 64-byte aligned (a session's plan brings it, within its memory limit); null:
// per-thread buffers kept between calls (direct calls: tests, benchmarks).
void AttentionF32(const AttentionShape& shape, const float* q, const float* kt, const float* v, float* y,
                  float* workspace = nullptr, std::size_t workspace_floats = 0, int threads = 0);

}  // namespace axon::kernels
