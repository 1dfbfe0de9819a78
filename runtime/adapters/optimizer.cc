// Adapters of the optimizer ops: hyperparameters read once per plan; LR and Step read from their
// buffers on every run (a training session changes them each step under the same plan). Any output
// may take the buffer of any input (X's, a slot's): the kernels read each element before writing it,
// so a training session updates its parameters and their state in place.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "runtime/adapter.h"
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/optimizer.h"

namespace axon::runtime {
namespace {

// The step number of this run, refused before anything is written when it is not 1-based.
int64_t StepOf(const StepArgs& a) {
  const int64_t step = *a.In<int64_t>(3);
  if (step < 1)
    throw Error(ErrorCode::kInvalidArgument, "Step must be >= 1 (the 1-based number of the step being taken), got " +
                                                 std::to_string(step));
  return step;
}

// The shortest-decimal round trip costs more than updating a small parameter (the seed's XOR net
// has 4..8 of them a step), and the rate changes rarely: each thread keeps its last conversion.
double LearningRate(const StepArgs& a, std::size_t input = 2) {
  thread_local uint32_t last_bits = 0;
  thread_local double last_value = 0.0;  // DecimalValue(0.0f)
  const float lr = *a.In<float>(input);
  const auto bits = std::bit_cast<uint32_t>(lr);
  if (bits != last_bits) {
    last_value = kernels::DecimalValue(lr);
    last_bits = bits;
  }
  return last_value;
}

double Hyper(const BindContext& b, const char* attr) { return kernels::DecimalValue(b.attrs().Float(attr)); }

}  // namespace

AXON_ADAPTER(SGD, [](const BindContext& b) {
  const kernels::SgdConfig c{.momentum = Hyper(b, "momentum"),
                             .dampening = Hyper(b, "dampening"),
                             .weight_decay = Hyper(b, "weight_decay"),
                             .nesterov = b.attrs().Int("nesterov") != 0};
  const int64_t n = b.OutElements(0);
  const bool buffer = c.momentum != 0;  // then the schema made sure V and V_new are there
  return BoundStep{.run =
                       [c, n, buffer](const StepArgs& a) {
                         kernels::SgdF32(c, LearningRate(a), StepOf(a), a.In<float>(0), a.In<float>(1),
                                         buffer ? a.In<float>(4) : nullptr, a.Out<float>(0),
                                         buffer ? a.Out<float>(1) : nullptr, n);
                       },
                   .in_place_input = 0,
                   .elementwise_in_place = true};
});

AXON_ADAPTER(Adam, [](const BindContext& b) {
  const kernels::AdamConfig c{.beta1 = Hyper(b, "beta1"),
                              .beta2 = Hyper(b, "beta2"),
                              .epsilon = Hyper(b, "epsilon"),
                              .weight_decay = Hyper(b, "weight_decay"),
                              .decoupled = b.attrs().Int("decoupled") != 0};
  const int64_t n = b.OutElements(0);
  return BoundStep{.run =
                       [c, n](const StepArgs& a) {
                         kernels::AdamF32(c, LearningRate(a), StepOf(a), a.In<float>(0), a.In<float>(1),
                                          a.In<float>(4), a.In<float>(5), a.Out<float>(0), a.Out<float>(1),
                                          a.Out<float>(2), n);
                       },
                   .in_place_input = 0,
                   .elementwise_in_place = true};
});

// The weight gradient's GEMM with the SGD step in its epilogue, where the sum is still in
// registers (one K block); a longer K would pass partial sums through C, so there the gradient
// goes through scratch and SgdF32, as the unfused Gemm and SGD compute it. Either way the bits
// are those of Gemm then SGD. A non-finite Guard leaves X as it is.
AXON_ADAPTER(GemmSGD, [](const BindContext& b) {
  const bool trans_a = b.attrs().Int("transA") != 0, trans_b = b.attrs().Int("transB") != 0;
  const std::vector<int64_t>& as = b.InShape(0);
  const std::vector<int64_t>& bs = b.InShape(1);
  kernels::GemmArgs g;
  g.trans_a = trans_a, g.trans_b = trans_b;
  g.m = as[trans_a ? 1 : 0], g.k = as[trans_a ? 0 : 1], g.n = bs[trans_b ? 0 : 1];
  g.lda = std::max<int64_t>(1, as[1]), g.ldb = std::max<int64_t>(1, bs[1]), g.ldc = std::max<int64_t>(1, g.n);
  const bool fused = g.k <= kernels::GemmSgdStepMaxK();
  g.beta = fused ? 1.0f : 0.0f;
  const int threads = b.threads();
  const auto gemm_bytes = static_cast<int64_t>((kernels::GemmWorkspaceBytes(g, threads) + 63) / 64 * 64);
  const int64_t elements = g.m * g.n;
  const int64_t gradient_bytes = fused ? 0 : elements * static_cast<int64_t>(sizeof(float));
  const kernels::SgdConfig c{.weight_decay = Hyper(b, "weight_decay")};
  return BoundStep{.run =
                       [g, fused, threads, gemm_bytes, elements, c](const StepArgs& a) {
                         const float* x = a.In<float>(2);
                         float* x_new = a.Out<float>(0);
                         if (x_new != x) std::memcpy(x_new, x, static_cast<std::size_t>(elements) * sizeof(float));
                         if (!std::isfinite(*a.In<float>(4))) return;
                         const double lr = LearningRate(a, 3);
                         kernels::GemmArgs r = g;
                         r.a = a.In<float>(0), r.b = a.In<float>(1);
                         auto* workspace = static_cast<float*>(a.workspace);
                         r.workspace = gemm_bytes ? workspace : nullptr;
                         r.workspace_floats = static_cast<std::size_t>(gemm_bytes) / sizeof(float);
                         r.workspace_threads = threads;
                         if (fused) {
                           r.c = x_new;
                           r.epilogue.sgd_step = true;
                           r.epilogue.neg_lr = static_cast<float>(-lr);
                           r.epilogue.weight_decay = static_cast<float>(c.weight_decay);
                           return kernels::Gemm(r);
                         }
                         float* gradient = workspace + gemm_bytes / static_cast<int64_t>(sizeof(float));
                         r.c = gradient;
                         kernels::Gemm(r);
                         kernels::SgdF32(c, lr, 1, x_new, gradient, nullptr, x_new, nullptr, elements);
                       },
                   .in_place_input = 2,
                   .workspace_bytes = gemm_bytes + gradient_bytes,
                   .elementwise_in_place = true};
});

}  // namespace axon::runtime
