// Runs one op's shape inference on given input types, for schema tests.
#pragma once

#include "graph/op_schema.h"

namespace axon::graph::testing {

inline ValueInfo F32(std::vector<Dim> dims) { return ValueInfo{"", DType::kF32, Shape(std::move(dims))}; }

// Infers the outputs of one node of op_type over the given inputs (and constant values).
inline std::vector<ValueInfo> InferOp(const std::string& op_type, std::vector<ValueInfo> inputs,
                                      std::map<std::string, Attribute> attrs = {},
                                      std::vector<const Tensor*> values = {}) {
  Node node{"n", op_type, {}, {"y"}, std::move(attrs)};
  for (std::size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back("in" + std::to_string(i));
  const OpSchema& schema = SchemaFor(node);
  InferContext ctx(node, schema);
  ctx.inputs = std::move(inputs);
  values.resize(ctx.inputs.size(), nullptr);
  ctx.input_values = std::move(values);
  schema.RunInference(ctx);
  return ctx.outputs;
}

}  // namespace axon::graph::testing
