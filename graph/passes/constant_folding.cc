#include "graph/passes/constant_folding.h"

#include <algorithm>
#include <optional>

#include "graph/ops/shape_values.h"
#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {
namespace {

// Shape(x) when x's dims are all known, whatever x's data: the i64 vector of those dims.
std::optional<Tensor> FoldShape(const Graph& graph, const Node& node) {
  if (node.op_type != "Shape") return std::nullopt;
  const std::string& x = node.inputs[0];
  std::vector<int64_t> dims;
  if (auto init = graph.initializers.find(x); init != graph.initializers.end()) {
    dims = init->second.shape();
  } else {
    const ValueInfo* info = ValueTypeOf(graph, x);
    const std::optional<std::vector<int64_t>> known = info ? info->shape.values() : std::nullopt;
    if (!known) return std::nullopt;
    dims = *known;
  }
  const auto [start, end] = ShapeOpRange(AttrReader(node, SchemaFor(node)), static_cast<int64_t>(dims.size()));
  std::vector<int64_t> kept(dims.begin() + start, dims.begin() + end);
  const auto count = static_cast<int64_t>(kept.size());
  return Tensor::FromVector(kept, {count});
}

}  // namespace

bool ConstantFolding::Run(Graph& graph) {
  GraphEditor editor(graph);
  auto is_constant = [&](const std::string& v) { return graph.IsInitializer(v) && !parameters_.count(v); };
  bool changed = false;
  std::vector<std::size_t> folded;
  for (std::size_t n : TopologicalOrder(graph)) {
    const Node& node = graph.nodes[n];
    bool used = false;
    for (const std::string& out : node.outputs) used = used || !editor.IsUnused(out);
    // Unused nodes are dead-node elimination's (with their weights); folding would leave their
    // values behind as initializers nothing reads.
    if (!used) continue;

    std::vector<Tensor> values;
    if (std::optional<Tensor> shape = FoldShape(graph, node)) {
      values.push_back(std::move(*shape));
    } else {
      if (!evaluate_ || node.inputs.empty()) continue;
      bool all_constant = true;
      int64_t input_bytes = 0;
      std::vector<Tensor> inputs;
      for (const std::string& in : node.inputs) {
        if (in.empty()) {
          inputs.emplace_back();
          continue;
        }
        all_constant = all_constant && is_constant(in);
        if (!all_constant) break;
        inputs.push_back(graph.initializers.at(in));
        // A constant read twice (Concat(c, c)) counts once: otherwise a chain of doublings would
        // each pass the size bound and fold into a constant far larger than the file.
        if (std::find(node.inputs.begin(), node.inputs.end(), in) == node.inputs.begin() + (inputs.size() - 1))
          input_bytes += static_cast<int64_t>(inputs.back().nbytes());
      }
      if (!all_constant) continue;
      std::vector<ValueInfo> outputs;
      int64_t output_bytes = 0;
      bool known = true;
      for (const std::string& out : node.outputs) {
        const ValueInfo* info = ValueTypeOf(graph, out);
        const std::optional<std::vector<int64_t>> dims = info ? info->shape.values() : std::nullopt;
        if (!dims) {
          known = false;
          break;
        }
        outputs.push_back(*info);
        int64_t elements = 1;
        for (int64_t d : *dims) elements *= d;
        output_bytes += elements * static_cast<int64_t>(DTypeSize(info->dtype));
      }
      if (!known || output_bytes > std::max(input_bytes, kSmallBytes)) continue;
      // A node whose kernel refuses these constants (an index out of range, say) would fail every
      // run the same way: said now, naming the node, so that loading (axon verify) reports it. One
      // that needs more memory than the session may hold is left to the runs, which the same
      // limit refuses, with the node named, only if it is ever reached.
      try {
        values = evaluate_(node, inputs, outputs);
      } catch (const Error& e) {
        if (e.code() == ErrorCode::kMemoryLimit) continue;
        const std::string message = e.what();
        throw Error(e.code(), message.rfind(node.Describe(), 0) == 0 ? message : node.Describe() + ": " + message);
      }
      if (values.size() != outputs.size()) continue;
    }
    // Each output becomes an initializer named after it (or a fresh name when that is taken). A
    // graph output's name is public: the initializer takes that very name (the verifier and the
    // executor take a constant graph output) and the node's output, now read by nobody, a fresh one.
    const std::vector<std::string> outs = graph.nodes[n].outputs;
    for (std::size_t o = 0; o < outs.size(); ++o) {
      if (editor.IsGraphOutput(outs[o])) {
        graph.nodes[n].outputs[o] = editor.UniqueName(outs[o]);
        graph.initializers[outs[o]] = std::move(values[o]);
        editor.Refresh();
        continue;
      }
      const std::string init = editor.AddInitializer(outs[o], std::move(values[o]));
      editor.ReplaceAllUses(outs[o], init);
    }
    folded.push_back(n);
    changed = true;
  }
  if (!changed) return false;
  std::set<std::string> read;  // the folded nodes' constants: dropped when nothing else reads them
  for (std::size_t n : folded)
    for (const std::string& in : graph.nodes[n].inputs)
      if (graph.IsInitializer(in)) read.insert(in);
  editor.RemoveNodes(std::move(folded));
  for (const std::string& w : read)
    if (editor.IsUnused(w)) editor.RemoveInitializer(w);
  return true;
}

}  // namespace axon::graph
