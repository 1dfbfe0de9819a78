// Whether a model file is the one a checkpoint trains (axon train --resume), by structure: the
// weights' values differ after training, their names, dtypes and shapes do not.
#pragma once

#include <string>

#include "graph/ir.h"

namespace axon::cli {

// The first structural difference between `given` and `saved` (the checkpoint's model), as a
// phrase ("node 2 is Relu in MODEL, Tanh in the checkpoint"), or "" when they have the same
// inputs, outputs, initializers (names, dtypes, shapes) and nodes (op types and inputs).
std::string ModelDifference(const graph::Graph& given, const graph::Graph& saved);

}  // namespace axon::cli
