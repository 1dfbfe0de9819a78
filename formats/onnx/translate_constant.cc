// Constants. A Constant node becomes an initializer of its output's name, whatever the kind of its
// value. ConstantOfShape's value is a tensor attribute, which Axon's attributes cannot hold: the
// op is Expand of that one-element value to the shape, which is what it computes.
#include "formats/onnx/op_table.h"

namespace axon::formats::onnx_import {

void ConstantToInitializer(Translation& t) {
  const auto& outs = t.node().outputs;
  if (outs.size() != 1 || outs[0].empty()) t.Invalid("must have exactly one output");
  if (t.Has("value_string") || t.Has("value_strings")) t.Unsupported("string constants are not supported");
  int kinds = 0;
  for (const char* kind : {"value", "value_float", "value_floats", "value_int", "value_ints"}) kinds += t.Has(kind);
  if (kinds != 1) t.Invalid("must have exactly one value attribute, has " + std::to_string(kinds));
  Tensor value;
  if (std::optional<Tensor> v = t.TakeTensor("value")) value = std::move(*v);
  else if (std::optional<float> f = t.TakeFloat("value_float")) value = ScalarOf(DType::kF32, *f);
  else if (std::optional<int64_t> i = t.TakeInt("value_int")) value = Tensor::FromVector(std::vector<int64_t>{*i}, {});
  else if (std::optional<std::vector<float>> fs = t.TakeFloats("value_floats"))
    value = Tensor::FromVector(*fs, {static_cast<int64_t>(fs->size())});
  else if (std::optional<std::vector<int64_t>> is = t.TakeInts("value_ints")) value = I64Tensor(*is);
  if (!t.node().attrs.empty()) t.Invalid("has unknown attribute " + Quote(t.node().attrs.begin()->first));
  t.EmitConstant(std::move(value));
}

void ConstantOfShapeToExpand(Translation& t) {
  if (t.node().inputs.size() != 1 || t.node().inputs[0].empty()) t.Invalid("needs exactly one input, the shape");
  Tensor value = ScalarOf(DType::kF32, 0);  // the default: a float 0
  if (std::optional<Tensor> v = t.TakeTensor("value")) {
    if (v->size() != 1) t.Invalid("'value' must hold exactly one element, holds " + std::to_string(v->size()));
    value = v->Reshaped({});
  }
  t.Emit("Expand", {t.AddConstant(std::move(value), "value"), t.node().inputs[0]});
}

}  // namespace axon::formats::onnx_import
