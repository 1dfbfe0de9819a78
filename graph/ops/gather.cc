// Gather (ONNX opset 13): entries of data along `axis` picked by indices (i64 or i32, negative
// counts from the back). The output shape needs no values; an index out of range is found by the
// kernel at run time, before anything is read.
#include <string>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

void InferGather(InferContext& ctx) {
  const Shape& data = ctx.InShape(0);
  const Shape& indices = ctx.InShape(1);
  ctx.Require(ctx.InType(1) == DType::kI64 || ctx.InType(1) == DType::kI32,
              "indices must be i64 or i32, got " + std::string(DTypeName(ctx.InType(1))));
  if (!data.has_rank() || !indices.has_rank()) return ctx.SetOutput(0, ctx.InType(0), Shape::UnknownRank());
  ctx.Require(data.rank() >= 1, "data must have at least one dim");
  const auto axis = static_cast<std::size_t>(ctx.Axis(ctx.attrs.Int("axis"), data.rank()));
  std::vector<Dim> out(data.dims().begin(), data.dims().begin() + static_cast<std::ptrdiff_t>(axis));
  out.insert(out.end(), indices.dims().begin(), indices.dims().end());
  out.insert(out.end(), data.dims().begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.dims().end());
  ctx.SetOutput(0, ctx.InType(0), Shape(std::move(out)));
}

// GatherGrad(dY, indices, Like): Like's shape (the gathered data's), dY's rows added back where
// they were gathered from. dY must have Gather's output shape for that data and those indices.
void InferGatherGrad(InferContext& ctx) {
  ctx.RequireFloat(0);
  ctx.Require(ctx.InType(1) == DType::kI64 || ctx.InType(1) == DType::kI32,
              "indices must be i64 or i32, got " + std::string(DTypeName(ctx.InType(1))));
  const Shape& dy = ctx.InShape(0);
  const Shape& indices = ctx.InShape(1);
  const Shape& like = ctx.InShape(2);
  if (dy.has_rank() && indices.has_rank() && like.has_rank()) {
    ctx.Require(like.rank() >= 1, "Like must have at least one dim");
    const auto axis = static_cast<std::size_t>(ctx.Axis(ctx.attrs.Int("axis"), like.rank()));
    std::vector<Dim> expected(like.dims().begin(), like.dims().begin() + static_cast<std::ptrdiff_t>(axis));
    expected.insert(expected.end(), indices.dims().begin(), indices.dims().end());
    expected.insert(expected.end(), like.dims().begin() + static_cast<std::ptrdiff_t>(axis) + 1, like.dims().end());
    bool fits = dy.rank() == static_cast<int64_t>(expected.size());
    for (std::size_t i = 0; fits && i < expected.size(); ++i)
      fits = !dy[i].known() || !expected[i].known() || dy[i].value() == expected[i].value();
    ctx.Require(fits, "dY " + dy.ToString() + " is not Gather's output for data " + like.ToString() + " and indices " +
                          indices.ToString());
  }
  ctx.SetOutput(0, DType::kF32, like);
}

}  // namespace

AXON_OP(Gather).Inputs({"data", "indices"}).Outputs({"output"}).Attr("axis", AttrType::kInt, int64_t{0})
    .Infer(InferGather).Since(2)
    .Grad([](GradContext& g) {
      g.SetInputGrad(0, g.Op("GatherGrad", {g.OutGrad(0), g.Input(1), g.Input(0)}, {{"axis", g.attrs().Int("axis")}}));
    });
AXON_OP(GatherGrad).Inputs({"dY", "indices", "Like"}).Outputs({"dData"}).Attr("axis", AttrType::kInt, int64_t{0})
    .Infer(InferGatherGrad).Since(3);

}  // namespace axon::graph
