// Softmax(Q·Kt / c)·V as PyTorch exports nn.MultiheadAttention (torch 1.13, opset 13):
//   MatMul(Softmax(MatMul(Div(q, c), kt), axis=-1), v)
// (or Mul(q, s) for the Div, or no scaling) becomes one FusedAttention(q, kt, v) with scale 1/c:
// the [L, S] scores of each query block stay in a per-thread scratch instead of going through
// memory twice. The scores, the probabilities and the scaled q must have only these readers and
// be no graph outputs; q, kt and v f32, of one rank, with equal leading dims (no broadcasting).
// Then the rank-3 Transposes that split the heads before it and merge them after (read by it
// alone) fold into it as q_perm, kt_perm, v_perm and y_perm: its GEMMs read and write those
// operands in place, through strides, instead of four memory-bound copies per layer.
#pragma once

#include "graph/pass.h"

namespace axon::graph {

class AttentionFusion final : public Pass {
 public:
  std::string_view Name() const override { return "attention-fusion"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
