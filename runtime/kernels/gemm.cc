// Sgemm: each task owns a block of C's rows. Within it, C is computed in 4-row x 2-vector tiles
// whose accumulators stay in registers for the whole K loop (8 accumulators + 2 B vectors + 1
// broadcast A value = 11 registers: fits the 16 of SSE/AVX2). Column panels are the outer loop so
// that one K x 2-vector panel of B is reused, from L1/L2, by every row of the task. No packing of
// A and no K blocking yet: that is the BLIS-style version's job.

#include "runtime/kernels/gemm.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <hwy/aligned_allocator.h>

#include "axon/error.h"
#include "axon/tensor.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/elementwise.h"
#include "runtime/parallel.h"

// Shared by every target's code and the wrappers; foreach_target.h includes this file once per
// target, hence the guard.
#ifndef AXON_RUNTIME_KERNELS_GEMM_ARGS_
#define AXON_RUNTIME_KERNELS_GEMM_ARGS_
namespace axon::kernels::detail {

struct GemmArgs {
  int64_t N, K;
  float alpha, beta;
  const float* A;
  int64_t a_row, a_col;  // op(A)(i, k) = A[i * a_row + k * a_col]
  const float* B;
  int64_t ldb;           // op(B)(k, j) = B[k * ldb + j]: rows of op(B) are contiguous
  float* C;
  int64_t ldc;
};

}  // namespace axon::kernels::detail
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/gemm.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

using detail::GemmArgs;
constexpr int64_t kMR = 4;  // rows per register tile

// C = alpha * acc + beta * C; with beta == 0, C is not read, so NaN there cannot leak in.
template <class D>
HWY_INLINE hn::Vec<D> Epilogue(D d, const GemmArgs& g, hn::Vec<D> acc, hn::Vec<D> c_old) {
  const auto scaled = hn::Mul(acc, hn::Set(d, g.alpha));
  return g.beta == 0.0f ? scaled : hn::MulAdd(c_old, hn::Set(d, g.beta), scaled);
}

// MR x NV vectors of C at (i, j). Every element is the same FMA chain over k = 0..K-1 whatever
// the tile shape, so row and column remainders (and thus task boundaries) never change a result.
template <int64_t MR, int64_t NV, class D>
HWY_INLINE void FullTile(D d, const GemmArgs& g, int64_t i, int64_t j) {
  using V = hn::Vec<D>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  V acc[MR][NV];
  for (int64_t r = 0; r < MR; ++r)
    for (int64_t c = 0; c < NV; ++c) acc[r][c] = hn::Zero(d);
  const float* a = g.A + i * g.a_row;
  const float* b = g.B + j;
  for (int64_t k = 0; k < g.K; ++k, a += g.a_col, b += g.ldb) {
    V bv[NV];
    for (int64_t c = 0; c < NV; ++c) bv[c] = hn::LoadU(d, b + c * N);
    for (int64_t r = 0; r < MR; ++r) {
      const V av = hn::Set(d, a[r * g.a_row]);
      for (int64_t c = 0; c < NV; ++c) acc[r][c] = hn::MulAdd(av, bv[c], acc[r][c]);
    }
  }
  for (int64_t r = 0; r < MR; ++r) {
    for (int64_t c = 0; c < NV; ++c) {
      float* p = g.C + (i + r) * g.ldc + j + c * N;
      const V old = g.beta == 0.0f ? hn::Zero(d) : hn::LoadU(d, p);
      hn::StoreU(Epilogue(d, g, acc[r][c], old), d, p);
    }
  }
}

// The last count < Lanes(d) columns. `bt` holds them zero-padded to full vectors, one row of
// Lanes(d) floats per k, so the K loop does plain aligned loads.
template <int64_t MR, class D>
HWY_INLINE void TailTile(D d, const GemmArgs& g, const float* bt, int64_t i, int64_t j, std::size_t count) {
  using V = hn::Vec<D>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  V acc[MR];
  for (int64_t r = 0; r < MR; ++r) acc[r] = hn::Zero(d);
  const float* a = g.A + i * g.a_row;
  for (int64_t k = 0; k < g.K; ++k, a += g.a_col) {
    const V bv = hn::Load(d, bt + k * N);
    for (int64_t r = 0; r < MR; ++r) acc[r] = hn::MulAdd(hn::Set(d, a[r * g.a_row]), bv, acc[r]);
  }
  for (int64_t r = 0; r < MR; ++r) {
    float* p = g.C + (i + r) * g.ldc + j;
    const V old = g.beta == 0.0f ? hn::Zero(d) : LoadTail(d, p, count);
    StoreTail(d, Epilogue(d, g, acc[r], old), p, count);
  }
}

