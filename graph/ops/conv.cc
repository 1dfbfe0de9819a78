// Conv (ONNX opset-11..17 semantics): X [N, C, D1..Dn], W [M, C/group, k1..kn], optional B [M]
// -> Y [N, M, O1..On]. The window rule (pads, strides, dilations, auto_pad) is window.h's.
#include <algorithm>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"
#include "graph/ops/window.h"

namespace axon::graph {

namespace {

void InferConv(InferContext& ctx) {
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
  Dim out_channels;
  if (w.has_rank()) {
    out_channels = w[0];
    if (out_channels.known())
      ctx.Require(out_channels.value() % group == 0, "W's output channels " + out_channels.ToString() +
                                                         " do not divide into " + std::to_string(group) + " groups");
    if (channels.known()) {
      ctx.Require(channels.value() % group == 0,
                  "X's channels " + channels.ToString() + " do not divide into " + std::to_string(group) + " groups");
      if (w[1].known() && w[1].value() * group != channels.value())
        ctx.Fail("W " + w.ToString() + " expects " + std::to_string(w[1].value() * group) + " input channels (" +
                 w[1].ToString() + " per group x " + std::to_string(group) + " groups), X has " + channels.ToString());
    }
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
  const Window window = ReadWindow(ctx.attrs, kernel, FailThrough(ctx));
  const std::vector<Dim> in(x.dims().begin() + 2, x.dims().end());
  for (const Dim& d : InferWindowDims(ctx, window, in)) out.push_back(d);
  ctx.SetOutput(0, DType::kF32, Shape(std::move(out)));
}

// 2 FLOPs per multiply-add: each output element sums C/group x prod(kernel) products.
double ConvFlops(const FlopContext& f) {
  const std::vector<int64_t>& w = f.inputs.at(1);
  double per_output = 1;
  for (std::size_t i = 1; i < w.size(); ++i) per_output *= static_cast<double>(w[i]);
  return 2.0 * per_output * OneFlopPerOutput(f);
}

// ConvWeightGrad(dY, X, W) -> W's shape; W is read for its shape only.
void InferConvWeightGrad(InferContext& ctx) {
  for (std::size_t i = 0; i < 3; ++i) ctx.RequireFloat(i);
  const Shape& dy = ctx.InShape(0);
  const Shape& x = ctx.InShape(1);
  const Shape& w = ctx.InShape(2);
  if (dy.has_rank() && x.has_rank() && w.has_rank())
    ctx.Require(dy.rank() == x.rank() && w.rank() == x.rank(),
                "dY " + dy.ToString() + ", X " + x.ToString() + " and W " + w.ToString() + " must have one rank");
  ctx.SetOutput(0, DType::kF32, w);
}

// Y = conv(X, W) + B. dX is the transposed convolution of dY with the same W (its [M, C/group, k]
// layout is ConvTranspose's [in, out/group, k]), with the forward pads resolved and the
// output_padding that gives back X's size; dW is ConvWeightGrad; dB sums dY over all but channels.
void ConvGrad(GradContext& g) {
  const std::string& dy = g.OutGrad(0);
  const int64_t rank = g.InRank(0);
  if (g.NeedsGrad(0)) {
    const Shape& x = g.InInfo(0).shape;
    const Shape& w = g.InInfo(1).shape;
    std::vector<int64_t> kernel;
    for (int64_t i = 2; i < rank; ++i) {
      const Dim& k = w.has_rank() && w.rank() == rank ? w[static_cast<std::size_t>(i)] : Dim();
      const Dim& in = x[static_cast<std::size_t>(i)];
      if (!k.known() || !in.known()) g.Fail("dX needs X's spatial dims and W's kernel size known");
      kernel.push_back(k.value());
    }
    const WindowFail fail = [&g](const std::string& m) { g.Fail(m); };
    const Window win = ReadWindow(g.attrs(), kernel, fail);
    const auto spatial = static_cast<std::size_t>(rank - 2);
    std::vector<int64_t> pads(2 * spatial), output_padding(spatial);
    for (std::size_t i = 0; i < spatial; ++i) {
      const int64_t in = x[i + 2].value();
      const WindowDim d = ResolveWindowDim(win, static_cast<int64_t>(i), in, fail);
      pads[i] = d.pad_begin;
      pads[spatial + i] = d.pad_end;
      const int64_t full = win.strides[i] * (d.out - 1) + (kernel[i] - 1) * win.dilations[i] + 1;
      output_padding[i] = in - (full - d.pad_begin - d.pad_end);
    }
    g.SetInputGrad(0, g.Op("ConvTranspose", {dy, g.Input(1)},
                           {{"strides", win.strides}, {"dilations", win.dilations}, {"pads", pads},
                            {"output_padding", output_padding}, {"group", g.attrs().Int("group")}}));
  }
  if (g.NeedsGrad(1)) g.SetInputGrad(1, g.Op("ConvWeightGrad", {dy, g.Input(0), g.Input(1)}, g.node().attrs));
  if (g.NumInputs() > 2 && !g.Input(2).empty() && g.NeedsGrad(2)) {
    std::vector<int64_t> axes = {0};
    for (int64_t i = 2; i < rank; ++i) axes.push_back(i);
    g.SetInputGrad(2, g.Op("ReduceSum", {dy, g.Ints(axes)}, {{"keepdims", int64_t{0}}}));
  }
}

}  // namespace

// Conv with the GEMM epilogue's extras: Y = act(conv(X, W) + B + R), R a residual of Y's shape
// (made by conv-residual-fusion and conv-activation-fusion). Relu6 is Clip(·, 0, 6).
void InferFusedConv(InferContext& ctx) {
  InferConv(ctx);
  const std::string& act = ctx.attrs.String("activation");
  ctx.Require(act.empty() || act == "Relu" || act == "Sigmoid" || act == "Tanh" || act == "Relu6",
              "activation must be \"\", Relu, Sigmoid, Tanh or Relu6, got '" + act + "'");
  if (!ctx.HasInput(3)) return;
  ctx.Require(ctx.InType(3) == DType::kF32, "input R must be f32, got " + std::string(DTypeName(ctx.InType(3))));
  const Shape& r = ctx.InShape(3);
  const Shape& y = ctx.outputs[0].shape;
  if (!r.has_rank() || !y.has_rank()) return;
  bool same = r.rank() == y.rank();
  for (int64_t i = 0; same && i < r.rank(); ++i) same = !(r[i].known() && y[i].known() && r[i].value() != y[i].value());
  ctx.Require(same, "R " + r.ToString() + " must have Y's shape " + y.ToString());
}

AXON_OP(Conv)
    .Inputs({"X", "W", "B"}, 2)
    .Outputs({"Y"})
    .Attr("auto_pad", AttrType::kString, std::string("NOTSET"))
    .Attr("dilations", AttrType::kInts)
    .Attr("group", AttrType::kInt, int64_t{1})
    .Attr("kernel_shape", AttrType::kInts)
    .Attr("pads", AttrType::kInts)
    .Attr("strides", AttrType::kInts)
    .Infer(InferConv)
    .Flops(ConvFlops)
    .Since(2)
    .Grad(ConvGrad);
AXON_OP(FusedConv)
    .Inputs({"X", "W", "B", "R"}, 2)
    .Outputs({"Y"})
    .Attr("auto_pad", AttrType::kString, std::string("NOTSET"))
    .Attr("dilations", AttrType::kInts)
    .Attr("group", AttrType::kInt, int64_t{1})
    .Attr("kernel_shape", AttrType::kInts)
    .Attr("pads", AttrType::kInts)
    .Attr("strides", AttrType::kInts)
    .Attr("activation", AttrType::kString, std::string())
    .Infer(InferFusedConv)
    .Flops(ConvFlops)
    .Since(3);

// The gradient of Conv's W, with the forward node's attributes.
AXON_OP(ConvWeightGrad)
    .Inputs({"dY", "X", "W"})
    .Outputs({"dW"})
    .Attr("auto_pad", AttrType::kString, std::string("NOTSET"))
    .Attr("dilations", AttrType::kInts)
    .Attr("group", AttrType::kInt, int64_t{1})
    .Attr("kernel_shape", AttrType::kInts)
    .Attr("pads", AttrType::kInts)
    .Attr("strides", AttrType::kInts)
    .Infer(InferConvWeightGrad)
    .Flops([](const FlopContext& f) {  // as the forward Conv: 2 FLOPs per weight per output element
      double n = 2;
      for (std::size_t i = 1; i < f.inputs.at(2).size(); ++i) n *= static_cast<double>(f.inputs.at(2)[i]);
      for (int64_t d : f.inputs.at(0)) n *= static_cast<double>(d);
      return n;
    })
    .Since(3);

}  // namespace axon::graph
