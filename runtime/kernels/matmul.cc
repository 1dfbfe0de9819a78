// numpy matmul on top of the GEMM kernel: batches either fold into one GEMM's rows or run as one
// GEMM each, in parallel, with stride-0 broadcasting.

#include "runtime/kernels/matmul.h"

#include <algorithm>

#include "runtime/parallel.h"

namespace axon::kernels {

MatMulLayout MakeMatMulLayout(const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape) {
  std::vector<int64_t> as = a_shape, bs = b_shape;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  MatMulLayout l;
  l.m = as[as.size() - 2], l.k = as.back(), l.n = bs.back();
  const std::vector<int64_t> a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  const std::size_t rank = std::max(a_batch.size(), b_batch.size());
  l.batch.assign(rank, 1);
  int64_t a_count = 1, b_count = 1;
  for (std::size_t i = 0; i < rank; ++i) {
    const int64_t ad = i < rank - a_batch.size() ? 1 : a_batch[i - (rank - a_batch.size())];
    const int64_t bd = i < rank - b_batch.size() ? 1 : b_batch[i - (rank - b_batch.size())];
    l.batch[i] = ad == 1 ? bd : ad;
    a_count *= ad;
    b_count *= bd;
  }
  l.batches = 1;
  for (int64_t d : l.batch) l.batches *= d;
  l.one_gemm = b_count == 1 && a_count == l.batches;
  if (l.one_gemm) return l;
  l.a_stride.assign(rank, 0);
  l.b_stride.assign(rank, 0);
  for (int64_t k = static_cast<int64_t>(rank) - 1, sa = l.m * l.k, sb = l.k * l.n; k >= 0; --k) {
    const int64_t ia = k - static_cast<int64_t>(rank - a_batch.size());
    const int64_t ib = k - static_cast<int64_t>(rank - b_batch.size());
    if (ia >= 0) {
      l.a_stride[k] = a_batch[ia] == 1 ? 0 : sa;
      sa *= a_batch[ia];
    }
    if (ib >= 0) {
      l.b_stride[k] = b_batch[ib] == 1 ? 0 : sb;
      sb *= b_batch[ib];
    }
  }
  return l;
}

GemmArgs MatMulGemmArgs(const MatMulLayout& l) {
  GemmArgs g;
  g.m = l.one_gemm ? l.batches * l.m : l.m, g.n = l.n, g.k = l.k;
  g.lda = std::max<int64_t>(1, l.k), g.ldb = std::max<int64_t>(1, l.n), g.ldc = std::max<int64_t>(1, l.n);
  return g;
}

std::size_t MatMulWorkspaceBytes(const MatMulLayout& l, const PackedB* packed_b, int threads) {
  GemmArgs g = MatMulGemmArgs(l);
  g.packed_b = l.one_gemm ? packed_b : nullptr;
  // Batches run concurrently, one GEMM per thread slot at a time: a region of their own each.
  const std::size_t per_gemm = (GemmWorkspaceBytes(g, threads) + 63) / 64 * 64;
  return l.one_gemm ? per_gemm : per_gemm * static_cast<std::size_t>(std::max(1, threads));
}

void MatMulF32(const MatMulLayout& l, const float* a, const float* b, float* y, const PackedB* packed_b,
               float* workspace, std::size_t workspace_floats, int workspace_threads) {
  if (l.batches == 0 || l.m == 0 || l.n == 0) return;
  GemmArgs g = MatMulGemmArgs(l);
  g.workspace = workspace, g.workspace_floats = workspace_floats, g.workspace_threads = workspace_threads;
  if (l.one_gemm) {
    g.a = a, g.b = b, g.c = y, g.packed_b = packed_b;
    Gemm(g);
    return;
  }
  const std::size_t region = workspace_threads > 0 ? workspace_floats / static_cast<std::size_t>(workspace_threads) : 0;
  const std::size_t rank = l.batch.size();
  runtime::ParallelFor(l.batches, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      int64_t a_off = 0, b_off = 0;
      for (int64_t k = static_cast<int64_t>(rank) - 1, rest = p; k >= 0; --k) {
        const int64_t index = rest % l.batch[k];
        rest /= l.batch[k];
        a_off += index * l.a_stride[k];
        b_off += index * l.b_stride[k];
      }
      GemmArgs gp = g;
      gp.a = a + a_off, gp.b = b + b_off, gp.c = y + p * l.m * l.n;
      const int slot = runtime::ThreadIndex();
      if (workspace && slot >= 0 && slot < workspace_threads) {
        gp.workspace = workspace + region * static_cast<std::size_t>(slot);
        gp.workspace_floats = region;
      } else {
        gp.workspace = nullptr;
      }
      Gemm(gp);
    }
  });
}

}  // namespace axon::kernels
