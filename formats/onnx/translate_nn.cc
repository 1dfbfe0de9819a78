// Normalization and regularization layers as inference runs them: BatchNormalization (before
// opset 14: spatial, is_test, training-only outputs; training-mode exports of every opset) and
// Dropout of every opset (the identity, or Axon's Dropout for a training-mode export).
#include <algorithm>

#include "formats/onnx/op_table.h"

namespace axon::formats::onnx_import {
namespace {

// Outputs past the first that only training computes must not be read.
void RequireUnusedExtraOutputs(Translation& t, const char* why) {
  const auto& outs = t.node().outputs;
  for (std::size_t i = 1; i < outs.size(); ++i)
    if (t.IsUsed(outs[i])) t.Unsupported("output " + std::to_string(i) + " " + Quote(outs[i]) + " is read, but " + why);
}

}  // namespace

namespace {

// BatchNormalization-1..13 as opset 14/15's inference form. spatial=0 (opsets 1-8: statistics per
// element rather than per channel) has no opset-14 equivalent. is_test (opsets 1-6) chose between
// training and inference: an importer for inference always takes the latter.
void BatchNormalizationBefore14(Translation& t) {
  t.Drop("consumed_inputs");
  t.Drop("is_test");
  if (t.TakeInt("spatial").value_or(1) != 1)
    t.Unsupported("spatial=0 (statistics per element, not per channel) is not supported");
  RequireUnusedExtraOutputs(t, "it is the running or saved statistics that only training computes");
  const std::string y = t.node().outputs.empty() ? std::string() : t.node().outputs[0];
  if (y.empty()) t.Invalid("has no output Y");
  // Those outputs mean the model was exported in training mode (PyTorch's model.train()): it
  // runs in inference form, but training it so would silently use the running statistics
  // instead of the batch's, so the node says where it came from.
  auto attrs = t.node().attrs;
  const auto& outs = t.node().outputs;
  if (std::any_of(outs.begin() + 1, outs.end(), [](const std::string& o) { return !o.empty(); }))
    attrs["exported_for_training"] = int64_t{1};
  t.EmitWithOutputs("BatchNormalization", t.node().inputs, attrs, {y});
}

}  // namespace

// From opset 14 on the node is Axon's op, except a training-mode node (training_mode=1, PyTorch's
// export after model.train()) whose running statistics nothing reads: it is imported as the
// opset-13 form of that export is, the inference form marked exported_for_training, so that a
// model runs alike whatever opset it was exported at, and a TrainingSession trains the node in
// training mode. One whose statistics are read keeps training mode (ONNX's semantics).
void TranslateBatchNormalization(Translation& t) {
  if (t.opset() < 14) return BatchNormalizationBefore14(t);
  const auto& outs = t.node().outputs;
  const auto mode = t.node().attrs.find("training_mode");
  const bool training = mode != t.node().attrs.end() && std::holds_alternative<int64_t>(mode->second) &&
                        std::get<int64_t>(mode->second) == 1;
  const bool reads_statistics =
      std::any_of(outs.begin() + std::min<std::ptrdiff_t>(1, static_cast<std::ptrdiff_t>(outs.size())), outs.end(),
                  [&](const std::string& o) { return !o.empty() && t.IsUsed(o); });
  if (!training || reads_statistics || outs.empty() || outs[0].empty()) return t.Emit("BatchNormalization", t.node().inputs);
  auto attrs = t.node().attrs;
  attrs["training_mode"] = int64_t{0};
  attrs["exported_for_training"] = int64_t{1};
  t.EmitWithOutputs("BatchNormalization", t.node().inputs, attrs, {outs[0]});
}

// Inference does not drop: Dropout is the identity and its mask is all true (all ones of the
// input's type before opset 10). Only a Dropout told to train (training_mode, opset 12+) is
// random. With a constant ratio of 0 nothing is dropped and training mode is the identity too
// (scale 1 / (1 - 0), mask all true): torchvision 0.14's Swin Transformer exports such nodes
// (F.dropout(attn, p=0.0) in eval mode leaves training=True). Otherwise a constant true
// training_mode (PyTorch's export of a model in train()) becomes Axon's Dropout with the
// constant ratio: the identity when Axon runs the model, dropping when a TrainingSession trains
// it; its random mask output cannot be read, and a computed training_mode or ratio is refused.
void DropoutToIdentity(Translation& t) {
  for (const char* legacy : {"consumed_inputs", "is_test", "ratio", "seed"}) t.Drop(legacy);
  const std::vector<std::string> inputs = t.node().inputs, outputs = t.node().outputs;
  if (inputs.empty() || inputs[0].empty()) t.Invalid("has no input");
  if (outputs.empty() || outputs[0].empty()) t.Invalid("has no output");
  if (inputs.size() > 2 && !inputs[2].empty()) {
    const Tensor* training = t.ConstantValue(inputs[2]);
    const bool inference = training && training->dtype() == DType::kBool && training->size() == 1 &&
                           !training->data<bool>()[0];
    const Tensor* ratio = inputs[1].empty() ? nullptr : t.ConstantValue(inputs[1]);  // omitted: 0.5
    const bool drops_nothing = ratio && ratio->dtype() == DType::kF32 && ratio->size() == 1 &&
                               ratio->data<float>()[0] == 0.0f;
    const bool training_constant = training && training->dtype() == DType::kBool && training->size() == 1;
    const bool ratio_constant = inputs[1].empty() || (ratio && ratio->dtype() == DType::kF32 && ratio->size() == 1);
    if (!inference && !drops_nothing) {
      if (!training_constant || !ratio_constant || !t.HasSchema("Dropout"))
        t.Unsupported("training_mode is not a constant false and ratio not a constant 0: training-mode Dropout is "
                      "random, and Axon takes it only with a constant training_mode and ratio");
      if (outputs.size() > 1 && t.IsUsed(outputs[1]))
        t.Unsupported(std::string("output 1 (the mask) of a training-mode Dropout is read, but its random mask is no "
                                  "output of Axon's Dropout"));
      const float r = ratio ? ratio->data<float>()[0] : 0.5f;
      t.EmitWithOutputs("Dropout", {inputs[0]}, {{"ratio", r}}, {outputs[0]});
      return;
    }
  }
  t.EmitWithOutputs("Identity", {inputs[0]}, {}, {outputs[0]});
  if (outputs.size() < 2 || !t.IsUsed(outputs[1])) return;
  if (!t.HasSchema("Shape") || !t.HasSchema("Expand"))
    t.Unsupported("its mask output is read, which needs Axon's Shape and Expand ops");
  const graph::ValueInfo* info = t.Info(inputs[0]);
  const Tensor one = ScalarOf(t.opset() >= 10 ? DType::kBool : info ? info->dtype : DType::kF32, 1);
  t.AddNodeWithOutputs("Expand", {t.AddConstant(one, "mask_value"), t.AddNode("Shape", {inputs[0]})}, {}, {outputs[1]});
}

}  // namespace axon::formats::onnx_import
