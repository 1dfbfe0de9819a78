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

}  // namespace axon::graph
