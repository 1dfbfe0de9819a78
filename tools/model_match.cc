#include "tools/model_match.h"

#include "axon/tensor.h"

namespace axon::cli {
namespace {

std::string Typed(const Tensor& t) { return std::string(DTypeName(t.dtype())) + ShapeToString(t.shape()); }

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + ("'" + n + "'");
  return out;
}

std::string ValueInfos(const std::vector<graph::ValueInfo>& infos) {
  std::string out;
  for (const graph::ValueInfo& v : infos) out += (out.empty() ? "" : ", ") + v.ToString();
  return "(" + out + ")";
}

bool SameInfos(const std::vector<graph::ValueInfo>& a, const std::vector<graph::ValueInfo>& b, bool with_shapes) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || (with_shapes && a[i].ToString() != b[i].ToString())) return false;
  return true;
}

}  // namespace

std::string ModelDifference(const graph::Graph& given, const graph::Graph& saved) {
  if (!SameInfos(given.inputs, saved.inputs, true))
    return "its inputs are " + ValueInfos(given.inputs) + ", the checkpoint's " + ValueInfos(saved.inputs);
  // Outputs by name only: the checkpoint's model is written in its inference form.
  if (!SameInfos(given.outputs, saved.outputs, false))
    return "its outputs are " + ValueInfos(given.outputs) + ", the checkpoint's " + ValueInfos(saved.outputs);
  for (const auto& [name, t] : given.initializers) {
    const auto it = saved.initializers.find(name);
    if (it == saved.initializers.end()) return "it has a weight '" + name + "' that the checkpoint's model has not";
    if (it->second.dtype() != t.dtype() || it->second.shape() != t.shape())
      return "its weight '" + name + "' is " + Typed(t) + ", the checkpoint's " + Typed(it->second);
  }
  for (const auto& [name, t] : saved.initializers)
    if (!given.initializers.count(name)) return "the checkpoint's model has a weight '" + name + "' that it has not";
  if (given.nodes.size() != saved.nodes.size())
    return "it has " + std::to_string(given.nodes.size()) + " nodes, the checkpoint's model " + std::to_string(saved.nodes.size());
  for (std::size_t i = 0; i < given.nodes.size(); ++i) {
    const graph::Node &a = given.nodes[i], &b = saved.nodes[i];
    if (a.op_type != b.op_type || a.inputs != b.inputs)
      return "its node #" + std::to_string(i) + " is " + a.Describe() + " reading " + Joined(a.inputs) +
             ", the checkpoint's " + b.Describe() + " reading " + Joined(b.inputs);
  }
  return "";
}

}  // namespace axon::cli
