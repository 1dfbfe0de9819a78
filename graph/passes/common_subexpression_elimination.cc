#include "graph/passes/common_subexpression_elimination.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "graph/rewrite.h"

namespace axon::graph {
namespace {

// Nodes that may compute the same values; their attributes are compared on a match (by value:
// attributes have == but no ordering).
using Key = std::tuple<std::string, std::vector<std::string>, std::size_t>;

}  // namespace

bool CommonSubexpressionElimination::Run(Graph& graph) {
  GraphEditor editor(graph);
  std::map<Key, std::vector<std::size_t>> seen;  // key -> the nodes kept so far
  std::vector<std::size_t> removed;
  for (std::size_t n : TopologicalOrder(graph)) {
    const Node& node = graph.nodes[n];
    std::vector<std::size_t>& candidates = seen[Key{node.op_type, node.inputs, node.outputs.size()}];
    auto same = std::find_if(candidates.begin(), candidates.end(),
                             [&](std::size_t c) { return graph.nodes[c].attrs == node.attrs; });
    if (same == candidates.end()) {
      candidates.push_back(n);
      continue;
    }
    const std::size_t kept_index = *same;
    const Node& kept = graph.nodes[kept_index];
    // A public name can pass to the kept node's output only when that output is private.
    bool mergeable = true;
    for (std::size_t o = 0; o < node.outputs.size(); ++o)
      if (editor.IsGraphOutput(node.outputs[o]) && editor.IsGraphOutput(kept.outputs[o])) mergeable = false;
    if (!mergeable) continue;
    const std::vector<std::string> outputs = node.outputs;
    // A graph output's name may pass to the kept node's output: keys stored before then hold the
    // old name, which only delays their merges to the pipeline's next round.
    for (std::size_t o = 0; o < outputs.size(); ++o) editor.ReplaceAllUses(outputs[o], graph.nodes[kept_index].outputs[o]);
    removed.push_back(n);
  }
  if (removed.empty()) return false;
  editor.RemoveNodes(std::move(removed));
  return true;
}

}  // namespace axon::graph
