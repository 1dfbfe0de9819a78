// The graph passes as a session runs them: graph/'s pipeline for an optimisation level, with the
// constant evaluator that only runtime/ can supply (it runs the kernels).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "graph/default_passes.h"

namespace axon::runtime {

// Evaluates a node by compiling it alone (its inputs as constants) and running it through the
// same adapter and kernel a plan would use: folded constants are bit for bit the values the
// unfolded graph computes. An evaluation that would hold more than memory_limit_bytes (its
// output and scratch, as a run's are counted) throws axon::Error with ErrorCode::kMemoryLimit.
graph::NodeEvaluator KernelEvaluator(int64_t memory_limit_bytes = int64_t{1} << 30);

struct OptimizeOptions {
  int opt_level = 2;
  std::vector<std::string> disabled_passes = {};  // by name; an unknown name throws axon::Error listing the passes
  std::set<std::string> parameters = {};     // initializers that change between runs: never folded
  // The session's memory limit: constant-folding leaves a node whose evaluation would exceed it
  // to the runs, which the same limit then refuses with the node named.
  int64_t memory_limit_bytes = int64_t{1} << 30;
};

// Runs DefaultPipeline(opt_level) with KernelEvaluator over a verified graph; returns what fired.
graph::PipelineReport OptimizeGraph(graph::Graph& graph, const OptimizeOptions& options);

}  // namespace axon::runtime
