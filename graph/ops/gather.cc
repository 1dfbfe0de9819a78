// Gather (ONNX opset 13): entries of data along `axis` picked by indices (i64 or i32, negative
// counts from the back). The output shape needs no values; an index out of range is found by the
// kernel at run time, before anything is read.
#include <string>

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

}  // namespace

AXON_OP(Gather).Inputs({"data", "indices"}).Outputs({"output"}).Attr("axis", AttrType::kInt, int64_t{0})
    .Infer(InferGather).Since(2);

}  // namespace axon::graph
