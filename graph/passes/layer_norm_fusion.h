// The nine ops PyTorch exports for nn.LayerNorm (opset 13 to 16, torch 1.13):
//   m = ReduceMean(x, trailing axes); d = x − m; v = ReduceMean(Pow(d, 2), same axes)
//   y = d / Sqrt(v + ε) · scale + bias
// become one LayerNormalization(x, scale, bias) with axis at the first normalized dim and
// epsilon ε: one kernel, two passes over each row, instead of nine ops and six buffers. Without
// the Mul a scale of ones is added (the normalized dims must be known); without the Add, no bias.
// Every intermediate must have only the readers of the pattern and be no graph output; x f32;
// scale and bias must broadcast to the normalized dims (graph inputs as well as constants).
#pragma once

#include "graph/pass.h"

namespace axon::graph {

class LayerNormFusion final : public Pass {
 public:
  std::string_view Name() const override { return "layer-norm-fusion"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
