// Reductions. ReduceSum took its axes as an attribute before opset 13 and as an input since;
// ReduceMean and ReduceMax keep the attribute up to opset 17 (they map 1:1, see op_table.cc).
#include "formats/onnx/op_table.h"

namespace axon::formats::onnx_import {

// Without axes every dim is reduced, as ReduceSum-13 does with its axes input left out (and
// noop_with_empty_axes at its default 0).
void ReduceSumBefore13(Translation& t) {
  if (t.node().inputs.empty() || t.node().inputs[0].empty()) t.Invalid("has no input");
  std::vector<std::string> inputs = {t.node().inputs[0]};
  if (std::optional<std::vector<int64_t>> axes = t.TakeInts("axes"))
    inputs.push_back(t.AddConstant(I64Tensor(*axes), "axes"));
  t.Emit("ReduceSum", inputs);
}

}  // namespace axon::formats::onnx_import
