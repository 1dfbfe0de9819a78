// Small queries the passes share: a value's type and shape, whether a node's output can be
// absorbed by its one reader.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graph/ir.h"
#include "graph/rewrite.h"

namespace axon::graph {

// The inferred type of a graph input, initializer or node output (value_info is current when a
// pass runs); null when unknown.
const ValueInfo* ValueTypeOf(const Graph& graph, const std::string& value);
// The value's dtype (initializers included); kUndefined when unknown.
DType DTypeOf(const Graph& graph, const std::string& value);
// The value's shape when its rank is known (dims may be symbolic); nullopt otherwise.
std::optional<Shape> ShapeOf(const Graph& graph, const std::string& value);

// The node reading `value`, when it is that value's only reader (one use) and the value is not
// a graph output: a fusion may then fold the producer into that reader.
std::optional<std::size_t> SoleConsumer(const GraphEditor& editor, const std::string& value);
// SoleConsumer, when that reader is an `op_type` node.
std::optional<std::size_t> SoleConsumerOp(const GraphEditor& editor, const std::string& value, std::string_view op_type);

// The value of a one-element f32 initializer (a scalar as exporters write it: shape [], [1], ...).
std::optional<float> ScalarConstant(const Graph& graph, const std::string& value);
// Dims equal in every run: one known size, or one named symbol. Two anonymous dims ("?") may
// differ at run time (one may be 1 and broadcast), so a fusion that needs equal shapes must not
// take Shape's ==, which calls them equal.
bool SameDim(const Dim& a, const Dim& b);
bool SameDims(const Shape& a, const Shape& b);
// The input of a two-input node other than `value` ("" when the node reads `value` twice or not at all).
std::string OtherInput(const Node& node, const std::string& value);

// The bookkeeping of a pass that collapses matched patterns into their last node (which becomes
// the fused op and keeps its output, so nothing is renamed): a node joins at most one match, and
// the others of every match are removed together at the end, with one Refresh.
class PatternClaims {
 public:
  explicit PatternClaims(const Graph& graph) : taken_(graph.nodes.size(), false) {}
  bool Taken(std::size_t node) const { return taken_[node]; }
  // Whether no node of a match is claimed yet.
  bool Free(std::size_t last, const std::vector<std::size_t>& others) const;
  void Claim(std::size_t last, const std::vector<std::size_t>& others);
  // Removes every claimed match's other nodes; false when nothing was claimed.
  bool Commit(GraphEditor& editor);

 private:
  std::vector<bool> taken_;
  std::vector<std::size_t> removed_;
};

}  // namespace axon::graph
