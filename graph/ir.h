// The graph IR: a model is a Graph of Nodes connected by named values. Names are the edges, as
// in the file format, so a graph round-trips exactly and passes can rewrite it by name.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "axon/dtype.h"
#include "axon/tensor.h"
#include "graph/attribute.h"
#include "graph/opset.h"
#include "graph/shape.h"

namespace axon::graph {

struct ValueInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
  std::string ToString() const;  // "x: f32[batch,784]"
};

struct Node {
  std::string name;                  // may be empty; non-empty names are unique (the verifier checks)
  std::string op_type;
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attrs;

  std::string Describe() const;      // "node 'fc1' (Gemm)", "unnamed node (Relu) producing 'h'"
};

struct Graph {
  std::string name;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<Node> nodes;
  std::map<std::string, Tensor> initializers;
  std::map<std::string, ValueInfo> value_info;  // intermediate values' types, filled by InferShapes

  bool IsInitializer(const std::string& value) const { return initializers.count(value) != 0; }
};

struct Model {
  static constexpr int64_t kFormatVersion = 1;
  static constexpr int64_t kOpsetVersion = graph::kOpsetVersion;

  int64_t format_version = kFormatVersion;
  std::string producer_name = "axon";
  std::string producer_version;
  int64_t opset_version = kOpsetVersion;
  Graph graph;
  std::map<std::string, std::string> metadata;
};

// Node indices in an order where every node comes after the producers of its inputs. Throws
// axon::Error naming a node on the cycle if there is one.
std::vector<std::size_t> TopologicalOrder(const Graph& graph);

}  // namespace axon::graph
