// Conv -> Relu/Sigmoid/Tanh, or Clip to constant bounds [0, 6] (ReLU6, as activation "Relu6"),
// becomes one FusedConv: the activation is applied in the Conv's GEMM
// epilogue (or over each depthwise plane while it is in cache) instead of in a pass of its own.
// The Conv's output must have that one reader and be no graph output; weights may be inputs. A
// FusedConv without an activation (conv-residual-fusion's) takes one the same way.
#pragma once

#include "graph/pass.h"

namespace axon::graph {

class ConvActivationFusion final : public Pass {
 public:
  std::string_view Name() const override { return "conv-activation-fusion"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
