// Merges nodes that compute the same thing: same op, same inputs (by name, in order) and same
// attributes. Axon's ops are pure functions of their inputs and attributes, so the second node's
// outputs can be read from the first's.
#pragma once

#include "graph/pass.h"

namespace axon::graph {

// Nodes are compared in topological order, so a merge exposes the next one in the same run
// (two identical Relu of two identical MatMuls both merge). A node whose outputs are graph
// outputs is kept when merging would need an Identity to keep its public name.
class CommonSubexpressionElimination final : public Pass {
 public:
  std::string_view Name() const override { return "common-subexpression-elimination"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
