// The verifier: structural rules first (names, edges, cycles), then shape and dtype inference,
// which also checks attribute ranges. Every failure is an axon::Error naming node, op and shapes.
#pragma once

#include "graph/ir.h"

namespace axon::graph {

// Node names unique where given (empty is allowed), each value defined exactly once (graph input, initializer or node
// output), every node input and graph output defined, no cycles.
void VerifyStructure(const Graph& graph);

// Infers every node output's dtype and shape into graph.value_info, in topological order, and
// checks declared graph outputs against what was inferred.
void InferShapes(Graph& graph);

// A declared shape agrees with an inferred one when either has no rank, or ranks match and the
// dims known in both are equal (a symbolic dim agrees with any).
bool Compatible(const Shape& declared, const Shape& inferred);

// VerifyStructure + InferShapes.
void Verify(Graph& graph);

}  // namespace axon::graph