template <int64_t NV, class D>
HWY_INLINE void FullPanel(D d, const GemmArgs& g, int64_t i0, int64_t i1, int64_t j) {
  int64_t i = i0;
  for (; i + kMR <= i1; i += kMR) FullTile<kMR, NV>(d, g, i, j);
  switch (i1 - i) {
    case 3: FullTile<3, NV>(d, g, i, j); break;
    case 2: FullTile<2, NV>(d, g, i, j); break;
    case 1: FullTile<1, NV>(d, g, i, j); break;
    default: break;
  }
}

template <class D>
HWY_INLINE void TailPanel(D d, const GemmArgs& g, const float* bt, int64_t i0, int64_t i1, int64_t j,
                          std::size_t count) {
  int64_t i = i0;
  for (; i + kMR <= i1; i += kMR) TailTile<kMR>(d, g, bt, i, j, count);
  switch (i1 - i) {
    case 3: TailTile<3>(d, g, bt, i, j, count); break;
    case 2: TailTile<2>(d, g, bt, i, j, count); break;
    case 1: TailTile<1>(d, g, bt, i, j, count); break;
    default: break;
  }
}

// Rows [i0, i1) of C. Requires K >= 1 (the wrapper handles K == 0 and alpha == 0).
void GemmRowsF32(const GemmArgs& g, int64_t i0, int64_t i1) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  for (; j + 2 * N <= g.N; j += 2 * N) FullPanel<2>(d, g, i0, i1, j);
  if (j + N <= g.N) {
    FullPanel<1>(d, g, i0, i1, j);
    j += N;
  }
  if (j < g.N) {
    const std::size_t count = static_cast<std::size_t>(g.N - j);
    auto bt = hwy::AllocateAligned<float>(static_cast<std::size_t>(g.K * N));
    for (int64_t k = 0; k < g.K; ++k) {
      std::memcpy(bt.get() + k * N, g.B + k * g.ldb + j, count * sizeof(float));
      std::memset(bt.get() + k * N + count, 0, (N - count) * sizeof(float));
    }
    TailPanel(d, g, bt.get(), i0, i1, j, count);
  }
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(GemmRowsF32);

namespace {

// A task should carry about 2^21 flops (~20 us on one core) so that TBB overhead stays small;
// at least 16 rows so that each B panel is reused enough while it is in cache.
constexpr double kTaskFlops = 2.0 * 1024 * 1024;
constexpr int64_t kMinTaskRows = 16;

void CheckGemmArgs(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb,
                   int64_t ldc) {
  auto fail = [&](const std::string& what) {
    throw Error(ErrorCode::kInvalidArgument, "Sgemm(M=" + std::to_string(M) + ", N=" + std::to_string(N) +
                                                 ", K=" + std::to_string(K) + "): " + what);
  };
  if (M < 0 || N < 0 || K < 0) fail("negative size");
  if (lda < std::max<int64_t>(1, trans_a ? M : K)) fail("lda " + std::to_string(lda) + " too small");
  if (ldb < std::max<int64_t>(1, trans_b ? K : N)) fail("ldb " + std::to_string(ldb) + " too small");
  if (ldc < std::max<int64_t>(1, N)) fail("ldc " + std::to_string(ldc) + " too small");
}

// op(B) = B^T as a K x N row-major copy, in 32 x 32 tiles so that both the reads and the writes
// stay within a few cache lines per tile.
std::vector<float> TransposeB(const float* B, int64_t ldb, int64_t K, int64_t N) {
  std::vector<float> bt(static_cast<std::size_t>(K * N));
  constexpr int64_t kTile = 32;
  for (int64_t j0 = 0; j0 < N; j0 += kTile)
    for (int64_t k0 = 0; k0 < K; k0 += kTile)
      for (int64_t k = k0; k < std::min(K, k0 + kTile); ++k)
        for (int64_t j = j0; j < std::min(N, j0 + kTile); ++j) bt[k * N + j] = B[j * ldb + k];
  return bt;
}

}  // namespace

