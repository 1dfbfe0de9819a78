// Fuses runs of elementwise ops into one FusedElementwise node (graph/ops/fused_elementwise.h),
// which the kernel evaluates block by block: one pass over memory and no intermediate buffers
// instead of one pass and one buffer per op.
#pragma once

#include "graph/pass.h"

namespace axon::graph {

// A group grows backwards from its last node (the sink) through producers that are fusable ops
// (FusableOps(): f32 arithmetic with broadcasting, activations, unary math) whose output has
// the sink's shape and is read only inside the group (and is no graph output): a chain, or a
// tree such as x·sigmoid(x). Every operand from outside must be the sink's shape or a trailing
// part of it (a bias, a scalar), as the kernel repeats it; at most kMaxFusedInputs of them and
// kMaxFusedTemps live temporaries. Groups of one op stay as they are.
class ElementwiseFusion final : public Pass {
 public:
  std::string_view Name() const override { return "elementwise-fusion"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
