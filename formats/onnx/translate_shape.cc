// Shape ops whose shape-deciding values moved from attributes to inputs (so that they can be
// computed): Reshape (opset 5), Slice (10), Pad (11), Squeeze/Unsqueeze/Split (13); and Concat's
// axis default (1 before opset 4) and Cast's type name (before opset 6).
#include "formats/onnx/onnx_tensor.h"
#include "formats/onnx/op_table.h"

namespace axon::formats::onnx_import {
namespace {

std::vector<int64_t> RequiredInts(Translation& t, const std::string& name) {
  std::optional<std::vector<int64_t>> v = t.TakeInts(name);
  if (!v) t.Invalid("has no '" + name + "' attribute");
  return *v;
}

const std::string& FirstInput(Translation& t) {
  if (t.node().inputs.empty() || t.node().inputs[0].empty()) t.Invalid("has no input");
  return t.node().inputs[0];
}

}  // namespace

void ReshapeBefore5(Translation& t) {
  t.Drop("consumed_inputs");
  const std::string data = FirstInput(t);
  const std::string shape = t.AddConstant(I64Tensor(RequiredInts(t, "shape")), "shape");
  t.Emit("Reshape", {data, shape});
}

// Squeeze's axes may be left out (every dim of size 1); Unsqueeze's may not.
void AxesAttributeToInput(Translation& t) {
  std::vector<std::string> inputs = {FirstInput(t)};
  if (std::optional<std::vector<int64_t>> axes = t.TakeInts("axes"))
    inputs.push_back(t.AddConstant(I64Tensor(*axes), "axes"));
  else if (t.node().op_type == "Unsqueeze")
    t.Invalid("has no 'axes' attribute");
  t.Emit(t.node().op_type, inputs);
}

// Split-2..12 take the part sizes as an attribute; Split-1 as an attribute or a second input.
void SplitBefore13(Translation& t) {
  std::vector<std::string> inputs = t.node().inputs;
  FirstInput(t);
  if (std::optional<std::vector<int64_t>> split = t.TakeInts("split")) {
    if (inputs.size() > 1 && !inputs[1].empty()) t.Invalid("gives 'split' both as an attribute and as an input");
    inputs.resize(1);
    inputs.push_back(t.AddConstant(I64Tensor(*split), "split"));
  }
  t.Emit("Split", inputs);
}

void SliceBefore10(Translation& t) {
  const std::string data = FirstInput(t);
  std::vector<std::string> inputs = {data, t.AddConstant(I64Tensor(RequiredInts(t, "starts")), "starts"),
                                     t.AddConstant(I64Tensor(RequiredInts(t, "ends")), "ends")};
  if (std::optional<std::vector<int64_t>> axes = t.TakeInts("axes"))
    inputs.push_back(t.AddConstant(I64Tensor(*axes), "axes"));
  t.Emit("Slice", inputs);
}

// Pad-2..10: pads and the constant value as attributes (Pad-1 called pads "paddings"); from opset
// 11 they are inputs, the value a scalar of the data's dtype.
void PadBefore11(Translation& t) {
  const std::string data = FirstInput(t);
  std::optional<std::vector<int64_t>> pads = t.TakeInts("pads");
  if (!pads) pads = t.TakeInts("paddings");
  if (!pads) t.Invalid("has no 'pads' attribute");
  std::vector<std::string> inputs = {data, t.AddConstant(I64Tensor(*pads), "pads")};
  if (std::optional<float> value = t.TakeFloat("value")) {
    const graph::ValueInfo* info = t.Info(data);
    try {
      inputs.push_back(t.AddConstant(ScalarOf(info ? info->dtype : DType::kF32, *value), "value"));
    } catch (const Error& e) {
      t.Unsupported(std::string("attribute 'value': ") + e.what());
    }
  }
  t.Emit("Pad", inputs);
}

void ConcatBefore4(Translation& t) {
  t.node().attrs["axis"] = t.TakeInt("axis").value_or(1);
  t.Emit("Concat", t.node().inputs);
}

// Cast-1 names the type ("FLOAT"); from opset 6 `to` is TensorProto.DataType's number.
void CastBefore6(Translation& t) {
  const std::optional<std::string> to = t.TakeString("to");
  if (!to) t.Invalid("has no 'to' attribute");
  ::onnx::TensorProto::DataType type;
  if (!::onnx::TensorProto::DataType_Parse(*to, &type) || type == ::onnx::TensorProto::UNDEFINED)
    t.Invalid("'to' is " + Quote(*to) + ", not an ONNX data type name");
  t.node().attrs["to"] = static_cast<int64_t>(type);
  t.Emit("Cast", t.node().inputs);
}

}  // namespace axon::formats::onnx_import
