// The graph passes as a session runs them: graph/'s pipeline for an optimisation level, with the
// constant evaluator that only runtime/ can supply (it runs the kernels).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "graph/default_passes.h"

namespace axon::runtime {

// Evaluates a node by compiling it alone (its inputs as constants) and running it through the
// same adapter and kernel a plan would use: folded constants are bit for bit the values the
// unfolded graph computes.
graph::NodeEvaluator KernelEvaluator();

struct OptimizeOptions {
  int opt_level = 2;
  std::vector<std::string> disabled_passes = {};  // by name; an unknown name throws axon::Error listing the passes
  std::set<std::string> parameters = {};     // initializers that change between runs: never folded
};

// Runs DefaultPipeline(opt_level) with KernelEvaluator over a verified graph; returns what fired.
graph::PipelineReport OptimizeGraph(graph::Graph& graph, const OptimizeOptions& options);

}  // namespace axon::runtime
