// axon inspect: what a model file holds: inputs, outputs, ops, parameters and FLOPs.
#include <cstdio>
#include <map>

#include "formats/axon_format.h"
#include "graph/op_schema.h"
#include "graph/verifier.h"
#include "tools/args.h"
#include "tools/command.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon inspect MODEL [--batch N]

Prints MODEL's producer and versions, inputs and outputs with dtypes and shapes, a histogram of
op types, the parameter count and size, and an estimate of the FLOPs of one run. Symbolic dims
(such as batch) are taken as N for the FLOP estimate.

options:
  --batch N   size given to every symbolic dim for the FLOP estimate (default 1)
)";

std::string HumanCount(double n) {
  const char* units[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (n >= 1000 && u < 4) n /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.2f%s" : "%.0f%s", n, units[u]);
  return buf;
}

// FLOPs of one run with every unknown input dim set to `batch`.
double EstimateFlops(graph::Graph g, int64_t batch) {
  for (graph::ValueInfo& in : g.inputs) {
    std::vector<graph::Dim> dims;
    for (const graph::Dim& d : in.shape.dims()) dims.emplace_back(d.known() ? d.value() : batch);
    in.shape = graph::Shape(std::move(dims));
  }
  graph::InferShapes(g);
  auto shape_of = [&](const std::string& v) -> std::vector<int64_t> {
    if (auto it = g.initializers.find(v); it != g.initializers.end()) return it->second.shape();
    const graph::ValueInfo* info = g.FindValueInfo(v);
    auto values = info ? info->shape.values() : std::nullopt;
    return values.value_or(std::vector<int64_t>{});
  };
  double flops = 0;
  for (const graph::Node& node : g.nodes) {
    std::vector<std::vector<int64_t>> ins, outs;
    for (const auto& v : node.inputs) ins.push_back(v.empty() ? std::vector<int64_t>{} : shape_of(v));
    for (const auto& v : node.outputs) outs.push_back(shape_of(v));
    const graph::OpSchema& schema = graph::SchemaFor(node);
    graph::AttrReader attrs(node, schema);
    flops += schema.EstimateFlops({ins, outs, attrs});
  }
  return flops;
}

int InspectMain(const std::vector<std::string>& argv) {
  Args args("inspect", argv, {"--batch"});
  const std::string path = args.Positional(0, "MODEL");
  args.MaxPositional(1);
  const int batch = args.IntValue("--batch", 1, 1);
  graph::Model model = formats::ReadModelFile(path);
  graph::Graph& g = model.graph;
  try {
    graph::Verify(g);
  } catch (const Error& e) {
    throw Error(e.code(), path + ": " + e.what());
  }

  std::printf("model:    %s (graph '%s')\n", path.c_str(), g.name.c_str());
  std::printf("format:   v%lld, opset %lld, producer %s %s\n", static_cast<long long>(model.format_version),
              static_cast<long long>(model.opset_version), model.producer_name.c_str(), model.producer_version.c_str());
  for (const auto& [k, v] : model.metadata) std::printf("metadata: %s = %s\n", k.c_str(), v.c_str());
  std::printf("inputs:\n");
  for (const auto& v : g.inputs) std::printf("  %s\n", v.ToString().c_str());
  std::printf("outputs:\n");
  for (const auto& v : g.outputs) std::printf("  %s\n", v.ToString().c_str());

  std::map<std::string, int> histogram;
  for (const auto& node : g.nodes) ++histogram[node.op_type];
  std::printf("ops (%zu nodes):\n", g.nodes.size());
  for (const auto& [op, count] : histogram) std::printf("  %-12s %d\n", op.c_str(), count);

  double params = 0, bytes = 0;
  for (const auto& [name, t] : g.initializers) params += static_cast<double>(t.size()), bytes += static_cast<double>(t.nbytes());
  std::printf("parameters: %s in %zu initializers (%sB)\n", HumanCount(params).c_str(), g.initializers.size(),
              HumanCount(bytes).c_str());
  std::printf("FLOPs per run: %s (symbolic dims = %d)\n", HumanCount(EstimateFlops(g, batch)).c_str(), batch);
  return 0;
}

}  // namespace

AXON_COMMAND("inspect", "show a model's inputs, outputs, ops, parameters and FLOPs", kUsage, InspectMain);

}  // namespace axon::cli
