// Runs one op's shape inference on given input types, for schema tests.
#pragma once

#include "graph/op_schema.h"

namespace axon::graph::testing {

inline ValueInfo F32(std::vector<Dim> dims) { return ValueInfo{"", DType::kF32, Shape(std::move(dims))}; }
inline ValueInfo I64(std::vector<Dim> dims) { return ValueInfo{"", DType::kI64, Shape(std::move(dims))}; }
inline ValueInfo Typed(DType dtype, std::vector<Dim> dims) { return ValueInfo{"", dtype, Shape(std::move(dims))}; }
// An omitted optional input ("" in the node's input list).
inline ValueInfo Omitted() { return ValueInfo{}; }

// Infers the outputs of one node of op_type over the given inputs (and constant values), with
// `num_outputs` outputs (Split has as many as the node lists).
inline std::vector<ValueInfo> InferOpOutputs(const std::string& op_type, std::vector<ValueInfo> inputs,
                                             std::size_t num_outputs, std::map<std::string, Attribute> attrs = {},
                                             std::vector<const Tensor*> values = {}) {
  Node node{"n", op_type, {}, {}, std::move(attrs)};
  for (std::size_t i = 0; i < inputs.size(); ++i)
    node.inputs.push_back(inputs[i].dtype == DType::kUndefined ? "" : "in" + std::to_string(i));
  for (std::size_t o = 0; o < num_outputs; ++o) node.outputs.push_back(o == 0 ? "y" : "y" + std::to_string(o));
  const OpSchema& schema = SchemaFor(node);
  InferContext ctx(node, schema);
  ctx.inputs = std::move(inputs);
  values.resize(ctx.inputs.size(), nullptr);
  ctx.input_values = std::move(values);
  schema.RunInference(ctx);
  return ctx.outputs;
}

// The same with one output.
inline std::vector<ValueInfo> InferOp(const std::string& op_type, std::vector<ValueInfo> inputs,
                                      std::map<std::string, Attribute> attrs = {},
                                      std::vector<const Tensor*> values = {}) {
  return InferOpOutputs(op_type, std::move(inputs), 1, std::move(attrs), std::move(values));
}

}  // namespace axon::graph::testing
