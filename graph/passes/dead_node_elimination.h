// Removes nodes whose outputs reach no graph output, with the weights only they read.
#pragma once

#include "graph/pass.h"

namespace axon::graph {

// A node is live when a graph output is computed from one of its outputs; every other node is
// removed (Axon's ops have no side effects, so a node matters only through its outputs).
//
// Initializers that only the removed nodes read go with them: they are the dead branch's weights.
// An initializer that no node read to begin with is left alone: the file put it there (weights
// kept for training, say) and no node of this graph says it is dead. Graph inputs are the
// graph's interface and always stay.
class DeadNodeElimination final : public Pass {
 public:
  std::string_view Name() const override { return "dead-node-elimination"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
