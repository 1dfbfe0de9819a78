// Helpers for kernel tests: seeded random inputs, and running one op through a session.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "axon/tensor.h"
#include "axon/axon.h"
#include "graph/ir.h"
#include "runtime/session_factory.h"

namespace axon::test {

// n floats drawn uniformly from [lo, hi), the same for the same seed on every run.
inline std::vector<float> RandomFloats(int64_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// Whether the op's inputs are constants (initializers: the adapter may prepare them, e.g. pack a
// GEMM weight ahead of time) or fed at run time.
enum class Constants { kNone, kAll };

// Runs one op the way a session does: a one-node graph, verified and planned (attributes and
// defaults read through the op's schema, the kernel bound by the op's adapter), run into the
// given output tensors, which must have the shapes and dtypes the op makes. A null input is an
// omitted optional one.
inline void RunKernel(const std::string& op, std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs,
                      const std::map<std::string, graph::Attribute>& attrs = {},
                      Constants constants = Constants::kNone) {
  graph::Model model;
  graph::Graph& g = model.graph;
  g.name = "kernel_test";
  graph::Node node{"test", op, {}, {}, attrs};
  std::vector<Tensor> feeds;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) {  // an omitted optional input
      node.inputs.emplace_back();
      continue;
    }
    const std::string name = "in" + std::to_string(i);
    node.inputs.push_back(name);
    if (constants == Constants::kAll) {
      g.initializers[name] = *inputs[i];
    } else {
      g.inputs.push_back({name, inputs[i]->dtype(), graph::Shape::FromValues(inputs[i]->shape())});
      feeds.push_back(*inputs[i]);
    }
  }
  std::vector<Tensor> results;
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    node.outputs.push_back("out" + std::to_string(o));
    g.outputs.push_back({node.outputs.back(), DType::kUndefined, graph::Shape()});
    results.push_back(*outputs[o]);  // shares the caller's storage: the run writes into it
  }
  g.nodes.push_back(std::move(node));
  Session session = detail::SessionFactory::FromModel(std::move(model), {}, "kernel_test");
  session.RunInto(feeds, results);
}

}  // namespace axon::test
