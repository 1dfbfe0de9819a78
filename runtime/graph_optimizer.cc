#include "runtime/graph_optimizer.h"

#include <algorithm>

#include "graph/verifier.h"
#include "runtime/executor.h"

namespace axon::runtime {

graph::NodeEvaluator KernelEvaluator(int64_t memory_limit_bytes) {
  return [memory_limit_bytes](const graph::Node& node, const std::vector<Tensor>& inputs, const std::vector<graph::ValueInfo>& outputs) {
    graph::Graph g;
    g.name = "constant " + node.Describe();
    g.nodes.push_back(node);
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (!node.inputs[i].empty()) g.initializers[node.inputs[i]] = inputs[i];
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      g.outputs.push_back(outputs[o]);
      g.outputs.back().name = node.outputs[o];
    }
    graph::Verify(g);
    Executor executor(std::move(g), ExecutorOptions{.memory_limit_bytes = memory_limit_bytes});
    const auto plan = executor.PlanFor({});
    return executor.Run(*plan, {});
  };
}

graph::PipelineReport OptimizeGraph(graph::Graph& graph, const OptimizeOptions& options) {
  graph::PassPipeline pipeline = graph::DefaultPipeline(options.opt_level, {KernelEvaluator(options.memory_limit_bytes), options.parameters});
  // A name is checked against every pass there is, so that a typo fails at any level, while a
  // pass of a higher level than this one's is simply not there to disable.
  const graph::PassPipeline every = graph::DefaultPipeline(2);
  for (const std::string& name : options.disabled_passes) {
    (void)every.IsEnabled(name);  // throws axon::Error listing the passes when unknown
    const std::vector<std::string> here = pipeline.Names();
    if (std::find(here.begin(), here.end(), name) != here.end()) pipeline.Disable(name);
  }
  return pipeline.Run(graph);
}

}  // namespace axon::runtime
