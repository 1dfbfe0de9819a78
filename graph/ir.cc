#include "graph/ir.h"

#include <cstring>
#include <unordered_map>

namespace axon::graph {

std::string ValueInfo::ToString() const {
  return name + ": " + std::string(DTypeName(dtype)) + shape.ToString();
}

std::string Node::Describe() const {
  if (!name.empty()) return "node '" + name + "' (" + op_type + ")";
  // Exporters leave names out. The node's index would shift as passes rewrite the graph, and
  // callers may not know it; its first output is unique in a verified graph and findable.
  if (outputs.empty() || outputs[0].empty()) return "unnamed node (" + op_type + ")";
  return "unnamed node (" + op_type + ") producing '" + outputs[0] + "'";
}

const char* AttrTypeName(AttrType t) {
  switch (t) {
    case AttrType::kInt: return "int";
    case AttrType::kFloat: return "float";
    case AttrType::kString: return "string";
    case AttrType::kInts: return "ints";
    case AttrType::kFloats: return "floats";
    case AttrType::kStrings: return "strings";
    case AttrType::kTensor: return "tensor";
  }
  return "?";
}

bool TensorAttr::operator==(const TensorAttr& other) const {
  return value.dtype() == other.value.dtype() && value.shape() == other.value.shape() &&
         (value.nbytes() == 0 || std::memcmp(value.raw_data(), other.value.raw_data(), value.nbytes()) == 0);
}

std::vector<std::size_t> TopologicalOrder(const Graph& graph) {
  const std::size_t n = graph.nodes.size();
  std::unordered_map<std::string, std::size_t> producer;
  for (std::size_t i = 0; i < n; ++i)
    for (const std::string& out : graph.nodes[i].outputs) producer[out] = i;

  // Kahn's algorithm, taking ready nodes in file order so the order is deterministic.
  std::vector<std::size_t> pending(n, 0);
  std::vector<std::vector<std::size_t>> consumers(n);
  for (std::size_t i = 0; i < n; ++i)
    for (const std::string& in : graph.nodes[i].inputs) {
      auto it = producer.find(in);
      if (in.empty() || it == producer.end()) continue;
      ++pending[i];
      consumers[it->second].push_back(i);
    }
  std::vector<std::size_t> order, ready;
  for (std::size_t i = n; i-- > 0;)
    if (pending[i] == 0) ready.push_back(i);
  while (!ready.empty()) {
    std::size_t i = ready.back();
    ready.pop_back();
    order.push_back(i);
    std::vector<std::size_t> next;
    for (std::size_t c : consumers[i])
      if (--pending[c] == 0) next.push_back(c);
    ready.insert(ready.end(), next.rbegin(), next.rend());
  }
  if (order.size() != n) {
    for (std::size_t i = 0; i < n; ++i)
      if (pending[i] != 0)
        throw Error(ErrorCode::kInvalidModel, "graph has a cycle through " + graph.nodes[i].Describe());
  }
  return order;
}

}  // namespace axon::graph
