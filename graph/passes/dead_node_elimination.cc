#include "graph/passes/dead_node_elimination.h"

#include <set>

#include "graph/rewrite.h"

namespace axon::graph {

bool DeadNodeElimination::Run(Graph& graph) {
  GraphEditor editor(graph);
  // Mark: walk back from the graph outputs through producers.
  std::vector<bool> live(graph.nodes.size(), false);
  std::vector<std::string> pending;
  for (const ValueInfo& out : graph.outputs) pending.push_back(out.name);
  while (!pending.empty()) {
    const ValueSource source = editor.SourceOf(pending.back());
    pending.pop_back();
    if (source.kind != ValueSource::Kind::kNode || live[source.node]) continue;
    live[source.node] = true;
    for (const std::string& in : graph.nodes[source.node].inputs)
      if (!in.empty()) pending.push_back(in);
  }

  std::vector<std::size_t> dead;
  std::set<std::string> dead_weights;  // read by a dead node; removed if no live node reads them
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    if (live[n]) continue;
    dead.push_back(n);
    for (const std::string& in : graph.nodes[n].inputs)
      if (graph.IsInitializer(in)) dead_weights.insert(in);
  }
  if (dead.empty()) return false;
  editor.RemoveNodes(std::move(dead));
  for (const std::string& w : dead_weights)
    if (editor.IsUnused(w)) editor.RemoveInitializer(w);
  return true;
}

}  // namespace axon::graph
