// Optimizer updates as functional ops (docs/training.md): the parameter, its gradient, the
// learning rate, the 1-based step number and the optimizer state go in; the new parameter and
// state come out. The arithmetic is torch.optim's of PyTorch 1.13 (runtime/kernels/optimizer.h);
// the attributes are checked here as torch.optim's constructors check its arguments.
//
// LR and Step are read only by the kernel, on every run, never by inference: a training session
// changes them every step without making a new plan.
#include <string>

#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

// Input i is f32 with X's shape (the gradient and each state tensor are X's elementwise mates).
void RequireLikeX(const InferContext& ctx, std::size_t i) {
  ctx.RequireFloat(i);
  const Shape &x = ctx.InShape(0), &t = ctx.InShape(i);
  if (!x.has_rank() || !t.has_rank()) return;
  bool same = x.rank() == t.rank();
  for (int64_t k = 0; same && k < x.rank(); ++k) {
    const Dim &a = x[static_cast<std::size_t>(k)], &b = t[static_cast<std::size_t>(k)];
    same = !a.known() || !b.known() || a.value() == b.value();
  }
  ctx.Require(same, "input " + ctx.schema.InputName(i) + " " + t.ToString() + " must have X's shape " + x.ToString());
}

// X, G, LR, Step: the inputs every optimizer op starts with.
void RequireCommonInputs(const InferContext& ctx) {
  ctx.RequireFloat(0);
  RequireLikeX(ctx, 1);
  RequireScalar(ctx, 2, DType::kF32);
  RequireScalar(ctx, 3, DType::kI64);
}

void RequireNonNegative(const InferContext& ctx, const char* attr) {
  const float value = ctx.attrs.Float(attr);
  ctx.Require(value >= 0, std::string(attr) + " must be >= 0, got " + std::to_string(value));
}

void InferSgd(InferContext& ctx) {
  RequireCommonInputs(ctx);
  RequireNonNegative(ctx, "momentum");
  RequireNonNegative(ctx, "weight_decay");
  const float momentum = ctx.attrs.Float("momentum"), dampening = ctx.attrs.Float("dampening");
  const int64_t nesterov = ctx.attrs.Int("nesterov");
  ctx.Require(nesterov == 0 || nesterov == 1, "nesterov must be 0 or 1, got " + std::to_string(nesterov));
  // torch.optim.SGD refuses the same combination.
  ctx.Require(nesterov == 0 || (momentum > 0 && dampening == 0),
              "nesterov momentum requires a momentum > 0 and zero dampening (momentum " + std::to_string(momentum) +
                  ", dampening " + std::to_string(dampening) + ")");
  // The momentum buffer exists exactly when there is momentum, as in torch.optim.SGD's state.
  const bool has_buffer = momentum != 0;
  if (has_buffer) {
    ctx.Require(ctx.HasInput(4) && ctx.outputs.size() == 2,
                "momentum " + std::to_string(momentum) + " needs the momentum buffer: input V and output V_new");
    RequireLikeX(ctx, 4);
  } else {
    ctx.Require(!ctx.HasInput(4) && ctx.outputs.size() == 1,
                "without momentum there is no momentum buffer: give neither input V nor output V_new");
  }
  for (std::size_t o = 0; o < ctx.outputs.size(); ++o) ctx.SetOutput(o, DType::kF32, ctx.InShape(0));
}

void InferAdam(InferContext& ctx) {
  RequireCommonInputs(ctx);
  RequireLikeX(ctx, 4);
  RequireLikeX(ctx, 5);
  for (const char* beta : {"beta1", "beta2"}) {
    const float value = ctx.attrs.Float(beta);
    ctx.Require(value >= 0 && value < 1, std::string(beta) + " must be in [0, 1), got " + std::to_string(value));
  }
  RequireNonNegative(ctx, "epsilon");
  RequireNonNegative(ctx, "weight_decay");
  const int64_t decoupled = ctx.attrs.Int("decoupled");
  ctx.Require(decoupled == 0 || decoupled == 1, "decoupled must be 0 or 1, got " + std::to_string(decoupled));
  for (std::size_t o = 0; o < 3; ++o) ctx.SetOutput(o, DType::kF32, ctx.InShape(0));
}

// Per element: the decay FMA, the buffer's multiply and FMA, Nesterov's FMA, the update's FMA.
double SgdFlops(const FlopContext& f) {
  return 2 * (f.attrs.Float("momentum") != 0 ? 4 : 1) * OneFlopPerOutput(f);
}
// Per element: decay, two moment updates (5), square root, divide, add, multiply, divide, add.
double AdamFlops(const FlopContext& f) { return 13 * OneFlopPerOutput(f); }

}  // namespace

AXON_OP(SGD)
    .Inputs({"X", "G", "LR", "Step", "V"}, 4)
    .Outputs({"X_new", "V_new"}, 1)
    .Attr("momentum", AttrType::kFloat, 0.0f)
    .Attr("dampening", AttrType::kFloat, 0.0f)
    .Attr("nesterov", AttrType::kInt, int64_t{0})
    .Attr("weight_decay", AttrType::kFloat, 0.0f)
    .Infer(InferSgd)
    .Flops(SgdFlops)
    .Since(3);

AXON_OP(Adam)
    .Inputs({"X", "G", "LR", "Step", "M", "V"})
    .Outputs({"X_new", "M_new", "V_new"})
    .Attr("beta1", AttrType::kFloat, 0.9f)
    .Attr("beta2", AttrType::kFloat, 0.999f)
    .Attr("epsilon", AttrType::kFloat, 1e-8f)
    .Attr("weight_decay", AttrType::kFloat, 0.0f)
    .Attr("decoupled", AttrType::kInt, int64_t{0})
    .Infer(InferAdam)
    .Flops(AdamFlops)
    .Since(3);

}  // namespace axon::graph
