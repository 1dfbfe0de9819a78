// axon inspect: what a model file holds: inputs, outputs, ops, parameters and FLOPs.
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/model_file.h"
#include "graph/op_schema.h"
#include "graph/verifier.h"
#include "runtime/graph_optimizer.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/output_names.h"
#include "tools/pass_options.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon inspect MODEL [--batch N] [--passes [--opt-level N] [--disable-pass NAME ...]]

Prints MODEL's producer and versions, inputs and outputs with dtypes and shapes, a histogram of
op types, the parameter count and size, and an estimate of the FLOPs of one run. Symbolic dims
(such as batch) are taken as N for the FLOP estimate. MODEL is an .axon file or an ONNX model
(recognized by content), shown as imported into Axon's op set.

options:
  --batch N               size given to every symbolic dim for the FLOP estimate (default 1)
  --passes                also run the graph passes as loading does and list each one: how often
                          it ran, how often it changed the graph, the nodes it added or removed,
                          then the node count before and after and the optimized op histogram
)" AXON_PASS_OPTIONS_USAGE;

// FLOPs of one run with every unknown input dim set to `batch`. Nodes whose shapes stay unknown
// even then (a shape computed at run time, an input of unknown rank) are counted apart.
struct FlopEstimate {
  double flops = 0;
  std::size_t uncounted = 0;  // nodes left out: some input or output shape is unknown
  std::string failure;        // why no estimate exists, when shapes do not infer with `batch`
};

FlopEstimate EstimateFlops(graph::Graph g, int64_t batch) {
  FlopEstimate e;
  for (graph::ValueInfo& in : g.inputs) {
    if (!in.shape.has_rank()) continue;
    std::vector<graph::Dim> dims;
    for (const graph::Dim& d : in.shape.dims()) dims.emplace_back(d.known() ? d.value() : batch);
    in.shape = graph::Shape(std::move(dims));
  }
  try {
    graph::VerifyStructure(g);  // the substituted dims may now be too many elements
    graph::InferShapes(g);
  } catch (const Error& error) {
    e.failure = error.what();
    return e;
  }
  // One lookup table: a file may hold many inputs and many nodes.
  std::unordered_map<std::string, const graph::Shape*> shapes;
  for (const graph::ValueInfo& v : g.inputs) shapes.emplace(v.name, &v.shape);
  for (const auto& [name, v] : g.value_info) shapes.emplace(name, &v.shape);
  auto shape_of = [&](const std::string& v) -> std::optional<std::vector<int64_t>> {
    if (auto it = g.initializers.find(v); it != g.initializers.end()) return it->second.shape();
    auto it = shapes.find(v);
    return it == shapes.end() ? std::nullopt : it->second->values();
  };
  for (const graph::Node& node : g.nodes) {
    // FLOP rules read the dims they need, so every shape must be known.
    std::vector<std::vector<int64_t>> ins, outs;
    bool known = true;
    for (const auto& v : node.inputs) {
      auto s = v.empty() ? std::optional<std::vector<int64_t>>(std::vector<int64_t>{}) : shape_of(v);
      known = known && s.has_value();
      ins.push_back(s.value_or(std::vector<int64_t>{}));
    }
    for (const auto& v : node.outputs) {
      auto s = shape_of(v);
      known = known && s.has_value();
      outs.push_back(s.value_or(std::vector<int64_t>{}));
    }
    if (!known) {
      ++e.uncounted;
      continue;
    }
    const graph::OpSchema& schema = graph::SchemaFor(node);
    graph::AttrReader attrs(node, schema);
    e.flops += schema.EstimateFlops({ins, outs, attrs});
  }
  return e;
}

void PrintHistogram(const graph::Graph& g) {
  std::map<std::string, int> histogram;
  for (const auto& node : g.nodes) ++histogram[node.op_type];
  std::printf("ops (%zu nodes):\n", g.nodes.size());
  for (const auto& [op, count] : histogram) std::printf("  %-12s %d\n", Escaped(op).c_str(), count);
}

template <class F>
auto WithPath(const std::string& path, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(e.code(), path + ": " + e.what());
  }
}

int InspectMain(const std::vector<std::string>& argv) {
  Args args("inspect", argv, {"--batch", "--opt-level", "--disable-pass"}, {"--passes"});
  const std::string path = args.Positional(0, "MODEL");
  args.MaxPositional(1);
  const int batch = args.IntValue("--batch", 1, 1);
  const PassChoice passes = ReadPassOptions(args);
  const formats::ModelFormat format = formats::SniffModelFile(path);
  graph::Model model = formats::ReadAnyModelFile(path);
  graph::Graph& g = model.graph;
  try {
    graph::Verify(g);
  } catch (const Error& e) {
    throw Error(e.code(), path + ": " + e.what());
  }

  std::printf("model:    %s (graph '%s')\n", Escaped(path).c_str(), Escaped(g.name).c_str());
  if (format == formats::ModelFormat::kOnnx)
    std::printf("format:   ONNX (imported into Axon op set %lld), producer %s %s\n",
                static_cast<long long>(model.opset_version), Escaped(model.producer_name).c_str(),
                Escaped(model.producer_version).c_str());
  else
    std::printf("format:   v%lld, opset %lld, producer %s %s\n", static_cast<long long>(model.format_version),
                static_cast<long long>(model.opset_version), Escaped(model.producer_name).c_str(),
                Escaped(model.producer_version).c_str());
  for (const auto& [k, v] : model.metadata) std::printf("metadata: %s = %s\n", Escaped(k).c_str(), Escaped(v).c_str());
  std::printf("inputs:\n");
  for (const auto& v : g.inputs) std::printf("  %s\n", Escaped(v.ToString()).c_str());
  std::printf("outputs:\n");
  for (const auto& v : g.outputs) std::printf("  %s\n", Escaped(v.ToString()).c_str());

  PrintHistogram(g);

  double params = 0, bytes = 0;
  for (const auto& [name, t] : g.initializers) params += static_cast<double>(t.size()), bytes += static_cast<double>(t.nbytes());
  std::printf("parameters: %s in %zu initializers (%sB)\n", HumanCount(params).c_str(), g.initializers.size(),
              HumanCount(bytes).c_str());
  const FlopEstimate flops = EstimateFlops(g, batch);
  if (!flops.failure.empty()) {
    std::printf("FLOPs per run: unknown (with symbolic dims = %d: %s)\n", batch, Escaped(flops.failure).c_str());
  } else {
    std::printf("FLOPs per run: %s (symbolic dims = %d", HumanCount(flops.flops).c_str(), batch);
    if (flops.uncounted) std::printf("; %zu nodes with shapes known only at run time not counted", flops.uncounted);
    std::printf(")\n");
  }
  if (args.Flag("--passes")) {
    graph::Graph optimized = g;
    const graph::PipelineReport report =
        WithPath(path, [&] { return runtime::OptimizeGraph(optimized, {passes.opt_level, passes.disabled}); });
    std::printf("passes (opt level %d):\n%s", passes.opt_level, report.ToString().c_str());
    std::printf("after the passes, ");
    PrintHistogram(optimized);
  }
  return 0;
}

}  // namespace

AXON_COMMAND("inspect", "show a model's inputs, outputs, ops, parameters and FLOPs", kUsage, InspectMain);

}  // namespace axon::cli
