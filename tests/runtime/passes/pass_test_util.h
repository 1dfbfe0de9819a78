// Runs a graph as loaded and as the passes leave it, and compares the outputs: every pass test
// checks its rewrite this way (and the node count of the optimized graph).
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "axon/axon.h"
#include "graph/ir.h"
#include "runtime/graph_optimizer.h"
#include "runtime/session_factory.h"

namespace axon::testing {

inline std::vector<Tensor> RunGraph(graph::Graph g, const std::vector<NamedTensor>& inputs) {
  graph::Model m;
  m.graph = std::move(g);
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 1, .opt_level = 0}, "test");
  return s.Run(inputs);
}

// A tensor of uniform values in [lo, hi), the same for a given seed.
inline Tensor RandomTensor(std::vector<int64_t> shape, uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  Tensor t = Tensor::Zeros(DType::kF32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// Largest |a - b| / (1 + |b|) over two lists of f32 tensors of equal shapes (NaN where they
// differ in NaN-ness).
inline double MaxRelativeDifference(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].shape() == b[i].shape());
    REQUIRE(a[i].dtype() == DType::kF32);
    for (int64_t k = 0; k < a[i].size(); ++k) {
      const double x = a[i].data<float>()[k], y = b[i].data<float>()[k];
      if (std::isnan(x) != std::isnan(y)) return NAN;
      if (!std::isnan(x)) worst = std::max(worst, std::abs(x - y) / (1 + std::abs(y)));
    }
  }
  return worst;
}

struct Optimized {
  graph::Graph graph;
  graph::PipelineReport report;
  double difference = 0;  // MaxRelativeDifference(optimized outputs, unoptimized outputs)
};

// Runs g unoptimized and optimized at opt_level (with the passes named in `disabled` off).
inline Optimized OptimizeAndCompare(const graph::Graph& g, const std::vector<NamedTensor>& inputs, int opt_level = 2,
                                    runtime::OptimizeOptions options = {}) {
  Optimized r;
  r.graph = g;
  options.opt_level = opt_level;
  r.report = runtime::OptimizeGraph(r.graph, options);
  r.difference = MaxRelativeDifference(RunGraph(r.graph, inputs), RunGraph(g, inputs));
  return r;
}

inline int CountOps(const graph::Graph& g, const std::string& op) {
  int n = 0;
  for (const graph::Node& node : g.nodes) n += node.op_type == op;
  return n;
}

}  // namespace axon::testing
