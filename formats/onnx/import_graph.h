// The Axon graph an ONNX import builds, node by node, through the rewrite API (GraphEditor): it
// hands out names that no ONNX name can take later, adds initializers and nodes, and infers each
// new node's output types at once (with the op's schema, as the verifier does), so that a
// translator can ask for an input's rank or dtype. Internal to formats/onnx/.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "formats/onnx/onnx_common.h"
#include "graph/ir.h"
#include "graph/rewrite.h"

namespace axon::formats::onnx_import {

class ImportGraph {
 public:
  // graph holds the inputs already (its initializers are added through AddInitializer).
  // onnx_names: every value and node name of the ONNX graph, which generated names avoid.
  // used_values: values read by some ONNX node or listed as a graph output.
  // allow_missing_schemas: see ImportOptions.
  ImportGraph(const Reporter& reporter, graph::Graph& graph, std::unordered_set<std::string> onnx_names,
              std::unordered_set<std::string> used_values, bool allow_missing_schemas = false);

  const Reporter& reporter() const { return reporter_; }

  // A name no ONNX value or node has and none handed out before: prefix, prefix_1, ...
  std::string FreshName(const std::string& prefix);

  void AddInitializer(const std::string& name, Tensor value);
  // Adds a node (its name and outputs must be fresh or the ONNX graph's own), fits its outputs to
  // its schema (unused extra outputs dropped, missing optional ones named), and infers them.
  void AddNode(graph::Node node);

  // Axon has the op (or, in tests, ImportOptions::allow_missing_schemas is set).
  bool CanEmit(const std::string& op_type) const;
  bool IsUsed(const std::string& value) const { return used_values_.count(value) != 0; }
  const graph::ValueInfo* Info(const std::string& value) const;
  const Tensor* ConstantValue(const std::string& value) const;

  // Sets the graph outputs (a direct edit: GraphEditor takes output names as taken).
  void SetOutputs(std::vector<graph::ValueInfo> outputs);

 private:
  const Reporter& reporter_;
  graph::Graph& graph_;
  graph::GraphEditor editor_;
  std::unordered_set<std::string> onnx_names_, handed_out_;
  std::unordered_map<std::string, std::size_t> next_suffix_;  // FreshName's last suffix per prefix
  std::unordered_set<std::string> used_values_;
  bool allow_missing_schemas_;
  std::unordered_map<std::string, graph::ValueInfo> known_;
};

}  // namespace axon::formats::onnx_import
