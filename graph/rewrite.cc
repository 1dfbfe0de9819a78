#include "graph/rewrite.h"

#include <algorithm>
#include <tuple>

#include "graph/verifier.h"

namespace axon::graph {
namespace {

[[noreturn]] void Refuse(const std::string& message) { throw Error(ErrorCode::kInvalidArgument, message); }

std::string Quote(const std::string& s) { return "'" + s + "'"; }

bool Before(const Use& a, const Use& b) { return std::tie(a.node, a.slot) < std::tie(b.node, b.slot); }

// Walks the nodes value is computed from (its producer, their producers, ...) until stop(node)
// says so; true when it did.
template <typename Stop>
bool AnyAncestorNode(const Graph& graph, const std::unordered_map<std::string, ValueSource>& sources,
                     const std::string& value, Stop stop) {
  std::vector<const std::string*> pending{&value};
  std::unordered_set<std::size_t> seen;
  while (!pending.empty()) {
    const std::string& v = *pending.back();
    pending.pop_back();
    auto it = sources.find(v);
    if (it == sources.end() || it->second.kind != ValueSource::Kind::kNode) continue;
    const std::size_t n = it->second.node;
    if (!seen.insert(n).second) continue;
    if (stop(n)) return true;
    for (const std::string& in : graph.nodes[n].inputs)
      if (!in.empty()) pending.push_back(&in);
  }
  return false;
}

}  // namespace

GraphEditor::GraphEditor(Graph& graph) : graph_(graph) { EnsureIndex(); }

void GraphEditor::Refresh() { stale_ = true; }

void GraphEditor::EnsureIndex() const {
  if (!stale_) return;
  sources_.clear();
  consumers_.clear();
  outputs_.clear();
  node_names_.clear();
  for (const ValueInfo& in : graph_.inputs) sources_[in.name] = {ValueSource::Kind::kGraphInput};
  for (const auto& [name, tensor] : graph_.initializers) sources_[name] = {ValueSource::Kind::kInitializer};
  for (std::size_t n = 0; n < graph_.nodes.size(); ++n) {
    const Node& node = graph_.nodes[n];
    node_names_[node.name] = n;
    used_names_.insert(node.name);
    for (std::size_t i = 0; i < node.outputs.size(); ++i) sources_[node.outputs[i]] = {ValueSource::Kind::kNode, n, i};
    // Scanning nodes in order keeps each consumer list sorted by (node, slot).
    for (std::size_t slot = 0; slot < node.inputs.size(); ++slot)
      if (!node.inputs[slot].empty()) consumers_[node.inputs[slot]].push_back({n, slot});
  }
  for (const ValueInfo& out : graph_.outputs) {
    outputs_.insert(out.name);
    used_names_.insert(out.name);
  }
  for (const auto& [name, source] : sources_) used_names_.insert(name);
  stale_ = false;
}

ValueSource GraphEditor::SourceOf(const std::string& value) const {
  EnsureIndex();
  auto it = sources_.find(value);
  return it == sources_.end() ? ValueSource{} : it->second;
}

const Node* GraphEditor::Producer(const std::string& value) const {
  const ValueSource s = SourceOf(value);
  return s.kind == ValueSource::Kind::kNode ? &graph_.nodes[s.node] : nullptr;
}

const std::vector<Use>& GraphEditor::Consumers(const std::string& value) const {
  static const std::vector<Use> kNone;
  EnsureIndex();
  auto it = consumers_.find(value);
  return it == consumers_.end() ? kNone : it->second;
}

bool GraphEditor::IsGraphInput(const std::string& value) const {
  return SourceOf(value).kind == ValueSource::Kind::kGraphInput;
}

bool GraphEditor::IsGraphOutput(const std::string& value) const {
  EnsureIndex();
  return outputs_.count(value) != 0;
}

std::optional<std::size_t> GraphEditor::FindNode(const std::string& node_name) const {
  EnsureIndex();
  auto it = node_names_.find(node_name);
  return it == node_names_.end() ? std::nullopt : std::optional(it->second);
}

std::string GraphEditor::UniqueName(const std::string& prefix) {
  EnsureIndex();
  const std::string base = prefix.empty() ? "value" : prefix;
  std::string name = base;
  for (std::size_t n = 1; used_names_.count(name); ++n) name = base + "_" + std::to_string(n);
  Reserve(name);
  return name;
}

void GraphEditor::RequireDefined(const std::string& value, const std::string& what) const {
  if (!IsDefined(value))
    Refuse(what + " " + Quote(value) + " is not defined by any node, graph input or initializer");
}

bool GraphEditor::DependsOn(const std::string& value, const std::string& old_value) const {
  EnsureIndex();
  return AnyAncestorNode(graph_, sources_, value, [&](std::size_t n) {
    const auto& ins = graph_.nodes[n].inputs;
    return std::find(ins.begin(), ins.end(), old_value) != ins.end();
  });
}

Node& GraphEditor::AppendNode(Node node) {
  EnsureIndex();
  const std::size_t n = graph_.nodes.size();
  Reserve(node.name);
  node_names_[node.name] = n;
  for (std::size_t i = 0; i < node.outputs.size(); ++i) {
    Reserve(node.outputs[i]);
    sources_[node.outputs[i]] = {ValueSource::Kind::kNode, n, i};
  }
  // The new node has the highest index, so appending keeps consumer lists sorted.
  for (std::size_t slot = 0; slot < node.inputs.size(); ++slot)
    if (!node.inputs[slot].empty()) consumers_[node.inputs[slot]].push_back({n, slot});
  graph_.nodes.push_back(std::move(node));
  return graph_.nodes.back();
}

Node& GraphEditor::AddNode(const std::string& op_type, std::vector<std::string> inputs, std::size_t num_outputs,
                           std::map<std::string, Attribute> attrs, const std::string& name_prefix) {
  for (const std::string& in : inputs)
    if (!in.empty()) RequireDefined(in, "input of a new " + op_type + " node:");
  Node node;
  node.name = UniqueName(name_prefix.empty() ? op_type : name_prefix);
  node.op_type = op_type;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  for (std::size_t i = 0; i < num_outputs; ++i) node.outputs.push_back(UniqueName(node.name + ":" + std::to_string(i)));
  return AppendNode(std::move(node));
}

Node& GraphEditor::AddNode(Node node) {
  EnsureIndex();
  // Node and value names are separate namespaces (as in ONNX; the verifier only wants node names
  // unique among nodes): a node may be named like a value, its own output say. A name taken only
  // in the other namespace is free; one a removed node or value had, or UniqueName handed out,
  // stays taken.
  const auto is_value = [&](const std::string& name) { return sources_.count(name) || outputs_.count(name); };
  const auto taken_as_node = [&](const std::string& name) {
    return node_names_.count(name) || (used_names_.count(name) && !is_value(name));
  };
  const auto taken_as_value = [&](const std::string& name) {
    return is_value(name) || (used_names_.count(name) && !node_names_.count(name));
  };
  if (node.name.empty() || taken_as_node(node.name))
    Refuse("cannot add a node named " + Quote(node.name) + ": the name is taken or empty");
  std::unordered_set<std::string> outs;
  for (const std::string& out : node.outputs)
    if (out.empty() || taken_as_value(out) || !outs.insert(out).second)
      Refuse("cannot add " + node.Describe() + ": output name " + Quote(out) + " is taken or empty");
  for (const std::string& in : node.inputs)
    if (!in.empty()) RequireDefined(in, node.Describe() + ": input");
  return AppendNode(std::move(node));
}

void GraphEditor::RemoveNodes(std::vector<std::size_t> indices) {
  EnsureIndex();
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  if (!indices.empty() && indices.back() >= graph_.nodes.size())
    Refuse("cannot remove node " + std::to_string(indices.back()) + ": the graph has " +
           std::to_string(graph_.nodes.size()) + " nodes");
  std::vector<bool> removed(graph_.nodes.size(), false);
  for (std::size_t n : indices) removed[n] = true;
  // Checked before anything changes, so a refused removal leaves the graph as it was.
  for (std::size_t n : indices) {
    const Node& node = graph_.nodes[n];
    for (const std::string& out : node.outputs) {
      if (IsGraphOutput(out)) Refuse("cannot remove " + node.Describe() + ": its output " + Quote(out) + " is a graph output");
      for (const Use& use : Consumers(out))
        if (!removed[use.node])
          Refuse("cannot remove " + node.Describe() + ": its output " + Quote(out) + " is read by " +
                 graph_.nodes[use.node].Describe());
    }
  }
  std::size_t kept = 0;
  for (std::size_t n = 0; n < graph_.nodes.size(); ++n)
    if (!removed[n]) {
      if (kept != n) graph_.nodes[kept] = std::move(graph_.nodes[n]);
      ++kept;
    }
  graph_.nodes.resize(kept);
  stale_ = true;  // later nodes moved down: every index past the first removed one changed
}

void GraphEditor::RenameValue(std::string from, std::string to) {
  for (Node& node : graph_.nodes) {
    for (std::string& v : node.outputs)
      if (v == from) v = to;
    for (std::string& v : node.inputs)
      if (v == from) v = to;
  }
  Reserve(to);
  stale_ = true;
}

std::string GraphEditor::ReplaceAllUses(std::string old_value, std::string new_value) {
  if (old_value == new_value) return new_value;
  RequireDefined(new_value, "replacement value");
  const bool old_is_output = IsGraphOutput(old_value);
  const ValueSource old_source = SourceOf(old_value);
  if (old_is_output && old_source.kind != ValueSource::Kind::kNode)
    Refuse("cannot replace graph output " + Quote(old_value) + ": it is a graph input or initializer, so its name cannot pass to " +
           Quote(new_value));
  if (DependsOn(new_value, old_value))
    Refuse("cannot replace " + Quote(old_value) + " with " + Quote(new_value) + ": " + Quote(new_value) +
           " is computed from it (that would make a cycle)");

  std::vector<Use> moved = Consumers(old_value);
  for (const Use& use : moved) graph_.nodes[use.node].inputs[use.slot] = new_value;
  if (!moved.empty()) {
    std::vector<Use>& now = consumers_[new_value];
    now.insert(now.end(), moved.begin(), moved.end());
    std::sort(now.begin(), now.end(), Before);
    consumers_.erase(old_value);
  }
  if (!old_is_output) return new_value;

  // The graph output keeps its name: old_value's producer lets go of it, the replacement takes it.
  const std::string freed = UniqueName(old_value);
  graph_.nodes[old_source.node].outputs[old_source.output] = freed;
  const ValueSource new_source = SourceOf(new_value);
  stale_ = true;
  if (new_source.kind == ValueSource::Kind::kNode && !IsGraphOutput(new_value)) {
    RenameValue(new_value, old_value);
    return old_value;
  }
  Node copy;
  copy.name = UniqueName("Identity");
  copy.op_type = "Identity";
  copy.inputs = {new_value};
  copy.outputs = {old_value};
  AppendNode(std::move(copy));
  return new_value;
}

void GraphEditor::SetInput(std::size_t node, std::size_t slot, std::string value) {
  EnsureIndex();
  if (node >= graph_.nodes.size()) Refuse("no node " + std::to_string(node) + " in a graph of " + std::to_string(graph_.nodes.size()));
  Node& n = graph_.nodes[node];
  if (!value.empty()) {
    RequireDefined(value, n.Describe() + ": input");
    if (AnyAncestorNode(graph_, sources_, value, [&](std::size_t a) { return a == node; }))
      Refuse(n.Describe() + " cannot read " + Quote(value) + ": it is computed from the node's own output (a cycle)");
  }
  const std::string old = slot < n.inputs.size() ? n.inputs[slot] : "";
  if (old == value) return;
  if (slot >= n.inputs.size()) n.inputs.resize(slot + 1);  // the slots in between are omitted inputs
  if (!old.empty()) {
    auto& uses = consumers_[old];
    uses.erase(std::find(uses.begin(), uses.end(), Use{node, slot}));
    if (uses.empty()) consumers_.erase(old);
  }
  n.inputs[slot] = value;
  if (!value.empty()) {
    auto& uses = consumers_[value];
    const Use use{node, slot};
    uses.insert(std::upper_bound(uses.begin(), uses.end(), use, Before), use);
  }
}

std::string GraphEditor::AddInitializer(const std::string& name_prefix, Tensor value) {
  const std::string name = UniqueName(name_prefix);
  graph_.initializers[name] = std::move(value);
  sources_[name] = {ValueSource::Kind::kInitializer};
  return name;
}

void GraphEditor::RemoveInitializer(std::string name) {
  if (SourceOf(name).kind != ValueSource::Kind::kInitializer) Refuse("no initializer named " + Quote(name));
  if (IsGraphOutput(name)) Refuse("cannot remove initializer " + Quote(name) + ": it is a graph output");
  if (const auto& uses = Consumers(name); !uses.empty())
    Refuse("cannot remove initializer " + Quote(name) + ": it is read by " + graph_.nodes[uses.front().node].Describe());
  graph_.initializers.erase(name);
  sources_.erase(name);
}

void GraphEditor::InferShapes() { graph::InferShapes(graph_); }

}  // namespace axon::graph