void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  CheckGemmArgs(trans_a, trans_b, M, N, K, lda, ldb, ldc);
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) {  // C = beta * C; A and B are not read (BLAS semantics)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
    return;
  }
  std::vector<float> packed_b;
  if (trans_b) {
    packed_b = TransposeB(B, ldb, K, N);
    B = packed_b.data();
    ldb = N;
  }
  const detail::GemmArgs g{N, K, alpha, beta, A, trans_a ? 1 : lda, trans_a ? lda : 1, B, ldb, C, ldc};
  const double row_flops = 2.0 * static_cast<double>(N) * static_cast<double>(K);
  const int64_t grain = std::max<int64_t>(kMinTaskRows, static_cast<int64_t>(kTaskFlops / row_flops));
  const auto rows_fn = HWY_DYNAMIC_DISPATCH(GemmRowsF32);
  runtime::ParallelFor(M, grain, [&](int64_t i0, int64_t i1) { rows_fn(g, i0, i1); });
}

std::vector<int64_t> MatMulShape(const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape) {
  auto fail = [&](const std::string& why) {
    throw Error(ErrorCode::kInvalidArgument,
                "MatMul of " + ShapeToString(a_shape) + " and " + ShapeToString(b_shape) + ": " + why);
  };
  if (a_shape.empty() || b_shape.empty()) fail("operands must have rank >= 1");
  const int64_t K = a_shape.back();
  const int64_t Kb = b_shape.size() == 1 ? b_shape[0] : b_shape[b_shape.size() - 2];
  if (K != Kb) fail("inner dimensions " + std::to_string(K) + " and " + std::to_string(Kb) + " differ");
  const std::vector<int64_t> a_batch(a_shape.begin(), a_shape.end() - std::min<std::size_t>(2, a_shape.size()));
  const std::vector<int64_t> b_batch(b_shape.begin(), b_shape.end() - std::min<std::size_t>(2, b_shape.size()));
  std::vector<int64_t> y;
  try {
    y = BroadcastShapes(a_batch, b_batch);
  } catch (const Error&) {
    fail("batch dimensions do not broadcast");
  }
  if (a_shape.size() >= 2) y.push_back(a_shape[a_shape.size() - 2]);
  if (b_shape.size() >= 2) y.push_back(b_shape.back());
  return y;
}

void MatMulF32(const float* a, const std::vector<int64_t>& a_shape, const float* b,
               const std::vector<int64_t>& b_shape, float* y, const std::vector<int64_t>& y_shape) {
  if (MatMulShape(a_shape, b_shape) != y_shape)
    throw Error(ErrorCode::kInvalidArgument, "MatMul of " + ShapeToString(a_shape) + " and " + ShapeToString(b_shape) +
                                                 " cannot produce shape " + ShapeToString(y_shape));
  // Promote 1-D operands: [K] -> [1, K] for A, [K] -> [K, 1] for B.
  std::vector<int64_t> as = a_shape, bs = b_shape;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  const std::vector<int64_t> a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  const std::vector<int64_t> batch = BroadcastShapes(a_batch, b_batch);
  const int64_t batches = ElementCount(batch);
  if (batches == 0 || M == 0 || N == 0) return;
  // Dense operands; a 0 width still needs a leading dimension of at least 1 (BLAS rule).
  const int64_t lda = std::max<int64_t>(1, K), ldb = std::max<int64_t>(1, N);

  // B shared by every batch and A not broadcast (a Linear layer on [batch, seq, features]): one
  // GEMM over all of A's rows at once.
  if (ElementCount(b_batch) == 1 && ElementCount(a_batch) == batches) {
    Sgemm(false, false, batches * M, N, K, 1.0f, a, lda, b, ldb, 0.0f, y, ldb);
    return;
  }
  // Otherwise one GEMM per output batch; batch strides are 0 where an operand is broadcast.
  const std::size_t rank = batch.size();
  std::vector<int64_t> a_stride(rank, 0), b_stride(rank, 0);
  for (int64_t k = static_cast<int64_t>(rank) - 1, sa = M * K, sb = K * N; k >= 0; --k) {
    const int64_t ia = k - static_cast<int64_t>(rank - a_batch.size());
    const int64_t ib = k - static_cast<int64_t>(rank - b_batch.size());
    if (ia >= 0) {
      a_stride[k] = a_batch[ia] == 1 ? 0 : sa;
      sa *= a_batch[ia];
    }
    if (ib >= 0) {
      b_stride[k] = b_batch[ib] == 1 ? 0 : sb;
      sb *= b_batch[ib];
    }
  }
  runtime::ParallelFor(batches, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      int64_t a_off = 0, b_off = 0;
      for (int64_t k = static_cast<int64_t>(rank) - 1, rest = p; k >= 0; --k) {
        const int64_t index = rest % batch[k];
        rest /= batch[k];
        a_off += index * a_stride[k];
        b_off += index * b_stride[k];
      }
      Sgemm(false, false, M, N, K, 1.0f, a + a_off, lda, b + b_off, ldb, 0.0f, y + p * M * N, ldb);
    }
  });
}

