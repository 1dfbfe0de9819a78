#include "runtime/kernels/attention.h"

#include <algorithm>

#include "runtime/kernels/gemm.h"
#include "runtime/kernels/softmax.h"
#include "runtime/kernels/thread_scratch.h"
#include "runtime/parallel.h"

namespace axon::kernels {

namespace {

// The strides of an operand of `rows` × `cols` per slice, packed row-major unless given.
AttentionStrides Resolve(const AttentionStrides& given, int64_t rows, int64_t cols) {
  return given.Packed() ? AttentionStrides{rows * cols, cols, 1} : given;
}

// X (rows × cols per slice) as a GEMM operand: X itself when its columns are contiguous, else
// the transpose of the row-major matrix its unit row stride makes. A dim of 1 is never stepped,
// so its stride is free: the leading dimension is raised to the least Gemm accepts.
void Operand(const AttentionStrides& x, int64_t rows, int64_t cols, bool& trans, int64_t& ld) {
  trans = x.col != 1 && cols > 1;
  ld = trans ? std::max<int64_t>({x.col, rows, 1}) : std::max<int64_t>({x.row, cols, 1});
}

struct Layout {
  AttentionStrides q, kt, v, y;
  explicit Layout(const AttentionShape& s)
      : q(Resolve(s.q_strides, s.rows, s.depth)), kt(Resolve(s.kt_strides, s.depth, s.cols)),
        v(Resolve(s.v_strides, s.cols, s.depth_v)), y(Resolve(s.y_strides, s.rows, s.depth_v)) {}
};

// The two GEMMs of a block of `rows` query rows: scores = scale·Q·Kt, then Y = P·V.
GemmArgs ScoresGemm(const AttentionShape& s, const Layout& l, int64_t rows) {
  GemmArgs g;
  g.m = rows, g.n = s.cols, g.k = s.depth, g.alpha = s.scale;
  Operand(l.q, rows, s.depth, g.trans_a, g.lda);
  Operand(l.kt, s.depth, s.cols, g.trans_b, g.ldb);
  g.ldc = std::max<int64_t>(s.cols, 1);
  return g;
}
GemmArgs OutputGemm(const AttentionShape& s, const Layout& l, int64_t rows) {
  GemmArgs g;
  g.m = rows, g.n = s.depth_v, g.k = s.cols;
  g.lda = std::max<int64_t>(s.cols, 1);
  Operand(l.v, s.cols, s.depth_v, g.trans_b, g.ldb);
  g.ldc = std::max<int64_t>({l.y.row, s.depth_v, 1});
  return g;
}

// One thread's part of the workspace, in floats: scores, then each GEMM's workspace (sized for
// both a full row block and the last, shorter one, whose path choices may differ).
struct SlotLayout {
  std::size_t scores = 0, scores_gemm = 0, output_gemm = 0;
  std::size_t Floats() const { return Lines(scores) + Lines(scores_gemm) + Lines(output_gemm); }
};

SlotLayout Slot(const AttentionShape& s, const Layout& layout, int threads) {
  SlotLayout l;
  l.scores = static_cast<std::size_t>(kAttentionRowBlock * std::max<int64_t>(s.cols, 1));
  const int64_t full = std::min(kAttentionRowBlock, s.rows), last = s.rows % kAttentionRowBlock;
  for (int64_t rows : {full, last}) {
    if (rows == 0) continue;
    l.scores_gemm = std::max(l.scores_gemm, GemmWorkspaceBytes(ScoresGemm(s, layout, rows), threads) / sizeof(float));
    l.output_gemm = std::max(l.output_gemm, GemmWorkspaceBytes(OutputGemm(s, layout, rows), threads) / sizeof(float));
  }
  return l;
}

}  // namespace

std::size_t AttentionWorkspaceBytes(const AttentionShape& s, int threads) {
  if (s.batch == 0 || s.rows == 0 || s.depth_v == 0 || threads <= 0) return 0;
  return Slot(s, Layout(s), threads).Floats() * static_cast<std::size_t>(threads) * sizeof(float);
}

void AttentionF32(const AttentionShape& s, const float* q, const float* kt, const float* v, float* y, float* workspace,
                  std::size_t workspace_floats, int threads) {
  if (s.batch == 0 || s.rows == 0 || s.depth_v == 0) return;
  const int64_t blocks = (s.rows + kAttentionRowBlock - 1) / kAttentionRowBlock;
  const Layout layout(s);
  const SlotLayout slot = Slot(s, layout, std::max(threads, 1));
  const bool planned = workspace && threads > 0 && slot.Floats() * static_cast<std::size_t>(threads) <= workspace_floats;
  // One task per (slice, row block): the GEMMs inside are small (32 rows), so the parallelism is
  // here; a GEMM's own ParallelFor is isolated, so a waiting thread never takes another block
  // that would reuse its scratch (its slot of the workspace, or its per-thread buffer).
  runtime::ParallelFor(s.batch * blocks, 1, [&](int64_t t0, int64_t t1) {
    const int index = runtime::ThreadIndex();
    const bool own_slot = planned && index >= 0 && index < threads;
    float* base = own_slot ? workspace + slot.Floats() * static_cast<std::size_t>(index) : nullptr;
    float* scores = own_slot ? base : ThreadScratch<ScratchPurpose::kAttention>(slot.scores);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = t / blocks, r0 = (t % blocks) * kAttentionRowBlock;
      const int64_t rows = std::min(kAttentionRowBlock, s.rows - r0);
      const int64_t bq = s.q_slice ? s.q_slice[b] : b, bk = s.kt_slice ? s.kt_slice[b] : b, bv = s.v_slice ? s.v_slice[b] : b;
      GemmArgs g1 = ScoresGemm(s, layout, rows), g2 = OutputGemm(s, layout, rows);
      g1.a = q + bq * layout.q.batch + r0 * layout.q.row, g1.b = kt + bk * layout.kt.batch, g1.c = scores;
      g2.a = scores, g2.b = v + bv * layout.v.batch, g2.c = y + b * layout.y.batch + r0 * layout.y.row;
      if (own_slot) {
        g1.workspace = base + Lines(slot.scores), g1.workspace_floats = slot.scores_gemm;
        g2.workspace = base + Lines(slot.scores) + Lines(slot.scores_gemm), g2.workspace_floats = slot.output_gemm;
        g1.workspace_threads = g2.workspace_threads = threads;
        if (!slot.scores_gemm) g1.workspace = nullptr;
        if (!slot.output_gemm) g2.workspace = nullptr;
      }
      Gemm(g1);
      SoftmaxF32(scores, scores, rows, s.cols, 1);
      Gemm(g2);
    }
  });
}

}  // namespace axon::kernels
