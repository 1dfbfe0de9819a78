#include "graph/verifier.h"

#include <set>

#include "graph/op_schema.h"

namespace axon::graph {
namespace {

[[noreturn]] void Fail(const std::string& message) { throw Error(ErrorCode::kInvalidModel, message); }

ValueInfo InfoOfTensor(const std::string& name, const Tensor& t) {
  return ValueInfo{name, t.dtype(), Shape::FromValues(t.shape())};
}

}  // namespace

bool Compatible(const Shape& declared, const Shape& inferred) {
  if (!declared.has_rank() || !inferred.has_rank()) return true;
  if (declared.rank() != inferred.rank()) return false;
  for (int64_t i = 0; i < declared.rank(); ++i)
    if (declared[i].known() && inferred[i].known() && declared[i].value() != inferred[i].value()) return false;
  return true;
}

void VerifyStructure(const Graph& graph) {
  std::set<std::string> defined, node_names;
  auto define = [&](const std::string& value, const std::string& by) {
    if (value.empty()) Fail(by + " defines a value with an empty name");
    if (!defined.insert(value).second) Fail("value '" + value + "' is defined more than once (again by " + by + ")");
  };
  // Declared shapes are the file's word: a shape no tensor could have is refused here, so that
  // shape inference and the kernels can multiply the dims of any value without overflow.
  auto check_declared = [](const ValueInfo& v, const std::string& role) {
    if (v.shape.rank() > kMaxRank)
      Fail(role + " '" + v.name + "' has " + std::to_string(v.shape.rank()) + " dims; at most " +
           std::to_string(kMaxRank) + " are supported");
    if (MultiplyDims(v.shape.dims()).too_large)
      Fail(role + " " + v.ToString() + " has more than " + std::to_string(kMaxElementCount) + " elements");
  };
  for (const ValueInfo& in : graph.inputs) {
    define(in.name, "graph input");
    if (in.dtype == DType::kUndefined) Fail("graph input '" + in.name + "' has no dtype");
    check_declared(in, "graph input");
  }
  for (const ValueInfo& out : graph.outputs) check_declared(out, "graph output");
  for (const auto& [name, tensor] : graph.initializers) define(name, "initializer");
  for (const Node& node : graph.nodes) {
    // Unnamed nodes are allowed (exporters emit them), as many as there are.
    if (!node.name.empty() && !node_names.insert(node.name).second) Fail("node name '" + node.name + "' is used twice");
    for (const std::string& out : node.outputs) define(out, node.Describe());
  }
  for (const Node& node : graph.nodes)
    for (std::size_t i = 0; i < node.inputs.size(); ++i)
      if (!node.inputs[i].empty() && !defined.count(node.inputs[i]))
        Fail(node.Describe() + ": input " + std::to_string(i) + " '" + node.inputs[i] + "' is not defined by any node, input or initializer");
  if (graph.outputs.empty()) Fail("graph '" + graph.name + "' has no outputs");
  for (const ValueInfo& out : graph.outputs)
    if (!defined.count(out.name)) Fail("graph output '" + out.name + "' is not defined by any node, input or initializer");
  TopologicalOrder(graph);  // throws on a cycle
}

void InferShapes(Graph& graph) {
  std::map<std::string, ValueInfo> known;
  for (const ValueInfo& in : graph.inputs) known[in.name] = in;
  for (const auto& [name, t] : graph.initializers) known[name] = InfoOfTensor(name, t);
  graph.value_info.clear();
  for (std::size_t index : TopologicalOrder(graph)) {
    const Node& node = graph.nodes[index];
    const OpSchema& schema = SchemaFor(node);
    InferContext ctx(node, schema);
    for (const std::string& in : node.inputs) {
      ctx.inputs.push_back(in.empty() ? ValueInfo{} : known.at(in));
      auto init = graph.initializers.find(in);
      ctx.input_values.push_back(init == graph.initializers.end() ? nullptr : &init->second);
    }
    schema.RunInference(ctx);
    for (ValueInfo& out : ctx.outputs) {
      if (out.dtype == DType::kUndefined) ctx.Fail("inference gave output '" + out.name + "' no dtype");
      known[out.name] = out;
      graph.value_info[out.name] = out;
    }
  }
  for (ValueInfo& out : graph.outputs) {
    const ValueInfo& inferred = known.at(out.name);
    if (out.dtype != DType::kUndefined && out.dtype != inferred.dtype)
      Fail("graph output '" + out.name + "' is declared " + std::string(DTypeName(out.dtype)) + " but computed as " +
           std::string(DTypeName(inferred.dtype)));
    if (!Compatible(out.shape, inferred.shape))
      Fail("graph output '" + out.name + "' is declared " + out.shape.ToString() + " but computed as " + inferred.shape.ToString());
    if (out.dtype == DType::kUndefined) out.dtype = inferred.dtype;
    if (!out.shape.has_rank()) out.shape = inferred.shape;
  }
}

void Verify(Graph& graph) {
  VerifyStructure(graph);
  InferShapes(graph);
}

}  // namespace axon::graph
