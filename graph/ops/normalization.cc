// LayerNormalization (ONNX opset 17) and BatchNormalization in its inference form (opset 15,
// training_mode 0).
#include "graph/ops/grad_helpers.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

// A LayerNormalization parameter (Scale, B) must broadcast to X's normalized dims,
// X.shape[axis:], without changing them: numpy's rule, one way (ONNX's function body multiplies
// and adds them, and Y keeps X's shape).
void RequireBroadcastsTo(const InferContext& ctx, std::size_t input, const Shape& x, int64_t axis) {
  const Shape& p = ctx.InShape(input);
  const std::string name = ctx.schema.input_names()[input];
  if (!p.has_rank()) return;
  const int64_t norm_rank = x.rank() - axis;
  auto fail = [&] {
    std::vector<Dim> norm(x.dims().begin() + axis, x.dims().end());
    ctx.Fail(name + " " + p.ToString() + " does not broadcast to the normalized dims " + Shape(norm).ToString());
  };
  if (p.rank() > norm_rank) fail();
  for (int64_t i = 1; i <= p.rank(); ++i) {
    const Dim& pd = p[static_cast<std::size_t>(p.rank() - i)];
    const Dim& xd = x[static_cast<std::size_t>(x.rank() - i)];
    if (pd.known() && xd.known() && pd.value() != 1 && pd.value() != xd.value()) fail();
  }
}

void InferLayerNorm(InferContext& ctx) {
  ctx.RequireFloat(0);
  ctx.RequireFloat(1);
  if (ctx.HasInput(2)) ctx.RequireFloat(2);
  const int64_t stash = ctx.attrs.Int("stash_type");
  ctx.Require(stash == 1, "stash_type " + std::to_string(stash) + " is not supported (1, float, is)");
  const Shape& x = ctx.InShape(0);
  ctx.SetOutput(0, DType::kF32, x);
  if (!x.has_rank()) {
    for (std::size_t o = 1; o < ctx.outputs.size(); ++o) ctx.SetOutput(o, DType::kF32, Shape::UnknownRank());
    return;
  }
  // A scalar has nothing to normalize over (as Softmax).
  ctx.Require(x.rank() >= 1, "input X must have rank >= 1");
  const int64_t axis = ctx.Axis(ctx.attrs.Int("axis"), x.rank());
  RequireBroadcastsTo(ctx, 1, x, axis);
  if (ctx.HasInput(2)) RequireBroadcastsTo(ctx, 2, x, axis);
  // Mean and InvStdDev: X's shape with the normalized dims kept as 1.
  std::vector<Dim> stats(x.dims().begin(), x.dims().begin() + axis);
  stats.resize(static_cast<std::size_t>(x.rank()), Dim(1));
  for (std::size_t o = 1; o < ctx.outputs.size(); ++o) ctx.SetOutput(o, DType::kF32, Shape(stats));
}

// Sums, a centred sum, squares, then a subtraction, a multiply and a multiply-add per element.
double LayerNormFlops(const FlopContext& f) { return 8 * OneFlopPerOutput(f); }

void InferBatchNorm(InferContext& ctx) {
  const int64_t training = ctx.attrs.Int("training_mode");
  ctx.Require(training == 0, "training_mode=" + std::to_string(training) +
                                 " is not supported: Axon runs BatchNormalization in its inference form "
                                 "(training_mode=0, with the given mean and variance)");
  ctx.Require(ctx.outputs.size() == 1,
              "running_mean and running_var are outputs of training mode only; in inference form the node has "
              "one output, Y");
  for (std::size_t i = 0; i < 5; ++i) ctx.RequireFloat(i);
  const Shape& x = ctx.InShape(0);
  if (x.has_rank()) ctx.Require(x.rank() >= 2, "input X must be [N, C, ...] (rank >= 2), got " + x.ToString());
  const Dim channels = x.has_rank() && x.rank() >= 2 ? x[1] : Dim();
  for (std::size_t i = 1; i < 5; ++i) {
    const Shape& p = ctx.InShape(i);
    if (!p.has_rank()) continue;
    const std::string& name = ctx.schema.input_names()[i];
    ctx.Require(p.rank() == 1, name + " must be 1-D [C], got " + p.ToString());
    if (p[0].known() && channels.known())
      ctx.Require(p[0].value() == channels.value(), name + " has " + p[0].ToString() + " entries for " +
                                                        channels.ToString() + " channels");
  }
  ctx.SetOutput(0, DType::kF32, x);
}

// A subtraction and a multiply-add per element.
double BatchNormFlops(const FlopContext& f) { return 2 * OneFlopPerOutput(f); }

