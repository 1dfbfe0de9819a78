#include "graph/default_passes.h"

#include "graph/passes/dead_node_elimination.h"

namespace axon::graph {

std::vector<std::unique_ptr<Pass>> DefaultPasses(int opt_level) {
  if (opt_level < 0) throw Error(ErrorCode::kInvalidArgument, "optimisation level must be >= 0, got " + std::to_string(opt_level));
  std::vector<std::unique_ptr<Pass>> passes;
  if (opt_level >= 1) passes.push_back(std::make_unique<DeadNodeElimination>());
  return passes;
}

}  // namespace axon::graph
