// ScatterND (ONNX opset 16): a copy of data with slices replaced (or combined, by reduction "add"
// or "mul") by updates, at positions that i64 index tuples name. indices [..., k] holds tuples of
// k <= rank(data) positions (negative counts from the back); each names the slice data[i0, ...,
// ik-1, :, ...], and updates has shape indices.shape[:-1] + data.shape[k:]. The output is data's
// dtype and shape. An index out of range is found by the kernel at run time, before anything is
// written. Tuples that repeat replace in order (ONNX leaves the order undefined; here the last wins).
#include <string>

#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

void InferScatterND(InferContext& ctx) {
  const std::string& reduction = ctx.attrs.String("reduction");
  ctx.Require(reduction == "none" || reduction == "add" || reduction == "mul",
              "reduction must be none, add or mul, got '" + reduction + "'");
  const DType t = ctx.InType(0);
  ctx.Require(reduction == "none" || t == DType::kF32 || t == DType::kI32 || t == DType::kI64 || t == DType::kI8 ||
                  t == DType::kU8,
              "reduction " + reduction + " needs numeric data, got " + std::string(DTypeName(t)));
  ctx.Require(ctx.InType(1) == DType::kI64, "indices must be i64, got " + std::string(DTypeName(ctx.InType(1))));
  ctx.Require(ctx.InType(2) == t, "updates must have data's dtype " + std::string(DTypeName(t)) + ", got " +
                                      std::string(DTypeName(ctx.InType(2))));
  const Shape& data = ctx.InShape(0);
  const Shape& indices = ctx.InShape(1);
  const Shape& updates = ctx.InShape(2);
  if (data.has_rank()) ctx.Require(data.rank() >= 1, "data must have at least one dim");
  if (indices.has_rank()) ctx.Require(indices.rank() >= 1, "indices must have at least one dim");
  if (data.has_rank() && indices.has_rank() && updates.has_rank() && indices[indices.rank() - 1].known()) {
    const int64_t k = indices[indices.rank() - 1].value();
    ctx.Require(k <= data.rank(), "index tuples have " + std::to_string(k) + " entries (indices " + indices.ToString() +
                                      "), more than data's rank " + std::to_string(data.rank()));
    // updates = indices.shape[:-1] + data.shape[k:]; an unknown dim is taken to fit.
    std::vector<Dim> want(indices.dims().begin(), indices.dims().end() - 1);
    want.insert(want.end(), data.dims().begin() + k, data.dims().end());
    bool fits = updates.rank() == static_cast<int64_t>(want.size());
    for (std::size_t i = 0; fits && i < want.size(); ++i)
      fits = !want[i].known() || !updates[static_cast<int64_t>(i)].known() ||
             want[i].value() == updates[static_cast<int64_t>(i)].value();
    ctx.Require(fits, "updates " + updates.ToString() + " must be " + Shape(want).ToString() +
                          " (indices.shape[:-1] + data.shape[k:] for data " + data.ToString() + ", indices " +
                          indices.ToString() + ")");
  }
  ctx.SetOutput(0, t, data);
}

}  // namespace

AXON_OP(ScatterND).Since(3).Inputs({"data", "indices", "updates"}).Outputs({"output"})
    .Attr("reduction", AttrType::kString, std::string("none")).Infer(InferScatterND);

}  // namespace axon::graph
