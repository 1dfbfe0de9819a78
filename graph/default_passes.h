// The passes Axon runs by default, by optimisation level: the one list of every pass there is.
//
//   0: none; the graph runs as loaded.
//   1: clean-up, which changes no arithmetic: identity-elimination, constant-folding,
//      common-subexpression-elimination, dead-node-elimination.
//   2: level 1 and the fusions, which change how values are computed (fewer passes over memory,
//      GEMM epilogues) but not the result of any IEEE operation: transpose-folding,
//      matmul-add-fusion, gemm-epilogue-fusion, conv-residual-fusion, conv-activation-fusion,
//      elementwise-fusion; and
//      conv-batchnorm-folding, whose folded weights round once where Conv then BatchNormalization
//      round twice, and layer-norm-fusion, gelu-fusion and attention-fusion, whose kernels round
//      differently from the exported op chains (equal to float precision).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "graph/pass_pipeline.h"
#include "graph/passes/constant_folding.h"

namespace axon::graph {

struct PassOptions {
  // Evaluates constant nodes for constant-folding (runtime/ supplies the kernels'); null: only
  // Shape nodes are folded.
  NodeEvaluator evaluate;
  // Initializers that change between runs (trained weights): never folded into other constants.
  std::set<std::string> parameters;
};

// Throws axon::Error when opt_level is negative; levels above 2 are level 2.
std::vector<std::unique_ptr<Pass>> DefaultPasses(int opt_level, const PassOptions& options = {});

inline PassPipeline DefaultPipeline(int opt_level, const PassOptions& options = {}) {
  return PassPipeline(DefaultPasses(opt_level, options));
}

}  // namespace axon::graph
