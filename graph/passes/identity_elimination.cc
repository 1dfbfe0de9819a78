#include "graph/passes/identity_elimination.h"

#include <unordered_map>

#include "graph/rewrite.h"

namespace axon::graph {
namespace {

// Identity, and Dropout without a Seed: inference's Dropout (only a TrainingSession's gradient
// graph feeds one a Seed, and then it stays).
bool ActsAsIdentity(const Node& node) {
  return node.op_type == "Identity" ||
         (node.op_type == "Dropout" && (node.inputs.size() < 2 || node.inputs[1].empty()));
}

}  // namespace

bool IdentityElimination::Run(Graph& graph) {
  bool changed = false;
  {
    // Private Identity outputs: every reader is pointed past the whole run of Identities at once,
    // by direct edits. (GraphEditor::ReplaceAllUses checks each replacement for a cycle by
    // walking the ancestors, which would make a 100k-node chain quadratic.)
    GraphEditor editor(graph);
    std::unordered_map<std::string, std::string> alias;  // Identity output -> its input
    for (const Node& node : graph.nodes)
      if (ActsAsIdentity(node) && !editor.IsGraphOutput(node.outputs[0])) alias[node.outputs[0]] = node.inputs[0];
    if (!alias.empty()) {
      auto resolve = [&](const std::string& v) {
        std::string r = v;
        for (auto it = alias.find(r); it != alias.end(); it = alias.find(r)) r = it->second;
        alias[v] = r;  // path compression: a chain resolves in linear time overall
        return r;
      };
      std::vector<Node> kept;
      for (Node& node : graph.nodes) {
        if (ActsAsIdentity(node) && alias.count(node.outputs[0])) continue;
        for (std::string& in : node.inputs)
          if (!in.empty() && alias.count(in)) in = resolve(in);
        kept.push_back(std::move(node));
      }
      graph.nodes = std::move(kept);
      changed = true;
    }
  }
  // Identities producing graph outputs: the name passes to the input's producer when that is a
  // private node output; otherwise the Identity stays (see the class comment).
  GraphEditor editor(graph);
  std::vector<std::size_t> removed;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    if (!ActsAsIdentity(node)) continue;
    const std::string in = node.inputs[0], out = node.outputs[0];
    const ValueSource source = editor.SourceOf(in);
    if (source.kind != ValueSource::Kind::kNode || editor.IsGraphOutput(in)) continue;
    editor.ReplaceAllUses(out, in);
    removed.push_back(n);
  }
  if (removed.empty()) return changed;
  editor.RemoveNodes(std::move(removed));
  return true;
}

}  // namespace axon::graph
