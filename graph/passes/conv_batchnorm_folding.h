// Folds an inference-mode BatchNormalization into the Conv before it:
//   BN(Conv(X, W, b)) = Conv(X, W·f, (b - mean)·f + beta),  f = scale / sqrt(var + epsilon)
// per output channel. The new weight and bias are emitted as small subgraphs of ordinary ops
// (Add, Sqrt, Div, Reshape, Mul, Sub) on the constants, which constant-folding then evaluates
// through the kernels: the pass does no arithmetic of its own. Only when W, b and the four BN
// tensors are all initializers (never for weights fed as inputs, as training does), the Conv's
// output has the BN as its only reader, and the BN is not in training mode.
//
// The folded Conv rounds once where Conv then BN round twice, so outputs agree to float
// precision, not bit for bit.
#pragma once

#include "graph/pass.h"

namespace axon::graph {

class ConvBatchNormFolding final : public Pass {
 public:
  std::string_view Name() const override { return "conv-batchnorm-folding"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
