// LayerNormalization (ONNX opset 17) and BatchNormalization (opset 15): the inference form
// (training_mode 0) and training mode (1, batch statistics, the running statistics updated as
// PyTorch's nn.BatchNorm*d in train() does), with BatchNormalizationGrad for the latter.
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
  ctx.Require(training == 0 || training == 1, "training_mode must be 0 or 1, got " + std::to_string(training));
  ctx.Require(training == 1 || ctx.outputs.size() == 1,
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
  for (std::size_t o = 1; o < ctx.outputs.size(); ++o) ctx.SetOutput(o, DType::kF32, Shape({channels}));
}

// dY and X of one shape [N, C, ...], scale [C]: dX like X, dScale and dB like scale.
void InferBatchNormGrad(InferContext& ctx) {
  for (std::size_t i = 0; i < 3; ++i) ctx.RequireFloat(i);
  const Shape& dy = ctx.InShape(0);
  const Shape& x = ctx.InShape(1);
  if (x.has_rank()) ctx.Require(x.rank() >= 2, "input X must be [N, C, ...] (rank >= 2), got " + x.ToString());
  if (dy.has_rank() && x.has_rank()) {
    bool same = dy.rank() == x.rank();
    for (int64_t i = 0; same && i < x.rank(); ++i) same = !dy[i].known() || !x[i].known() || dy[i].value() == x[i].value();
    ctx.Require(same, "dY " + dy.ToString() + " and X " + x.ToString() + " must have one shape");
  }
  const Dim channels = x.has_rank() && x.rank() >= 2 ? x[1] : Dim();
  const Shape& scale = ctx.InShape(2);
  if (scale.has_rank()) {
    ctx.Require(scale.rank() == 1, "scale must be 1-D [C], got " + scale.ToString());
    if (scale[0].known() && channels.known())
      ctx.Require(scale[0].value() == channels.value(),
                  "scale has " + scale[0].ToString() + " entries for " + channels.ToString() + " channels");
  }
  ctx.SetOutput(0, DType::kF32, x);
  for (std::size_t o = 1; o < ctx.outputs.size(); ++o) ctx.SetOutput(o, DType::kF32, Shape({channels}));
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
// every dim but the channels. The statistics themselves are not differentiated. Training mode's
// mean and variance are the batch's, functions of X: its gradients go through them
// (BatchNormalizationGrad), and the running statistics it outputs carry no gradient.
void BatchNormGrad(GradContext& g) {
  if (g.attrs().Int("training_mode") == 1) {
    for (std::size_t o = 1; o < g.NumOutputs(); ++o)
      if (!g.OutGrad(o).empty()) g.Fail("a gradient reaches running statistic " + g.Output(o) + "; only Y is differentiated");
    const std::vector<std::string> d = g.OpN("BatchNormalizationGrad", {g.OutGrad(0), g.Input(0), g.Input(1)}, 3,
                                             {{"epsilon", g.attrs().Float("epsilon")}});
    for (std::size_t i = 0; i < 3; ++i) g.SetInputGrad(i, d[i]);
    return;
  }
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
// momentum (ONNX's: running·momentum + batch statistic·(1 − momentum); 0.9 is torch's 0.1) shapes
// the running statistics of training mode only.
AXON_OP(BatchNormalization).Since(2).Inputs({"X", "scale", "B", "input_mean", "input_var"})
    .Outputs({"Y", "running_mean", "running_var"}, 1)
    .Attr("epsilon", AttrType::kFloat, 1e-5f).Attr("momentum", AttrType::kFloat, 0.9f)
    .Attr("training_mode", AttrType::kInt, int64_t{0})
    // 1: imported from an ONNX BatchNormalization before opset 14 that had its training-only
    // outputs (a training-mode export). Inference ignores it; a TrainingSession trains the node
    // in training mode (batch statistics), as PyTorch trains the module in train().
    .Attr("exported_for_training", AttrType::kInt, int64_t{0})
    .Infer(InferBatchNorm).Flops(BatchNormFlops).Grad(BatchNormGrad);
// Training mode's backward: dX, dScale, dB from dY, X and scale (the batch statistics recomputed
// from X exactly as the forward computed them).
AXON_OP(BatchNormalizationGrad).Since(3).Inputs({"dY", "X", "scale"}).Outputs({"dX", "dScale", "dB"})
    .Attr("epsilon", AttrType::kFloat, 1e-5f)
    .Infer(InferBatchNormGrad).Flops([](const FlopContext& f) { return 8 * OneFlopPerOutput(f); });

}  // namespace axon::graph
