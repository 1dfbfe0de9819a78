// Pooling (ONNX opset-17 semantics): MaxPool (opset 12: dilations, ceil_mode, storage_order;
// output Y only), AveragePool (opset 11: count_include_pad, ceil_mode; no dilations before
// opset 19) and GlobalAveragePool. The window rule is window.h's, shared with Conv.
#include "graph/ops/grad_helpers.h"
#include "graph/ops/infer_helpers.h"
#include "graph/ops/window.h"

namespace axon::graph {
namespace {

void RequireFlag(const InferContext& ctx, const char* name) {
  if (!ctx.attrs.Has(name)) return;
  const int64_t v = ctx.attrs.Int(name);
  ctx.Require(v == 0 || v == 1, std::string(name) + " must be 0 or 1, got " + std::to_string(v));
}

void InferPool(InferContext& ctx) {
  // MaxPool also takes 8-bit integers (ONNX opset 12); averaging is float only.
  const DType dtype = ctx.InType(0);
  if (ctx.node.op_type != "MaxPool" || (dtype != DType::kI8 && dtype != DType::kU8)) ctx.RequireFloat(0);
  // Axon computes the pooled values only; the argmax positions ONNX can also return are not
  // implemented, and saying so beats an arity error.
  if (ctx.node.outputs.size() > 1)
    throw Error(ErrorCode::kUnsupported, ctx.node.Describe() +
                                             ": the Indices output (argmax positions) is not supported; Axon's MaxPool "
                                             "computes Y only" + ctx.DescribeInputs());
  if (!ctx.attrs.Has("kernel_shape")) ctx.Fail("kernel_shape is required");
  RequireFlag(ctx, "storage_order");
  RequireFlag(ctx, "count_include_pad");
  const std::vector<int64_t>& kernel = ctx.attrs.Ints("kernel_shape");
  const Shape& x = ctx.InShape(0);
  if (x.has_rank()) {
    ctx.Require(x.rank() >= 3, "X must be [N, C, spatial...] (rank >= 3), got rank " + std::to_string(x.rank()));
    ctx.Require(static_cast<int64_t>(kernel.size()) == x.rank() - 2,
                "kernel_shape has " + std::to_string(kernel.size()) + " values for " + std::to_string(x.rank() - 2) +
                    " spatial dims");
  }
  const Window w = ReadWindow(ctx.attrs, kernel, FailThrough(ctx));  // checks the attributes either way
  if (!x.has_rank()) return ctx.SetOutput(0, dtype, Shape::UnknownRank());
  std::vector<Dim> out = {x[0], x[1]};
  for (const Dim& d : InferWindowDims(ctx, w, std::vector<Dim>(x.dims().begin() + 2, x.dims().end()))) out.push_back(d);
  ctx.SetOutput(0, dtype, Shape(std::move(out)));
}

// One compare or add per tap of each output.
double PoolFlops(const FlopContext& f) {
  double taps = 1;
  for (int64_t k : f.attrs.Ints("kernel_shape")) taps *= static_cast<double>(k);
  return taps * OneFlopPerOutput(f);
}

void InferGlobalPool(InferContext& ctx) {
  ctx.RequireFloat(0);
  const Shape& x = ctx.InShape(0);
  if (!x.has_rank()) return ctx.SetOutput(0, DType::kF32, Shape::UnknownRank());
  ctx.Require(x.rank() >= 2, "X must be [N, C, spatial...] (rank >= 2), got rank " + std::to_string(x.rank()));
  std::vector<Dim> out = {x[0], x[1]};
  out.resize(static_cast<std::size_t>(x.rank()), Dim(1));
  ctx.SetOutput(0, DType::kF32, Shape(std::move(out)));
}

// One add per input element.
double GlobalPoolFlops(const FlopContext& f) {
  double n = 1;
  for (int64_t d : f.inputs.at(0)) n *= static_cast<double>(d);
  return n;
}

// MaxPoolGrad / AveragePoolGrad (dY, X) -> dX of X's shape, with the forward node's attributes.
void InferPoolGrad(InferContext& ctx) {
  ctx.RequireFloat(0);
  ctx.RequireFloat(1);
  const Shape& dy = ctx.InShape(0);
  const Shape& x = ctx.InShape(1);
  if (dy.has_rank() && x.has_rank())
    ctx.Require(dy.rank() == x.rank(), "dY " + dy.ToString() + " and X " + x.ToString() + " differ in rank");
  if (!ctx.attrs.Has("kernel_shape")) ctx.Fail("kernel_shape is required");
  ReadWindow(ctx.attrs, ctx.attrs.Ints("kernel_shape"), FailThrough(ctx));
  ctx.SetOutput(0, DType::kF32, x);
}

// The gradient ops take the forward node's attributes as they are.
GradFn PoolGrad(const char* grad_op) {
  return [grad_op](GradContext& g) {
    if (g.NumOutputs() > 1 && !g.OutGrad(1).empty()) g.Fail("Indices has no gradient");
    g.SetInputGrad(0, g.Op(grad_op, {g.OutGrad(0), g.Input(0)}, g.node().attrs));
  };
}

}  // namespace

AXON_OP(MaxPool)
    .Inputs({"X"})
    .Outputs({"Y", "Indices"}, 1)
    .Attr("auto_pad", AttrType::kString, std::string("NOTSET"))
    .Attr("ceil_mode", AttrType::kInt, int64_t{0})
    .Attr("dilations", AttrType::kInts)
    .Attr("kernel_shape", AttrType::kInts)
    .Attr("pads", AttrType::kInts)
    .Attr("storage_order", AttrType::kInt, int64_t{0})
    .Attr("strides", AttrType::kInts)
    .Infer(InferPool)
    .Flops(PoolFlops)
    .Since(2)
    .Grad(PoolGrad("MaxPoolGrad"));

AXON_OP(AveragePool)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("auto_pad", AttrType::kString, std::string("NOTSET"))
    .Attr("ceil_mode", AttrType::kInt, int64_t{0})
    .Attr("count_include_pad", AttrType::kInt, int64_t{0})
    .Attr("kernel_shape", AttrType::kInts)
    .Attr("pads", AttrType::kInts)
    .Attr("strides", AttrType::kInts)
    .Infer(InferPool)
    .Flops(PoolFlops)
    .Since(2)
    .Grad(PoolGrad("AveragePoolGrad"));

AXON_OP(MaxPoolGrad)
    .Inputs({"dY", "X"})
    .Outputs({"dX"})
    .Attr("auto_pad", AttrType::kString, std::string("NOTSET"))
    .Attr("ceil_mode", AttrType::kInt, int64_t{0})
    .Attr("dilations", AttrType::kInts)
    .Attr("kernel_shape", AttrType::kInts)
    .Attr("pads", AttrType::kInts)
    .Attr("storage_order", AttrType::kInt, int64_t{0})
    .Attr("strides", AttrType::kInts)
    .Infer(InferPoolGrad)
    .Flops(PoolFlops)
    .Since(3);

AXON_OP(AveragePoolGrad)
    .Inputs({"dY", "X"})
    .Outputs({"dX"})
    .Attr("auto_pad", AttrType::kString, std::string("NOTSET"))
    .Attr("ceil_mode", AttrType::kInt, int64_t{0})
    .Attr("count_include_pad", AttrType::kInt, int64_t{0})
    .Attr("kernel_shape", AttrType::kInts)
    .Attr("pads", AttrType::kInts)
    .Attr("strides", AttrType::kInts)
    .Infer(InferPoolGrad)
    .Flops(PoolFlops)
    .Since(3);

// The mean over the spatial dims: dY spread evenly back over them.
AXON_OP(GlobalAveragePool).Inputs({"X"}).Outputs({"Y"}).Infer(InferGlobalPool).Flops(GlobalPoolFlops).Since(2)
    .Grad([](GradContext& g) {
      std::vector<int64_t> spatial;
      for (int64_t i = 2; i < g.InRank(0); ++i) spatial.push_back(i);
      g.SetInputGrad(0, ExpandReduced(g, g.OutGrad(0), g.Input(0), spatial, /*mean=*/true));
    });

}  // namespace axon::graph
