#include "graph/passes/pass_util.h"

namespace axon::graph {

const ValueInfo* ValueTypeOf(const Graph& graph, const std::string& value) {
  if (auto it = graph.value_info.find(value); it != graph.value_info.end()) return &it->second;
  for (const ValueInfo& in : graph.inputs)
    if (in.name == value) return &in;
  return nullptr;
}

DType DTypeOf(const Graph& graph, const std::string& value) {
  if (auto it = graph.initializers.find(value); it != graph.initializers.end()) return it->second.dtype();
  const ValueInfo* info = ValueTypeOf(graph, value);
  return info ? info->dtype : DType::kUndefined;
}

std::optional<Shape> ShapeOf(const Graph& graph, const std::string& value) {
  if (auto it = graph.initializers.find(value); it != graph.initializers.end()) return Shape::FromValues(it->second.shape());
  const ValueInfo* info = ValueTypeOf(graph, value);
  if (!info || !info->shape.has_rank()) return std::nullopt;
  return info->shape;
}

std::optional<std::size_t> SoleConsumer(const GraphEditor& editor, const std::string& value) {
  if (editor.IsGraphOutput(value)) return std::nullopt;
  const std::vector<Use>& uses = editor.Consumers(value);
  if (uses.size() != 1) return std::nullopt;
  return uses[0].node;
}

std::optional<std::size_t> SoleConsumerOp(const GraphEditor& editor, const std::string& value, std::string_view op_type) {
  const std::optional<std::size_t> reader = SoleConsumer(editor, value);
  if (!reader || editor.graph().nodes[*reader].op_type != op_type) return std::nullopt;
  return reader;
}

std::optional<float> ScalarConstant(const Graph& graph, const std::string& value) {
  const auto it = graph.initializers.find(value);
  if (it == graph.initializers.end() || !it->second.defined() || it->second.dtype() != DType::kF32 || it->second.size() != 1)
    return std::nullopt;
  return it->second.data<float>()[0];
}

bool SameDim(const Dim& a, const Dim& b) {
  if (a.known() || b.known()) return a.known() && b.known() && a.value() == b.value();
  return !a.symbol().empty() && a.symbol() == b.symbol();
}

bool SameDims(const Shape& a, const Shape& b) {
  if (!a.has_rank() || !b.has_rank() || a.rank() != b.rank()) return false;
  for (int64_t i = 0; i < a.rank(); ++i)
    if (!SameDim(a[i], b[i])) return false;
  return true;
}

std::string OtherInput(const Node& node, const std::string& value) {
  if (node.inputs.size() != 2 || node.inputs[0] == node.inputs[1]) return "";
  if (node.inputs[0] == value) return node.inputs[1];
  if (node.inputs[1] == value) return node.inputs[0];
  return "";
}

bool PatternClaims::Free(std::size_t last, const std::vector<std::size_t>& others) const {
  if (taken_[last]) return false;
  for (std::size_t n : others)
    if (taken_[n]) return false;
  return true;
}

void PatternClaims::Claim(std::size_t last, const std::vector<std::size_t>& others) {
  taken_[last] = true;
  for (std::size_t n : others) {
    taken_[n] = true;
    removed_.push_back(n);
  }
}

bool PatternClaims::Commit(GraphEditor& editor) {
  if (removed_.empty()) return false;
  editor.Refresh();
  editor.RemoveNodes(std::move(removed_));
  removed_.clear();
  return true;
}

}  // namespace axon::graph
