// Conv + a residual Add of its output's shape (ResNet's skip connection, once BatchNormalization
// is folded) becomes one FusedConv(X, W, B, R): the sum is made in the GEMM epilogue while the
// tile is in registers (over each finished plane on the depthwise path) instead of in a pass over
// memory of its own; conv-activation-fusion then takes the Relu that follows. The Conv's output
// must have that one reader and be no graph output; R f32; weights may be inputs.
#pragma once

#include "graph/pass.h"

namespace axon::graph {

class ConvResidualFusion final : public Pass {
 public:
  std::string_view Name() const override { return "conv-residual-fusion"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
