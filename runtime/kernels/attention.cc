#include "runtime/kernels/attention.h"

#include <algorithm>

#include "runtime/kernels/gemm.h"
#include "runtime/kernels/softmax.h"
#include "runtime/kernels/thread_scratch.h"
#include "runtime/parallel.h"

namespace axon::kernels {

void AttentionF32(const AttentionShape& s, const float* q, const float* kt, const float* v, float* y) {
  if (s.batch == 0 || s.rows == 0 || s.depth_v == 0) return;
  const int64_t blocks = (s.rows + kAttentionRowBlock - 1) / kAttentionRowBlock;
  // One task per (slice, row block): the GEMMs inside are small (32 rows), so the parallelism is
  // here; a GEMM's own ParallelFor is isolated, so a waiting thread never takes another block
  // that would reuse its scratch.
  runtime::ParallelFor(s.batch * blocks, 1, [&](int64_t t0, int64_t t1) {
    float* scores = ThreadScratch<ScratchPurpose::kAttention>(static_cast<std::size_t>(kAttentionRowBlock * std::max<int64_t>(s.cols, 1)));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = t / blocks, r0 = (t % blocks) * kAttentionRowBlock;
      const int64_t rows = std::min(kAttentionRowBlock, s.rows - r0);
      const int64_t bq = s.q_slice ? s.q_slice[b] : b, bk = s.kt_slice ? s.kt_slice[b] : b, bv = s.v_slice ? s.v_slice[b] : b;
      const int64_t ld = std::max<int64_t>(s.cols, 1);
      Sgemm(false, false, rows, s.cols, s.depth, s.scale, q + (bq * s.rows + r0) * s.depth, std::max<int64_t>(s.depth, 1),
            kt + bk * s.depth * s.cols, ld, 0.0f, scores, ld);
      SoftmaxF32(scores, scores, rows, s.cols, 1);
      Sgemm(false, false, rows, s.depth_v, s.cols, 1.0f, scores, ld, v + bv * s.cols * s.depth_v,
            std::max<int64_t>(s.depth_v, 1), 0.0f, y + (b * s.rows + r0) * s.depth_v, std::max<int64_t>(s.depth_v, 1));
    }
  });
}

}  // namespace axon::kernels
