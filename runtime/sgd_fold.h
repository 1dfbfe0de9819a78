// Plain SGD folded into the weight gradients: the training step's graph in which each weight
// whose gradient is one Gemm gets that Gemm as a GemmSGD node, computing the gradient and the
// update W -= lr·(dW + weight_decay·W) in the GEMM's epilogue, in place, instead of writing dW
// for an update graph to read back (docs/training.md). The bits are those of the gradient graph
// then SGD without momentum. Each GemmSGD takes the loss as its guard (a NaN or infinite loss
// updates nothing, as Step promises) and, as inputs it never reads, one output of every other
// reader of its weight, so that it runs after them in any order a plan may choose.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "graph/ir.h"

namespace axon::runtime {

struct SgdFold {
  graph::Graph graph;
  std::vector<std::size_t> folded;    // parameter indices whose update the graph makes
  std::vector<std::size_t> unfolded;  // the others, in order: their gradients stay outputs
};

// `gradient` is a gradient graph as BuildTrainingGraph makes it (after any graph passes):
// outputs loss, model output, one gradient per parameter (parameters[i]'s at 2 + i), then new
// statistics. A weight is folded when its gradient is a Gemm with alpha 1 and no C that only
// the graph output reads, and the weight is a 2-D graph input that the Gemm does not read.
// The result takes one more input, the learning rate (f32 scalar), after the gradient graph's;
// its outputs: loss, model output, the gradients of `unfolded`, the new statistics, then the new
// values of `folded` (each may be bound to its weight's input buffer: an update in place).
// Verified. Nothing folded (folded empty) when no gradient qualifies.
SgdFold FoldSgd(const graph::Graph& gradient, const std::vector<std::string>& parameters, float weight_decay);

}  // namespace axon::runtime
