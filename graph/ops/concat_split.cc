// Concat (ONNX opset 13: any number of inputs joined along `axis`) and Split (opset 13: sizes as
// an optional input read through InputValue, equal parts otherwise; one output per part).
#include <string>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

void InferConcat(InferContext& ctx) {
  const std::size_t n = ctx.inputs.size();
  const DType dtype = ctx.InType(0);
  std::size_t ranked = n;  // the first input whose rank is known
  for (std::size_t i = 0; i < n; ++i) {
    ctx.Require(ctx.InType(i) == dtype, "input " + std::to_string(i) + " is " + std::string(DTypeName(ctx.InType(i))) +
                                            ", input 0 is " + std::string(DTypeName(dtype)));
    if (!ctx.InShape(i).has_rank()) continue;
    if (ranked == n) ranked = i;
    ctx.Require(ctx.InShape(i).rank() == ctx.InShape(ranked).rank(),
                "input " + std::to_string(i) + " has rank " + std::to_string(ctx.InShape(i).rank()) + ", input " +
                    std::to_string(ranked) + " has rank " + std::to_string(ctx.InShape(ranked).rank()));
  }
  if (ranked == n) return ctx.SetOutput(0, dtype, Shape::UnknownRank());
  const int64_t rank = ctx.InShape(ranked).rank();
  ctx.Require(rank >= 1, "cannot concatenate scalars");
  const auto axis = static_cast<std::size_t>(ctx.Axis(ctx.attrs.Int("axis"), rank));
  std::vector<Dim> out = ctx.InShape(ranked).dims();
  int64_t total = 0;
  bool total_known = true;
  for (std::size_t i = 0; i < n; ++i) {
    const Shape& s = ctx.InShape(i);
    if (!s.has_rank()) {
      total_known = false;
      continue;
    }
    for (std::size_t k = 0; k < out.size(); ++k) {
      if (k == axis) continue;
      if (s[k].known() && out[k].known()) {
        ctx.Require(s[k].value() == out[k].value(), "inputs differ in dim " + std::to_string(k) + " (" +
                                                        out[k].ToString() + " vs " + s[k].ToString() + ")");
      } else if (s[k].known()) {
        out[k] = s[k];
      } else if (!out[k].known() && !(out[k] == s[k])) {
        out[k] = Dim();  // two different unknowns: equal at run time, but neither name is right
      }
    }
    if (!s[axis].known()) {
      total_known = false;
    } else {
      // Each dim is at most kMaxElementCount, so the sum is checked before it could overflow.
      ctx.Require(s[axis].value() <= kMaxElementCount - total, "the inputs' dims along the axis add up to too many");
      total += s[axis].value();
    }
  }
  out[axis] = total_known ? Dim(total) : Dim();
  ctx.SetOutput(0, dtype, Shape(std::move(out)));
}

void InferSplit(InferContext& ctx) {
  const Shape& in = ctx.InShape(0);
  const DType dtype = ctx.InType(0);
  const std::size_t parts = ctx.node.outputs.size();
  std::optional<int64_t> count;
  std::optional<std::vector<int64_t>> split;
  if (ctx.HasInput(1)) {
    count = RequireI64Vector(ctx, 1, "split");
    split = IntValues(ctx, 1);
    if (split) count = static_cast<int64_t>(split->size());
    if (count)
      ctx.Require(*count == static_cast<int64_t>(parts),
                  "split has " + std::to_string(*count) + " sizes for " + std::to_string(parts) + " outputs");
  }
  if (!in.has_rank()) {
    for (std::size_t o = 0; o < parts; ++o) ctx.SetOutput(o, dtype, Shape::UnknownRank());
    return;
  }
  ctx.Require(in.rank() >= 1, "cannot split a scalar");
  const auto axis = static_cast<std::size_t>(ctx.Axis(ctx.attrs.Int("axis"), in.rank()));
  const Dim dim = in[axis];
  std::vector<Dim> sizes(parts);
  if (split) {
    int64_t total = 0;
    for (int64_t s : *split) {
      ctx.Require(s >= 0 && s <= kMaxElementCount - total, "split " + ShapeToString(*split) + " has an invalid size");
      total += s;
    }
    ctx.Require(!dim.known() || total == dim.value(), "split " + ShapeToString(*split) + " adds up to " +
                                                          std::to_string(total) + ", not to dim " + std::to_string(axis) +
                                                          " of size " + dim.ToString());
    for (std::size_t o = 0; o < parts; ++o) sizes[o] = Dim((*split)[o]);
  } else if (!ctx.HasInput(1) && dim.known()) {
    const auto n = static_cast<int64_t>(parts);
    ctx.Require(dim.value() % n == 0, "dim " + std::to_string(axis) + " of size " + dim.ToString() +
                                          " does not split into " + std::to_string(parts) + " equal parts");
    for (Dim& s : sizes) s = Dim(dim.value() / n);
  }
  for (std::size_t o = 0; o < parts; ++o) {
    std::vector<Dim> out = in.dims();
    out[axis] = sizes[o];
    ctx.SetOutput(o, dtype, Shape(std::move(out)));
  }
}

// dY split back into the inputs' pieces along the axis, by one Split. The sizes are constants when
// every input's dim there is known, else Shape slices read when a plan is made.
void ConcatGrad(GradContext& g) {
  const std::size_t n = g.NumInputs();
  const int64_t rank = g.InRank(0);
  const int64_t axis = NormalizeAxis(g.attrs().Int("axis"), rank).value();
  std::vector<int64_t> sizes;
  for (std::size_t i = 0; i < n; ++i) {
    const Dim& d = g.InInfo(i).shape[static_cast<std::size_t>(axis)];
    if (d.known()) sizes.push_back(d.value());
  }
  std::string split;
  if (sizes.size() == n) {
    split = g.Ints(sizes);
  } else {
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < n; ++i)
      parts.push_back(g.Op("Shape", {g.Input(i)}, {{"start", axis}, {"end", axis + 1}}));
    split = g.Op("Concat", parts, {{"axis", int64_t{0}}});
  }
  const std::vector<std::string> pieces = g.OpN("Split", {g.OutGrad(0), split}, n, {{"axis", axis}});
  for (std::size_t i = 0; i < n; ++i) g.SetInputGrad(i, pieces[i]);
}

// The output gradients joined again; an output no gradient reaches contributes zeros.
void SplitGrad(GradContext& g) {
  std::vector<std::string> parts;
  for (std::size_t o = 0; o < g.NumOutputs(); ++o)
    parts.push_back(g.OutGrad(o).empty() ? g.ZerosLike(g.Output(o)) : g.OutGrad(o));
  g.SetInputGrad(0, g.Op("Concat", parts, {{"axis", g.attrs().Int("axis")}}));
}

}  // namespace

AXON_OP(Concat).Inputs({"inputs"}).VariadicInputs(1).Outputs({"concat_result"}).Attr("axis", AttrType::kInt)
    .Infer(InferConcat).Since(2).Grad(ConcatGrad);
AXON_OP(Split).Inputs({"input", "split"}, 1).Outputs({"outputs"}).VariadicOutputs(1)
    .Attr("axis", AttrType::kInt, int64_t{0}).Infer(InferSplit).Since(2)
    .Grad(SplitGrad);

}  // namespace axon::graph
