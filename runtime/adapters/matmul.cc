// Adapters of MatMul and Gemm. A constant (or parameter) 2-D B is packed for the GEMM
// micro-kernel once per session, shared by every plan, and re-packed when a parameter changes.
// Gemm's C becomes the GEMM epilogue's bias when it is a scalar, a row or a column, so it is
// added while the tile is in registers instead of in a pass of its own; FusedGemm's residual and
// activation are applied there too.
#include <algorithm>
#include <cstring>

#include "runtime/adapter.h"
#include "runtime/kernels/matmul.h"

namespace axon::runtime {
namespace {

using kernels::GemmArgs;
using kernels::GemmBias;
using kernels::PackedB;

constexpr int kPackedBKey = 0;
constexpr int kScaledBiasKey = 1;

// B (input 1) packed ahead of time when it is a constant f32 matrix; op(B) is k × n. The choice
// depends on B alone, never on the planned shapes, so the step reads only the packed form.
Prepared<PackedB> PackConstantB(const BindContext& b, bool trans_b) {
  if (!b.IsConstant(1) || b.InShape(1).size() != 2 || b.InType(1) != DType::kF32) return Prepared<PackedB>();
  const Tensor* w = b.Constant(1);  // null once released: the packed form is then made already
  return b.Prepare<PackedB>(kPackedBKey, {1}, [w, trans_b] {
    const int64_t rows = w->shape()[0], cols = w->shape()[1];
    return PackedB::Pack(trans_b, trans_b ? cols : rows, trans_b ? rows : cols, w->data<float>(),
                         std::max<int64_t>(1, cols));
  });
}

int64_t RoundUp64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

BoundStep BindMatMul(const BindContext& b) {
  const kernels::MatMulLayout layout = kernels::MakeMatMulLayout(b.InShape(0), b.InShape(1));
  const Prepared<PackedB> packed = layout.one_gemm ? PackConstantB(b, false) : Prepared<PackedB>();
  const int threads = b.threads();
  const auto workspace = static_cast<int64_t>(kernels::MatMulWorkspaceBytes(layout, packed.get(), threads));
  const auto floats = static_cast<std::size_t>(workspace) / sizeof(float);
  return BoundStep{.run = [layout, packed, floats, threads](const StepArgs& a) {
                     kernels::MatMulF32(layout, a.In<float>(0), a.In<float>(1), a.Out<float>(0), packed.get(),
                                        static_cast<float*>(a.workspace), floats, threads);
                   },
                   .workspace_bytes = workspace,
                   .prepared_only = packed.get() ? uint64_t{1} << 1 : 0};
}

// How Gemm's C, unidirectionally broadcast to [M, N] (its schema checked that), enters the GEMM:
// as an epilogue bias when it is a scalar, a row ([N], [1, N]) or a column ([M, 1]); otherwise
// ([M, N]) copied into Y and scaled by beta.
GemmBias BiasKindOf(const std::vector<int64_t>& c) {
  const int64_t cm = c.size() == 2 ? c[0] : 1;
  const int64_t cn = c.empty() ? 1 : c.back();
  if (cm == 1 && cn == 1) return GemmBias::kScalar;
  if (cm == 1) return GemmBias::kPerColumn;
  if (cn == 1) return GemmBias::kPerRow;
  return GemmBias::kNone;
}

// FusedGemm's activation attribute as the epilogue's (Gemm has none: kNone).
kernels::Activation EpilogueActivation(const BindContext& b) {
  if (!b.attrs().Has("activation")) return kernels::Activation::kNone;
  const std::string& name = b.attrs().String("activation");
  if (name == "Relu") return kernels::Activation::kRelu;
  if (name == "Sigmoid") return kernels::Activation::kSigmoid;
  if (name == "Tanh") return kernels::Activation::kTanh;
  return kernels::Activation::kNone;  // "" (the schema refused anything else)
}

// Gemm, and FusedGemm (Gemm with an activation and a residual R in the epilogue).
BoundStep BindGemm(const BindContext& b) {
  const kernels::Activation activation = EpilogueActivation(b);
  const bool has_residual = b.HasIn(3);
  const bool trans_a = b.attrs().Int("transA") != 0, trans_b = b.attrs().Int("transB") != 0;
  const std::vector<int64_t>& as = b.InShape(0);
  const std::vector<int64_t>& bs = b.InShape(1);
  GemmArgs g;
  g.trans_a = trans_a, g.trans_b = trans_b;
  g.m = as[trans_a ? 1 : 0], g.k = as[trans_a ? 0 : 1], g.n = bs[trans_b ? 0 : 1];
  if (as.size() > 2) {  // FusedGemm's A of rank > 2 (never transposed): its leading dims are rows
    g.m = 1;
    for (std::size_t i = 0; i + 1 < as.size(); ++i) g.m *= as[i];
    g.k = as.back();
  }
  g.alpha = b.attrs().Float("alpha");
  g.lda = std::max<int64_t>(1, as.back()), g.ldb = std::max<int64_t>(1, bs[1]), g.ldc = std::max<int64_t>(1, g.n);
  const Prepared<PackedB> packed = PackConstantB(b, trans_b);
  g.packed_b = packed.get();
  const int threads = b.threads();
  const int64_t gemm_bytes = RoundUp64(static_cast<int64_t>(kernels::GemmWorkspaceBytes(g, threads)));
  g.packed_b = nullptr;  // re-read from the handle on every run: a parameter may be re-packed

  // C: none, a full matrix copied into Y first, or an epilogue bias (scaled by beta once for a
  // constant, on every run into the workspace otherwise).
  const float beta = b.attrs().Float("beta");
  const bool has_c = b.HasIn(2) && beta != 0.0f;
  const GemmBias kind = has_c ? BiasKindOf(b.InShape(2)) : GemmBias::kNone;
  const int64_t c_elems = has_c ? std::max<int64_t>(1, [&] {
    int64_t n = 1;
    for (int64_t d : b.InShape(2)) n *= d;
    return n;
  }()) : 0;
  Prepared<float> scaled;
  if (has_c && kind != GemmBias::kNone && beta != 1.0f && b.IsConstant(2)) {
    const Tensor* c = b.Constant(2);  // null once released: the scaled copy is then made already
    scaled = b.Prepare<float>(kScaledBiasKey, {2}, [c, beta] {
      std::shared_ptr<float[]> v(new float[static_cast<std::size_t>(c->size())]);
      for (int64_t i = 0; i < c->size(); ++i) v[i] = beta * c->data<float>()[i];
      return std::shared_ptr<const float>(v, v.get());
    });
  }
  const bool scale_each_run = has_c && kind != GemmBias::kNone && beta != 1.0f && !b.IsConstant(2);
  const int64_t bias_bytes = scale_each_run ? RoundUp64(c_elems * static_cast<int64_t>(sizeof(float))) : 0;
  const std::size_t gemm_floats = static_cast<std::size_t>(gemm_bytes) / sizeof(float);

  return BoundStep{
      .run =
          [g, packed, scaled, has_c, kind, beta, c_elems, scale_each_run, gemm_floats, threads, activation,
           has_residual](const StepArgs& a) {
            GemmArgs r = g;
            r.epilogue.activation = activation;
            if (has_residual) r.epilogue.residual = a.In<float>(3), r.epilogue.ldr = r.ldc;
            r.a = a.In<float>(0), r.b = a.In<float>(1), r.c = a.Out<float>(0), r.packed_b = packed.get();
            auto* workspace = static_cast<float*>(a.workspace);
            r.workspace = gemm_floats ? workspace : nullptr;
            r.workspace_floats = gemm_floats, r.workspace_threads = threads;
            if (has_c && kind == GemmBias::kNone) {
              std::memcpy(r.c, a.In<float>(2), static_cast<std::size_t>(r.m * r.n) * sizeof(float));
              r.beta = beta;
            } else if (has_c) {
              r.epilogue.bias_kind = kind;
              r.epilogue.bias = a.In<float>(2);
              if (scaled.get()) {
                r.epilogue.bias = scaled.get();
              } else if (scale_each_run) {
                float* bias = workspace + gemm_floats;
                for (int64_t i = 0; i < c_elems; ++i) bias[i] = beta * a.In<float>(2)[i];
                r.epilogue.bias = bias;
              }
            }
            kernels::Gemm(r);
          },
      .workspace_bytes = gemm_bytes + bias_bytes,
      .prepared_only = (packed.get() ? uint64_t{1} << 1 : 0) | (scaled.get() ? uint64_t{1} << 2 : 0)};
}

}  // namespace

AXON_ADAPTER(MatMul, BindMatMul);
AXON_ADAPTER(Gemm, BindGemm);
AXON_ADAPTER(FusedGemm, BindGemm);

}  // namespace axon::runtime
