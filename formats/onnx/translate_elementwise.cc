// Elementwise ops before opset 7: the consumed_inputs hint of opset 1, broadcasting by attribute
// (before numpy broadcasting), PRelu's per-channel slope, Clip's min/max attributes, Gemm's
// broadcast flag.
#include "formats/onnx/op_table.h"

namespace axon::formats::onnx_import {
namespace {

DType DTypeOr(const Translation& t, const std::string& value, DType fallback) {
  const graph::ValueInfo* info = t.Info(value);
  return info ? info->dtype : fallback;
}

// `value` reshaped to its own dims followed by `ones` 1s: Reshape's 0 copies an input dim.
std::string AppendOnes(Translation& t, const std::string& value, int64_t rank, int64_t ones, const std::string& hint) {
  std::vector<int64_t> shape(static_cast<std::size_t>(rank), 0);
  shape.insert(shape.end(), static_cast<std::size_t>(ones), 1);
  if (!t.HasSchema("Reshape")) t.Unsupported("aligning " + hint + " needs Axon's Reshape");
  return t.AddNode("Reshape", {value, t.AddConstant(I64Tensor(shape), hint + "_shape")});
}

}  // namespace

// Opset 1 lists, per node, which inputs an in-place kernel may overwrite: an optimisation hint of
// the time, with no effect on results.
void DropConsumedInputs(Translation& t) {
  t.Drop("consumed_inputs");
  t.Emit(t.node().op_type, t.node().inputs);
}

// Before opset 7, B broadcasts to A only when broadcast=1, with B's dims matched against A's from
// `axis` on (from the back when axis is absent). Suffix matching is numpy's rule, and so is
// broadcast=0 (the shapes must then be equal); B matched in the middle of A is numpy's rule once
// B is given trailing 1s.
void LegacyBroadcast(Translation& t) {
  t.Drop("consumed_inputs");
  const int64_t broadcast = t.TakeInt("broadcast").value_or(0);
  const std::optional<int64_t> axis = t.TakeInt("axis");
  std::vector<std::string> inputs = t.node().inputs;
  if (broadcast != 0 && axis && inputs.size() == 2) {
    const std::optional<int64_t> ra = t.Rank(inputs[0]), rb = t.Rank(inputs[1]);
    if (!ra || !rb) t.Unsupported("broadcasting along axis " + std::to_string(*axis) + " needs the ranks of both inputs");
    const int64_t at = *axis < 0 ? *axis + *ra : *axis;
    if (at < 0 || at + *rb > *ra)
      t.Invalid("B of rank " + std::to_string(*rb) + " cannot broadcast at axis " + std::to_string(*axis) +
                " of A of rank " + std::to_string(*ra));
    const int64_t trailing = *ra - at - *rb;
    if (*rb > 0 && trailing > 0) inputs[1] = AppendOnes(t, inputs[1], *rb, trailing, "B");
  }
  t.Emit(t.node().op_type, inputs);
}

// Before opset 7 a slope with one entry per channel applies along dim 1 (as in Caffe and PyTorch);
// numpy broadcasting from opset 7 aligns dims from the back, so such a slope gets trailing 1s.
void PReluBefore7(Translation& t) {
  t.Drop("consumed_inputs");
  std::vector<std::string> inputs = t.node().inputs;
  if (inputs.size() == 2) {
    const std::optional<int64_t> rx = t.Rank(inputs[0]), rs = t.Rank(inputs[1]);
    if (!rx || !rs) t.Unsupported("a per-channel slope needs the ranks of X and slope");
    if (*rs == 1 && *rx >= 3) inputs[1] = AppendOnes(t, inputs[1], 1, *rx - 2, "slope");
  }
  t.Emit("PRelu", inputs);
}

// Clip-6 (and -1) bound by attributes, defaulting to the float range; from opset 11 the bounds are
// optional inputs of the input's dtype.
void ClipBefore11(Translation& t) {
  t.Drop("consumed_inputs");
  const std::optional<float> min = t.TakeFloat("min"), max = t.TakeFloat("max");
  if (t.node().inputs.empty()) t.Invalid("has no input");
  const DType dtype = DTypeOr(t, t.node().inputs[0], DType::kF32);
  std::vector<std::string> inputs = {t.node().inputs[0], "", ""};
  if (min) inputs[1] = t.AddConstant(ScalarOf(dtype, *min), "min");
  if (max) inputs[2] = t.AddConstant(ScalarOf(dtype, *max), "max");
  while (inputs.back().empty()) inputs.pop_back();
  t.Emit("Clip", inputs);
}

// Gemm-1/6 broadcast C only when broadcast=1; opset 7 always broadcasts C (unidirectionally),
// which accepts every C the old rule did.
void GemmBefore7(Translation& t) {
  t.Drop("broadcast");
  t.Emit("Gemm", t.node().inputs);
}

}  // namespace axon::formats::onnx_import