// With x̂ = (X − mean)·inv over the normalized dims (N elements) and g = dY·Scale:
//   dX = inv·(g − mean(g) − x̂·mean(g·x̂)), dScale = Σ dY·x̂, dB = Σ dY (over the other dims).
// The statistics are recomputed from X (in f32, as the forward kernel does).
void LayerNormGrad(GradContext& g) {
  for (std::size_t o = 1; o < g.NumOutputs(); ++o)
    if (!g.OutGrad(o).empty()) g.Fail("a gradient reaches output " + g.Output(o) + "; only Y is differentiated");
  const int64_t rank = g.InRank(0);
  const int64_t axis = NormalizeAxis(g.attrs().Int("axis"), rank).value();
  std::vector<int64_t> axes;
  for (int64_t i = axis; i < rank; ++i) axes.push_back(i);
  const std::string& x = g.Input(0);
  const std::string& dy = g.OutGrad(0);
  auto mean = [&](const std::string& v) { return g.Op("ReduceMean", {v}, {{"axes", axes}, {"keepdims", int64_t{1}}}); };
  const std::string centred = g.Sub(x, mean(x));
  const std::string var = mean(g.Mul(centred, centred));
  const std::string inv = g.Op("Reciprocal", {g.Op("Sqrt", {g.Add(var, g.Scalar(g.attrs().Float("epsilon")))})});
  const std::string xhat = g.Mul(centred, inv);
  if (g.NeedsGrad(1)) g.SetInputGrad(1, g.SumTo(g.Mul(dy, xhat), g.Input(1)));
  if (g.NumInputs() > 2 && !g.Input(2).empty() && g.NeedsGrad(2)) g.SetInputGrad(2, g.SumTo(dy, g.Input(2)));
  if (g.NeedsGrad(0)) {
    const std::string gy = g.Mul(dy, g.Input(1));
    const std::string inner = g.Sub(g.Sub(gy, mean(gy)), g.Mul(xhat, mean(g.Mul(gy, xhat))));
    g.SetInputGrad(0, g.Mul(inner, inv));
  }
}

// The inference form, Y = scale·(X − mean)/√(var + ε) + B per channel (dim 1), with mean and var
// given: dX = dY·scale/√(var + ε), dScale = Σ dY·(X − mean)/√(var + ε), dB = Σ dY, the sums over
// every dim but the channels. The statistics themselves are not differentiated.
void BatchNormGrad(GradContext& g) {
  // input_mean and input_var get no gradient (zeros), as PyTorch's running statistics are buffers
  // that no optimizer updates; a TrainingSession leaves such values untrained rather than failing
  // on every model with a BatchNormalization.
  const int64_t rank = g.InRank(0);
  std::vector<int64_t> spatial, sum_axes = {0};
  for (int64_t i = 2; i < rank; ++i) {
    spatial.push_back(i - 1);
    sum_axes.push_back(i);
  }
  // A [C] vector as [C, 1, ...], to broadcast against X's [N, C, spatial...].
  auto per_channel = [&](const std::string& v) { return spatial.empty() ? v : g.Op("Unsqueeze", {v, g.Ints(spatial)}); };
  const std::string& dy = g.OutGrad(0);
  const std::string inv =
      g.Op("Reciprocal", {g.Op("Sqrt", {g.Add(g.Input(4), g.Scalar(g.attrs().Float("epsilon")))})});
  auto sum = [&](const std::string& v) { return g.Op("ReduceSum", {v, g.Ints(sum_axes)}, {{"keepdims", int64_t{0}}}); };
  if (g.NeedsGrad(0)) g.SetInputGrad(0, g.Mul(dy, per_channel(g.Mul(g.Input(1), inv))));
  if (g.NeedsGrad(1))
    g.SetInputGrad(1, sum(g.Mul(dy, g.Mul(g.Sub(g.Input(0), per_channel(g.Input(3))), per_channel(inv)))));
  if (g.NeedsGrad(2)) g.SetInputGrad(2, sum(dy));
}

}  // namespace

AXON_OP(LayerNormalization).Since(2).Inputs({"X", "Scale", "B"}, 2).Outputs({"Y", "Mean", "InvStdDev"}, 1)
    .Attr("axis", AttrType::kInt, int64_t{-1}).Attr("epsilon", AttrType::kFloat, 1e-5f)
    .Attr("stash_type", AttrType::kInt, int64_t{1})
    .Infer(InferLayerNorm).Flops(LayerNormFlops).Grad(LayerNormGrad);
// momentum only shapes the running statistics of training mode; it is accepted and ignored.
AXON_OP(BatchNormalization).Since(2).Inputs({"X", "scale", "B", "input_mean", "input_var"})
    .Outputs({"Y", "running_mean", "running_var"}, 1)
    .Attr("epsilon", AttrType::kFloat, 1e-5f).Attr("momentum", AttrType::kFloat, 0.9f)
    .Attr("training_mode", AttrType::kInt, int64_t{0})
    // 1: imported from an ONNX BatchNormalization before opset 14 that had its training-only
    // outputs (a training-mode export). Inference ignores it; TrainingSession refuses the model.
    .Attr("exported_for_training", AttrType::kInt, int64_t{0})
    .Infer(InferBatchNorm).Flops(BatchNormFlops).Grad(BatchNormGrad);

}  // namespace axon::graph
