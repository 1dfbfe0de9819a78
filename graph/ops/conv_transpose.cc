// ConvTranspose (ONNX opset-11..17 semantics): X [N, C, D1..Dn], W [C, M/group, k1..kn], optional
// B [M] -> Y [N, M, O1..On], the adjoint of Conv: every input position scatters its window.
// Output sizes and pads follow window.h's ResolveTransposedDim (output_shape, output_padding,
// auto_pad, pads).
#include <algorithm>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"
#include "graph/ops/window.h"

namespace axon::graph {
namespace {

void InferConvTranspose(InferContext& ctx) {
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i)
    if (ctx.HasInput(i)) ctx.RequireFloat(i);
  const int64_t group = ctx.attrs.Int("group");
  ctx.Require(group >= 1, "group must be >= 1, got " + std::to_string(group));
  const Shape& x = ctx.InShape(0);
  const Shape& w = ctx.InShape(1);
  if (!x.has_rank()) return ctx.SetOutput(0, DType::kF32, Shape::UnknownRank());
  ctx.Require(x.rank() >= 3, "X must be [N, C, spatial...] (rank >= 3), got rank " + std::to_string(x.rank()));
  const int64_t spatial = x.rank() - 2;
  const std::vector<int64_t> kernel = KernelOf(ctx, 1, spatial);
  const Dim channels = x[1];
  if (channels.known())
    ctx.Require(channels.value() % group == 0,
                "X's channels " + channels.ToString() + " do not divide into " + std::to_string(group) + " groups");
  Dim out_channels;
  if (w.has_rank()) {
    if (w[0].known() && channels.known() && w[0].value() != channels.value())
      ctx.Fail("W " + w.ToString() + " must have X's " + channels.ToString() + " input channels first");
    if (w[1].known()) out_channels = Dim(w[1].value() * group);
  }
  if (ctx.HasInput(2) && ctx.InShape(2).has_rank()) {
    const Shape& b = ctx.InShape(2);
    ctx.Require(b.rank() == 1, "B must be 1-D [M], got " + b.ToString());
    if (b[0].known() && out_channels.known() && b[0].value() != out_channels.value())
      ctx.Fail("B " + b.ToString() + " must have one value per output channel (" + out_channels.ToString() + ")");
  }
  std::vector<Dim> out = {x[0], out_channels};
  const bool kernel_known = kernel.size() == static_cast<std::size_t>(spatial) &&
                            std::all_of(kernel.begin(), kernel.end(), [](int64_t k) { return k >= 0; });
  if (!kernel_known) {
    out.resize(static_cast<std::size_t>(x.rank()));
    return ctx.SetOutput(0, DType::kF32, Shape(std::move(out)));
  }
  const WindowFail fail = FailThrough(ctx);
  const TransposedWindow t = ReadTransposedWindow(ctx.attrs, kernel, fail);
  for (int64_t i = 0; i < spatial; ++i) {
    const Dim& in = x[static_cast<std::size_t>(i + 2)];
    if (!t.output_shape.empty()) {  // known whatever the input's size
      out.emplace_back(t.output_shape[static_cast<std::size_t>(i)]);
      if (in.known()) ResolveTransposedDim(t, i, in.value(), fail);
    } else {
      out.push_back(in.known() ? Dim(ResolveTransposedDim(t, i, in.value(), fail).out) : Dim());
    }
  }
  ctx.SetOutput(0, DType::kF32, Shape(std::move(out)));
}

// 2 FLOPs per multiply-add: every input element meets M/group x prod(kernel) weights.
double ConvTransposeFlops(const FlopContext& f) {
  const std::vector<int64_t>& w = f.inputs.at(1);
  double per_input = 1;
  for (std::size_t i = 1; i < w.size(); ++i) per_input *= static_cast<double>(w[i]);
  double inputs = 1;
  for (int64_t d : f.inputs.at(0)) inputs *= static_cast<double>(d);
  return 2.0 * per_input * inputs;
}

// The adjoint of the adjoint: dX is the Conv of dY with the same W, strides, dilations, group and
// the resolved pads (the output_padding positions get no input, so their dY is not read); dW is
// ConvWeightGrad with X and dY in each other's places; dB sums dY over all but the channels.
void ConvTransposeGrad(GradContext& g) {
  const std::string& dy = g.OutGrad(0);
  const int64_t rank = g.InRank(0);
  const Shape& x = g.InInfo(0).shape;
  const Shape& w = g.InInfo(1).shape;
  std::vector<int64_t> kernel;
  for (int64_t i = 2; i < rank; ++i) {
    const Dim& k = w.has_rank() && w.rank() == rank ? w[static_cast<std::size_t>(i)] : Dim();
    if (!k.known() || !x[static_cast<std::size_t>(i)].known()) g.Fail("needs X's spatial dims and W's kernel size known");
    kernel.push_back(k.value());
  }
  const WindowFail fail = [&g](const std::string& m) { g.Fail(m); };
  const TransposedWindow t = ReadTransposedWindow(g.attrs(), kernel, fail);
  const auto spatial = static_cast<std::size_t>(rank - 2);
  std::vector<int64_t> pads(2 * spatial);
  for (std::size_t i = 0; i < spatial; ++i) {
    const int64_t in = x[i + 2].value();
    const WindowDim d = ResolveTransposedDim(t, static_cast<int64_t>(i), in, fail);
    pads[i] = d.pad_begin;
    pads[spatial + i] = d.pad_end;
    const int64_t dilated = (kernel[i] - 1) * t.window.dilations[i] + 1;
    if ((d.out + d.pad_begin + d.pad_end - dilated) / t.window.strides[i] + 1 != in)
      g.Fail("an output_shape past the transposed convolution's full result has no gradient rule");
  }
  const std::map<std::string, Attribute> conv = {{"strides", t.window.strides}, {"dilations", t.window.dilations},
                                                 {"pads", pads}, {"group", g.attrs().Int("group")}};
  if (g.NeedsGrad(0)) g.SetInputGrad(0, g.Op("Conv", {dy, g.Input(1)}, conv));
  if (g.NeedsGrad(1)) g.SetInputGrad(1, g.Op("ConvWeightGrad", {g.Input(0), dy, g.Input(1)}, conv));
  if (g.NumInputs() > 2 && !g.Input(2).empty() && g.NeedsGrad(2)) {
    std::vector<int64_t> axes = {0};
    for (int64_t i = 2; i < rank; ++i) axes.push_back(i);
    g.SetInputGrad(2, g.Op("ReduceSum", {dy, g.Ints(axes)}, {{"keepdims", int64_t{0}}}));
  }
}

}  // namespace

AXON_OP(ConvTranspose)
    .Inputs({"X", "W", "B"}, 2)
    .Outputs({"Y"})
    .Attr("auto_pad", AttrType::kString, std::string("NOTSET"))
    .Attr("dilations", AttrType::kInts)
    .Attr("group", AttrType::kInt, int64_t{1})
    .Attr("kernel_shape", AttrType::kInts)
    .Attr("output_padding", AttrType::kInts)
    .Attr("output_shape", AttrType::kInts)
    .Attr("pads", AttrType::kInts)
    .Attr("strides", AttrType::kInts)
    .Infer(InferConvTranspose)
    .Flops(ConvTransposeFlops)
    .Since(2)
    .Grad(ConvTransposeGrad);

}  // namespace axon::graph
