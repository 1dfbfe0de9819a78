// Pad (ONNX opset-13 semantics: pads and constant_value are inputs; modes constant, reflect,
// edge; opset 18's axes input and opset 19's wrap mode are not part of it). Any dtype: it moves
// data. pads may be negative (crop): a dim is cropped first, then padded, as ONNX Runtime does.
#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

void InferPad(InferContext& ctx) {
  const DType dtype = ctx.InType(0);
  const std::string& mode = ctx.attrs.String("mode");
  ctx.Require(mode == "constant" || mode == "reflect" || mode == "edge",
              "mode '" + mode + "' must be constant, reflect or edge" +
                  (mode == "wrap" ? std::string(" (wrap came with opset 19 and is not supported)") : ""));
  ctx.Require(ctx.InType(1) == DType::kI64, "pads must be i64, got " + std::string(DTypeName(ctx.InType(1))));
  const Shape& pads_shape = ctx.InShape(1);
  ctx.Require(!pads_shape.has_rank() || pads_shape.rank() == 1, "pads must be 1-D, got " + pads_shape.ToString());
  if (ctx.HasInput(2)) {
    ctx.Require(ctx.InType(2) == dtype, "constant_value must have the data's dtype " + std::string(DTypeName(dtype)) +
                                            ", got " + std::string(DTypeName(ctx.InType(2))));
    const Shape& c = ctx.InShape(2);
    ctx.Require(!c.has_rank() || c.rank() == 0 || (c.rank() == 1 && (!c[0].known() || c[0].value() == 1)),
                "constant_value must be a scalar, got " + c.ToString());
  }
  const Shape& x = ctx.InShape(0);
  if (!x.has_rank()) return ctx.SetOutput(0, dtype, Shape::UnknownRank());
  const int64_t rank = x.rank();
  if (pads_shape.has_rank() && pads_shape[0].known())
    ctx.Require(pads_shape[0].value() == 2 * rank, "pads " + pads_shape.ToString() + " must have 2 x rank = " +
                                                       std::to_string(2 * rank) + " values (begins, then ends)");
  const Tensor* pads = ctx.InputValue(1);
  if (!pads) return ctx.SetOutput(0, dtype, Shape(std::vector<Dim>(static_cast<std::size_t>(rank))));
  const int64_t* p = pads->data<int64_t>();
  std::vector<Dim> out;
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t begin = p[i], end = p[rank + i];
    // Bounded so that adding them to a dim cannot overflow; no output dim could be larger anyway.
    ctx.Require(begin > -kMaxElementCount && begin < kMaxElementCount && end > -kMaxElementCount && end < kMaxElementCount,
                "pads of dim " + std::to_string(i) + " are out of range");
    if (!x[i].known()) {  // unpadded, a symbolic dim stays itself
      out.push_back(begin == 0 && end == 0 ? x[i] : Dim());
      continue;
    }
    const int64_t in = x[i].value(), kept = in + std::min<int64_t>(0, begin) + std::min<int64_t>(0, end);
    ctx.Require(kept >= 0, "pads " + std::to_string(begin) + ", " + std::to_string(end) + " crop more than dim " +
                               std::to_string(i) + "'s " + std::to_string(in) + " elements");
    if (mode != "constant" && (begin > 0 || end > 0))
      ctx.Require(kept > 0, "mode " + mode + " cannot pad dim " + std::to_string(i) + ": it has no elements left to copy");
    out.emplace_back(kept + std::max<int64_t>(0, begin) + std::max<int64_t>(0, end));
  }
  ctx.SetOutput(0, dtype, Shape(std::move(out)));
}

// Constant mode only: the adjoint of padding by `pads` (crops where negative) is padding dY by
// −pads, which crops what was added and puts zeros where was cropped. Pads computed at run time
// (F.pad's export builds them from shapes) are negated at run time too.
void PadGrad(GradContext& g) {
  if (g.attrs().String("mode") != "constant") g.Fail("only mode 'constant' has a gradient rule");
  if (g.NumInputs() > 2 && g.NeedsGrad(2)) g.Fail("constant_value is not differentiated");
  const Tensor* pads = g.ConstantInput(1);
  if (!pads) return g.SetInputGrad(0, g.Op("Pad", {g.OutGrad(0), g.Op("Sub", {g.Ints({0}), g.Input(1)})}));
  std::vector<int64_t> negated(static_cast<std::size_t>(pads->size()));
  for (std::size_t i = 0; i < negated.size(); ++i) negated[i] = -pads->data<int64_t>()[i];
  g.SetInputGrad(0, g.Op("Pad", {g.OutGrad(0), g.Ints(negated)}));
}

}  // namespace

AXON_OP(Pad)
    .Inputs({"data", "pads", "constant_value"}, 2)
    .Outputs({"output"})
    .Attr("mode", AttrType::kString, std::string("constant"))
    .Infer(InferPad)
    .Since(2)
    .Grad(PadGrad);

}  // namespace axon::graph
