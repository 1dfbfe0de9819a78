// Softmax and LogSoftmax before opset 13 normalize over the input coerced to 2-D at `axis`
// (default 1): all dims from axis on form one row. From opset 13 they normalize along the one
// axis (default -1). The two agree when axis is the last dim; otherwise the old op is the new one
// on the input flattened at axis, reshaped back (as ONNX's own version converter does).
#include "formats/onnx/op_table.h"

namespace axon::formats::onnx_import {

void SoftmaxBefore13(Translation& t) {
  const std::string op = t.node().op_type;
  const int64_t axis = t.TakeInt("axis").value_or(1);
  if (t.node().inputs.size() != 1 || t.node().inputs[0].empty()) t.Invalid("needs exactly one input");
  const std::string x = t.node().inputs[0];
  const std::optional<int64_t> rank = t.Rank(x);
  if (!rank) t.Unsupported("axis " + std::to_string(axis) + " before opset 13 needs the input's rank, which is not known");
  const int64_t r = *rank;
  if (r == 0 || axis < -r || axis >= r)
    t.Invalid("axis " + std::to_string(axis) + " is out of range for an input of rank " + std::to_string(r));
  const int64_t a = axis < 0 ? axis + r : axis;
  if (a == r - 1) return t.Emit(op, {x}, {{"axis", int64_t{-1}}});

  // The shape to return to: a constant when the input's is known, else computed by Shape.
  const graph::Shape& shape = t.Info(x)->shape;
  std::string back;
  if (auto values = shape.values()) {
    back = t.AddConstant(I64Tensor(*values), "shape");
  } else {
    if (!t.HasSchema("Shape"))
      t.Unsupported("axis " + std::to_string(axis) + " of an input of unknown shape " + shape.ToString() +
                    " needs Axon's Shape op");
    back = t.AddNode("Shape", {x});
  }
  const std::string flat = t.AddNode("Flatten", {x}, {{"axis", a}});
  const std::string y = t.AddNode(op, {flat}, {{"axis", int64_t{1}}});
  t.Emit("Reshape", {y, back}, {});
}

}  // namespace axon::formats::onnx_import
