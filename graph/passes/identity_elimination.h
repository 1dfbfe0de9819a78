// Removes Identity nodes, and Dropout nodes without a Seed (inference's Dropout: the identity; the
// ONNX importer turns inference-mode Dropout into Identity already).
#pragma once

#include "graph/pass.h"

namespace axon::graph {

// Readers of an Identity's output read its input instead. An Identity that copies a graph input,
// an initializer or another graph output into a graph output stays: a graph output's name is
// public and such a value has no producer that could take the name.
class IdentityElimination final : public Pass {
 public:
  std::string_view Name() const override { return "identity-elimination"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
