// Runs a registered kernel (AXON_KERNEL) on tensors, the way the executor does, with attributes
// read through a test-local OpSchema carrying ONNX defaults: the kernel tests do not depend on
// graph/ops/ having declared the op yet.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "axon/tensor.h"
#include "graph/op_schema.h"
#include "runtime/kernel_registry.h"

namespace axon::test {

struct AttrDefault {
  std::string name;
  graph::Attribute value;
};

inline void RunKernel(const std::string& op, std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs,
                      const std::map<std::string, graph::Attribute>& attrs = {},
                      const std::vector<AttrDefault>& defaults = {}) {
  graph::OpSchema schema(op);
  for (const AttrDefault& a : defaults) schema.Attr(a.name, graph::TypeOf(a.value), a.value);
  graph::Node node;
  node.name = "test";
  node.op_type = op;
  node.attrs = attrs;
  graph::AttrReader reader(node, schema);
  runtime::KernelContext ctx(std::move(inputs), std::move(outputs), reader);
  const runtime::KernelFn* fn = runtime::FindKernel(op);
  REQUIRE(fn != nullptr);
  (*fn)(ctx);
}

}  // namespace axon::test
