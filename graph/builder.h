// Builds graphs in C++: declare inputs and weights, add ops, mark outputs. Value and node names
// are generated ("Gemm_0", "Gemm_0:0") unless given.
//
//   GraphBuilder b("xor");
//   auto x = b.Input("x", DType::kF32, {Dim::Symbol("batch"), 2});
//   auto h = b.Op("Sigmoid", {b.Op("Gemm", {x, b.Weight("w1", w1), b.Weight("b1", b1)})});
//   b.Output(h, "y");
//   Graph g = b.Build();  // verified, shapes inferred
#pragma once

#include <string>
#include <vector>

#include "graph/ir.h"

namespace axon::graph {

class GraphBuilder {
 public:
  explicit GraphBuilder(std::string graph_name);

  std::string Input(const std::string& name, DType dtype, Shape shape);
  std::string Weight(const std::string& name, Tensor value);
  // Adds a node with one output and returns the output's value name.
  std::string Op(const std::string& op_type, std::vector<std::string> inputs,
                 std::map<std::string, Attribute> attrs = {}, const std::string& node_name = "");
  // Adds a node with several outputs.
  std::vector<std::string> OpN(const std::string& op_type, std::vector<std::string> inputs, std::size_t num_outputs,
                               std::map<std::string, Attribute> attrs = {}, const std::string& node_name = "");
  // Marks a value as a graph output; with output_name, it is renamed to that (so callers see
  // "y" rather than "Sigmoid_3:0").
  void Output(const std::string& value, const std::string& output_name = "");

  Graph Build();  // verifies; throws axon::Error

 private:
  Graph graph_;
  std::size_t counter_ = 0;
};

}  // namespace axon::graph