namespace {

int64_t IntAttr(const runtime::KernelContext& k, const char* name, int64_t fallback) {
  return k.attrs().Has(name) ? k.attrs().Int(name) : fallback;
}
float FloatAttr(const runtime::KernelContext& k, const char* name, float fallback) {
  return k.attrs().Has(name) ? k.attrs().Float(name) : fallback;
}

// Writes C, unidirectionally broadcast to [M, N] (scalar, [N], [1, N], [M, 1], [M, N], ...),
// into y, so that Sgemm can add alpha * A * B onto it with beta.
void BroadcastBias(const Tensor& c, int64_t M, int64_t N, float* y) {
  const std::vector<int64_t>& s = c.shape();
  if (s.size() > 2) throw Error(ErrorCode::kInvalidArgument, "Gemm: C of shape " + ShapeToString(s) + " has rank > 2");
  const int64_t cm = s.size() == 2 ? s[0] : 1;
  const int64_t cn = s.empty() ? 1 : s.back();
  if ((cm != 1 && cm != M) || (cn != 1 && cn != N))
    throw Error(ErrorCode::kInvalidArgument, "Gemm: C of shape " + ShapeToString(s) +
                                                 " does not broadcast to " + ShapeToString({M, N}));
  const float* cv = c.data<float>();
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) y[i * N + j] = cv[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
}

void GemmKernel(runtime::KernelContext& k) {
  const Tensor& a = k.In(0);
  const Tensor& b = k.In(1);
  Tensor& y = k.Out(0);
  const bool trans_a = IntAttr(k, "transA", 0) != 0;
  const bool trans_b = IntAttr(k, "transB", 0) != 0;
  const float alpha = FloatAttr(k, "alpha", 1.0f);
  float beta = FloatAttr(k, "beta", 1.0f);
  if (a.rank() != 2 || b.rank() != 2)
    throw Error(ErrorCode::kInvalidArgument,
                "Gemm: A " + ShapeToString(a.shape()) + " and B " + ShapeToString(b.shape()) + " must be matrices");
  const int64_t M = a.shape()[trans_a ? 1 : 0], K = a.shape()[trans_a ? 0 : 1];
  const int64_t Kb = b.shape()[trans_b ? 1 : 0], N = b.shape()[trans_b ? 0 : 1];
  if (K != Kb || y.shape() != std::vector<int64_t>{M, N})
    throw Error(ErrorCode::kInvalidArgument, "Gemm: A " + ShapeToString(a.shape()) + " and B " +
                                                 ShapeToString(b.shape()) + " (transA " + std::to_string(trans_a) +
                                                 ", transB " + std::to_string(trans_b) + ") do not give Y " +
                                                 ShapeToString(y.shape()));
  float* yp = y.data<float>();
  if (k.HasIn(2) && beta != 0.0f) {
    BroadcastBias(k.In(2), M, N, yp);
  } else {
    beta = 0.0f;  // no C: Y is not read
  }
  Sgemm(trans_a, trans_b, M, N, K, alpha, a.data<float>(), std::max<int64_t>(1, a.shape()[1]), b.data<float>(),
        std::max<int64_t>(1, b.shape()[1]), beta, yp, std::max<int64_t>(1, N));
}

void MatMulKernel(runtime::KernelContext& k) {
  const Tensor& a = k.In(0);
  const Tensor& b = k.In(1);
  Tensor& y = k.Out(0);
  MatMulF32(a.data<float>(), a.shape(), b.data<float>(), b.shape(), y.data<float>(), y.shape());
}

}  // namespace

AXON_KERNEL(Gemm, GemmKernel);
AXON_KERNEL(MatMul, MatMulKernel);

}  // namespace axon::kernels
#endif  // HWY_ONCE
