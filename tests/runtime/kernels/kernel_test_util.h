// Runs a registered kernel (AXON_KERNEL) on tensors the way the executor does: attributes read
// through the op's schema (so defaults apply), optionally after the kernel's prepare step.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "axon/tensor.h"
#include "graph/op_schema.h"
#include "runtime/kernel_registry.h"

namespace axon::test {

// n floats drawn uniformly from [lo, hi), the same for the same seed on every run.
inline std::vector<float> RandomFloats(int64_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// Whether the kernel's compile-time prepare step sees the inputs as constants (initializers),
// as it does for weights in a session, or not at all.
enum class Constants { kNone, kAll };

inline void RunKernel(const std::string& op, std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs,
                      const std::map<std::string, graph::Attribute>& attrs = {},
                      Constants constants = Constants::kNone) {
  graph::Node node;
  node.name = "test";
  node.op_type = op;
  node.attrs = attrs;
  graph::AttrReader reader(node, graph::SchemaFor(node));
  const runtime::Kernel* kernel = runtime::FindKernel(op);
  REQUIRE(kernel != nullptr);
  if (kernel->alias_input >= 0) {  // as the executor does: the input's storage, the output's shape
    *outputs.at(0) = inputs.at(static_cast<std::size_t>(kernel->alias_input))->Reshaped(outputs[0]->shape());
    return;
  }
  std::shared_ptr<const void> prepared;
  if (kernel->prepare && constants == Constants::kAll) prepared = kernel->prepare({inputs, reader});
  runtime::KernelContext ctx(std::move(inputs), std::move(outputs), reader, prepared.get());
  kernel->run(ctx);
}

}  // namespace axon::test
