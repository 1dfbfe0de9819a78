#include "graph/builder.h"

#include "graph/verifier.h"

namespace axon::graph {

GraphBuilder::GraphBuilder(std::string graph_name) { graph_.name = std::move(graph_name); }

std::string GraphBuilder::Input(const std::string& name, DType dtype, Shape shape) {
  graph_.inputs.push_back(ValueInfo{name, dtype, std::move(shape)});
  return name;
}

std::string GraphBuilder::Weight(const std::string& name, Tensor value) {
  graph_.initializers[name] = std::move(value);
  return name;
}

std::string GraphBuilder::Op(const std::string& op_type, std::vector<std::string> inputs,
                             std::map<std::string, Attribute> attrs, const std::string& node_name) {
  return OpN(op_type, std::move(inputs), 1, std::move(attrs), node_name)[0];
}

std::vector<std::string> GraphBuilder::OpN(const std::string& op_type, std::vector<std::string> inputs,
                                           std::size_t num_outputs, std::map<std::string, Attribute> attrs,
                                           const std::string& node_name) {
  Node node;
  node.name = node_name.empty() ? op_type + "_" + std::to_string(counter_++) : node_name;
  node.op_type = op_type;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  for (std::size_t i = 0; i < num_outputs; ++i) node.outputs.push_back(node.name + ":" + std::to_string(i));
  graph_.nodes.push_back(std::move(node));
  return graph_.nodes.back().outputs;
}

void GraphBuilder::Output(const std::string& value, const std::string& output_name) {
  std::string name = value;
  if (!output_name.empty() && output_name != value) {
    // Rename where the value is produced and wherever it is consumed.
    for (Node& node : graph_.nodes) {
      for (std::string& out : node.outputs)
        if (out == value) out = output_name;
      for (std::string& in : node.inputs)
        if (in == value) in = output_name;
    }
    name = output_name;
  }
  graph_.outputs.push_back(ValueInfo{name, DType::kUndefined, Shape::UnknownRank()});
}

Graph GraphBuilder::Build() {
  Graph g = graph_;
  Verify(g);
  return g;
}

}  // namespace axon::graph
