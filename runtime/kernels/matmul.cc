// The MatMul and Gemm op kernels. Constant weights (B an initializer) are packed for the GEMM
// micro-kernel once, when the session is compiled; a run then packs nothing for them. Gemm's C
// becomes the GEMM epilogue's bias when it is a scalar, a row or a column, so it is added while
// the tile is in registers instead of in a pass of its own.

#include "runtime/kernels/matmul.h"

#include <algorithm>
#include <string>

#include "axon/error.h"
#include "axon/tensor.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/elementwise.h"
#include "runtime/parallel.h"

namespace axon::kernels {

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
               const std::vector<int64_t>& b_shape, float* y, const std::vector<int64_t>& y_shape,
               const PackedB* packed_b) {
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

  GemmArgs g;
  g.n = N, g.k = K;
  g.lda = std::max<int64_t>(1, K), g.ldb = std::max<int64_t>(1, N), g.ldc = std::max<int64_t>(1, N);
  // B shared by every batch and A not broadcast (a Linear layer on [batch, seq, features]): one
  // GEMM over all of A's rows at once.
  if (ElementCount(b_batch) == 1 && ElementCount(a_batch) == batches) {
    g.m = batches * M, g.a = a, g.b = b, g.c = y, g.packed_b = packed_b;
    Gemm(g);
    return;
  }
  // Otherwise one GEMM per output batch; batch strides are 0 where an operand is broadcast.
  g.m = M;
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
      GemmArgs gp = g;
      gp.a = a + a_off, gp.b = b + b_off, gp.c = y + p * M * N;
      Gemm(gp);
    }
  });
}

namespace {

// A constant 2-D B, packed for the GEMM micro-kernel at compile time.
std::shared_ptr<const void> PackConstantB(const runtime::PrepareContext& ctx, bool trans_b) {
  const Tensor* b = ctx.constants.size() > 1 ? ctx.constants[1] : nullptr;
  if (!b || b->rank() != 2 || b->dtype() != DType::kF32) return nullptr;
  const int64_t rows = b->shape()[0], cols = b->shape()[1];
  return PackedB::Pack(trans_b, trans_b ? cols : rows, trans_b ? rows : cols, b->data<float>(),
                       std::max<int64_t>(1, cols));
}

void MatMulKernel(runtime::KernelContext& k) {
  const Tensor& a = k.In(0);
  const Tensor& b = k.In(1);
  Tensor& y = k.Out(0);
  MatMulF32(a.data<float>(), a.shape(), b.data<float>(), b.shape(), y.data<float>(), y.shape(), k.Prepared<PackedB>());
}

// How Gemm's C, unidirectionally broadcast to [M, N], enters the GEMM: as an epilogue bias when
// it is a scalar, a row ([N], [1, N]) or a column ([M, 1]); otherwise ([M, N]) copied into Y and
// scaled by beta.
GemmBias BiasKindOf(const std::vector<int64_t>& s, int64_t M, int64_t N) {
  if (s.size() > 2) throw Error(ErrorCode::kInvalidArgument, "Gemm: C of shape " + ShapeToString(s) + " has rank > 2");
  const int64_t cm = s.size() == 2 ? s[0] : 1;
  const int64_t cn = s.empty() ? 1 : s.back();
  if ((cm != 1 && cm != M) || (cn != 1 && cn != N))
    throw Error(ErrorCode::kInvalidArgument, "Gemm: C of shape " + ShapeToString(s) +
                                                 " does not broadcast to " + ShapeToString({M, N}));
  if (cm == 1 && cn == 1) return GemmBias::kScalar;
  if (cm == 1) return GemmBias::kPerColumn;
  if (cn == 1) return GemmBias::kPerRow;
  return GemmBias::kNone;  // a full matrix
}

void GemmKernel(runtime::KernelContext& k) {
  const Tensor& a = k.In(0);
  const Tensor& b = k.In(1);
  Tensor& y = k.Out(0);
  const bool trans_a = k.attrs().Int("transA") != 0;
  const bool trans_b = k.attrs().Int("transB") != 0;
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
  GemmArgs g;
  g.trans_a = trans_a, g.trans_b = trans_b, g.m = M, g.n = N, g.k = K;
  g.alpha = k.attrs().Float("alpha");
  g.a = a.data<float>(), g.lda = std::max<int64_t>(1, a.shape()[1]);
  g.b = b.data<float>(), g.ldb = std::max<int64_t>(1, b.shape()[1]);
  g.packed_b = k.Prepared<PackedB>();
  g.c = y.data<float>(), g.ldc = std::max<int64_t>(1, N);
  const float beta = k.attrs().Float("beta");
  std::vector<float> scaled_bias;
  if (k.HasIn(2) && beta != 0.0f) {
    const Tensor& c = k.In(2);
    const GemmBias kind = BiasKindOf(c.shape(), M, N);
    if (kind == GemmBias::kNone) {
      std::copy_n(c.data<float>(), M * N, g.c);
      g.beta = beta;
    } else {
      g.epilogue.bias_kind = kind;
      g.epilogue.bias = c.data<float>();
      if (beta != 1.0f) {
        scaled_bias.assign(c.data<float>(), c.data<float>() + c.size());
        for (float& v : scaled_bias) v *= beta;
        g.epilogue.bias = scaled_bias.data();
      }
    }
  }
  Gemm(g);
}

}  // namespace

AXON_KERNEL(Gemm, GemmKernel, [](const runtime::PrepareContext& ctx) { return PackConstantB(ctx, ctx.attrs.Int("transB") != 0); });
AXON_KERNEL(MatMul, MatMulKernel, [](const runtime::PrepareContext& ctx) { return PackConstantB(ctx, false); });

}  // namespace axon::kernels
