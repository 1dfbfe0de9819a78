// Resizing: Resize-10 and -11/12 in Resize-13's form, and Upsample (7, 9; deprecated in 10) as
// Resize. Resize-10 and Upsample sample at x_in = x_out / scale ("asymmetric"); their nearest
// neighbour is the floor when enlarging and the ceiling when shrinking, as ONNX Runtime computes
// them and as ONNX's test data for Resize-10 expects.
#include <cmath>

#include "formats/onnx/op_table.h"

namespace axon::formats::onnx_import {
namespace {

std::string ModeOf(Translation& t) {
  std::string mode = t.TakeString("mode").value_or("nearest");
  if (mode != "nearest" && mode != "linear") t.Invalid("mode is " + Quote(mode) + "; it must be nearest or linear");
  return mode;
}

// Resize-13's nearest_mode for the old rounding: all scales must enlarge (or keep), or all shrink.
std::string OldNearestMode(Translation& t, const std::string& scales_name) {
  const Tensor* scales = t.ConstantValue(scales_name);
  if (!scales || scales->dtype() != DType::kF32)
    t.Unsupported("nearest resizing with scales that are not a constant: the rounding before opset 11 depends on them");
  bool up = false, down = false;
  for (int64_t i = 0; i < scales->size(); ++i) {
    const float s = scales->data<float>()[i];
    up = up || s > 1;
    down = down || s < 1;
  }
  if (up && down) t.Unsupported("nearest resizing that enlarges some dims and shrinks others, as opset 10 rounds it");
  return down ? "ceil" : "floor";
}

void EmitAsymmetricResize(Translation& t, const std::string& x, const std::string& scales, const std::string& mode,
                          const std::string& nearest_mode) {
  std::map<std::string, graph::Attribute> attrs = {{"mode", mode},
                                                   {"coordinate_transformation_mode", std::string("asymmetric")}};
  if (mode == "nearest") attrs["nearest_mode"] = nearest_mode;
  t.Emit("Resize", {x, "", scales}, attrs);
}

}  // namespace

void ResizeBefore13(Translation& t) {
  std::vector<std::string> inputs = t.node().inputs;
  if (inputs.empty() || inputs[0].empty()) t.Invalid("has no input");
  if (t.opset() < 11) {  // Resize-10: X, scales
    if (inputs.size() != 2 || inputs[1].empty()) t.Invalid("needs inputs X and scales");
    const std::string mode = ModeOf(t);
    const std::string nearest = mode == "nearest" ? OldNearestMode(t, inputs[1]) : "";
    return EmitAsymmetricResize(t, inputs[0], inputs[1], mode, nearest);
  }
  // Resize-11/12: as 13, but tf_half_pixel_for_nn, which 13 dropped, and scales that must be given
  // (an empty tensor when sizes are): 13 leaves such scales out.
  auto ctm = t.node().attrs.find("coordinate_transformation_mode");
  if (ctm != t.node().attrs.end() && ctm->second == graph::Attribute(std::string("tf_half_pixel_for_nn")))
    t.Unsupported("coordinate_transformation_mode tf_half_pixel_for_nn was removed in opset 13 and has no equivalent");
  if (inputs.size() == 4 && !inputs[3].empty() && !inputs[2].empty())
    if (const Tensor* scales = t.ConstantValue(inputs[2]); scales && scales->size() == 0) inputs[2] = "";
  t.Emit("Resize", inputs);
}

void UpsampleToResize(Translation& t) {
  std::vector<std::string> inputs = t.node().inputs;
  if (inputs.empty() || inputs[0].empty()) t.Invalid("has no input");
  const std::string mode = ModeOf(t);
  std::string scales;
  if (std::optional<std::vector<float>> attr = t.TakeFloats("scales")) {  // Upsample-7
    if (inputs.size() > 1) t.Invalid("gives scales both as an attribute and as an input");
    Tensor s = Tensor::FromVector(*attr, {static_cast<int64_t>(attr->size())});
    scales = t.AddConstant(std::move(s), "scales");
  } else {
    if (inputs.size() != 2 || inputs[1].empty()) t.Invalid("needs scales (an attribute before opset 9, an input from 9)");
    scales = inputs[1];
  }
  // Upsample's scales are >= 1 (its spec), so its nearest neighbour is the floor.
  EmitAsymmetricResize(t, inputs[0], scales, mode, "floor");
}

}  // namespace axon::formats::onnx_import
