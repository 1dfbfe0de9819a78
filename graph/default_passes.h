// The passes Axon runs by default, by optimisation level: the one list of every pass there is.
#pragma once

#include <memory>
#include <vector>

#include "graph/pass_pipeline.h"

namespace axon::graph {

// 0: no passes (the graph runs as loaded). 1 and above: every pass. Levels will split when
// fusions arrive, each level keeping the passes of the ones below it. Throws axon::Error when
// opt_level is negative.
std::vector<std::unique_ptr<Pass>> DefaultPasses(int opt_level);

inline PassPipeline DefaultPipeline(int opt_level) { return PassPipeline(DefaultPasses(opt_level)); }

}  // namespace axon::graph
