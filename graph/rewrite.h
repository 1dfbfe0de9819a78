// The one way to edit a graph: the importer, the passes and autodiff all use GraphEditor, so the
// rules that keep a graph well formed live in one place. It indexes who produces and who consumes
// each value, hands out fresh names, and refuses edits that would leave a dangling edge or a cycle.
//
//   GraphEditor e(graph);
//   Node& fused = e.AddNode("Gemm", {a, b, c}, 1, {{"transB", int64_t{1}}});
//   e.ReplaceAllUses(relu_out, fused.outputs[0]);
//   e.RemoveNodes({gemm_index, relu_index});
//   e.InferShapes();
//
// Rules:
// - Node indices and Node& / Node* are valid until the next AddNode, RemoveNode(s) or a
//   ReplaceAllUses that inserts a node (graph.nodes is a std::vector: adding may reallocate,
//   removing shifts later nodes down). Names are stable; so is the order of the other nodes.
//   Passes that remove while scanning collect indices first and remove them in one call.
// - While an editor lives, change a node's inputs, outputs or name, and the graph's initializers,
//   inputs and outputs, only through it. Attributes and op_type may be edited in place. After a
//   direct edit, call Refresh().
// - graph.value_info is not kept current by edits; InferShapes() re-makes it.
// - Edits that rename values take names by value, so passing a string that lives in the graph
//   (node.outputs[0]) is safe although the edit changes or moves it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "graph/ir.h"

namespace axon::graph {

// Where a value is defined.
struct ValueSource {
  enum class Kind { kUndefined, kGraphInput, kInitializer, kNode };
  Kind kind = Kind::kUndefined;
  std::size_t node = 0;    // index into graph.nodes, when kind == kNode
  std::size_t output = 0;  // which of that node's outputs
};

// One reading of a value: input `slot` of graph.nodes[node].
struct Use {
  std::size_t node;
  std::size_t slot;
  bool operator==(const Use&) const = default;
};

class GraphEditor {
 public:
  explicit GraphEditor(Graph& graph);

  Graph& graph() { return graph_; }
  const Graph& graph() const { return graph_; }

  // --- queries -----------------------------------------------------------------------------
  ValueSource SourceOf(const std::string& value) const;
  // The node producing value; nullptr for graph inputs, initializers and undefined names.
  const Node* Producer(const std::string& value) const;
  // Every node input reading value, ordered by (node, slot). Empty for unused or unknown values.
  const std::vector<Use>& Consumers(const std::string& value) const;
  bool IsDefined(const std::string& value) const { return SourceOf(value).kind != ValueSource::Kind::kUndefined; }
  bool IsGraphInput(const std::string& value) const;
  bool IsGraphOutput(const std::string& value) const;
  // Read by no node and not a graph output.
  bool IsUnused(const std::string& value) const { return Consumers(value).empty() && !IsGraphOutput(value); }
  std::optional<std::size_t> FindNode(const std::string& node_name) const;

  // --- names -------------------------------------------------------------------------------
  // A name no value, node, initializer or graph input/output has, nor any name this editor has
  // handed out before: `prefix` itself when free, else prefix_1, prefix_2, ...
  std::string UniqueName(const std::string& prefix);

  // --- edits -------------------------------------------------------------------------------
  // Appends a node named UniqueName(name_prefix, or op_type when empty) whose outputs are fresh
  // names "<node>:<i>". Inputs must be defined ("" omits an optional one). The reference is
  // valid until the next edit that adds or removes a node.
  Node& AddNode(const std::string& op_type, std::vector<std::string> inputs, std::size_t num_outputs = 1,
                std::map<std::string, Attribute> attrs = {}, const std::string& name_prefix = "");
  // Appends a node as given: its name and output names must be unused, its inputs defined.
  Node& AddNode(Node node);

  // Removes nodes, keeping the others in order. Refuses (axon::Error, nothing removed) when an
  // output of a removed node is a graph output or is read by a node that stays.
  void RemoveNodes(std::vector<std::size_t> indices);
  void RemoveNode(std::size_t index) { RemoveNodes({index}); }

  // Makes every reader of old_value read new_value instead. Refuses (nothing changed) when
  // new_value is undefined or computed from old_value (a cycle).
  //
  // A graph output's name is public and never changes. When old_value is a graph output, its
  // producer's output gets a fresh name (old_value's producer is then unused, for dead-node
  // elimination to remove) and the name old_value passes to the replacement:
  // - when new_value is a node output that is not public (no graph output), that node's output
  //   is renamed to old_value, along with its readers: no node is added;
  // - otherwise (a graph input, an initializer or another graph output) an Identity node copies
  //   new_value into old_value.
  // A graph output that is itself a graph input or initializer has no producer to take the
  // name from and cannot be replaced. Returns the name the replacement value now has: old_value
  // when it was renamed, else new_value.
  std::string ReplaceAllUses(std::string old_value, std::string new_value);

  // Makes input `slot` of node `node` read value (defined; "" omits an optional input). Refuses
  // a value computed from the node itself (a cycle).
  void SetInput(std::size_t node, std::size_t slot, std::string value);

  // Adds a weight under UniqueName(name_prefix) and returns that name.
  std::string AddInitializer(const std::string& name_prefix, Tensor value);
  // Refuses (axon::Error) when a node reads it or it is a graph output.
  void RemoveInitializer(std::string name);

  // Re-infers every node output's dtype and shape into graph.value_info (the verifier's
  // InferShapes: one implementation). Throws axon::Error naming the node on inconsistency.
  void InferShapes();

  // Re-reads the graph after direct edits.
  void Refresh();

 private:
  void EnsureIndex() const;
  void Reserve(const std::string& name) { used_names_.insert(name); }
  void RequireDefined(const std::string& value, const std::string& what) const;
  // True when value is old_value or is computed (transitively) from it.
  bool DependsOn(const std::string& value, const std::string& old_value) const;
  void RenameValue(std::string from, std::string to);
  Node& AppendNode(Node node);

  Graph& graph_;
  // Rebuilt lazily after edits that shift node indices; updated in place by the others.
  mutable bool stale_ = true;
  mutable std::unordered_map<std::string, ValueSource> sources_;
  mutable std::unordered_map<std::string, std::vector<Use>> consumers_;
  mutable std::unordered_set<std::string> outputs_;
  mutable std::unordered_map<std::string, std::size_t> node_names_;
  // Never shrinks: a name handed out stays taken, even when its node is removed again.
  mutable std::unordered_set<std::string> used_names_;
};

}  // namespace axon::graph
