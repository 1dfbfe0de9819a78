#include "graph/passes/transpose_folding.h"

#include "graph/ops/infer_helpers.h"
#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {
namespace {

// The Transpose producing `value` and its permutation; nullopt when value is no Transpose's
// output of known rank.
struct TransposeOf {
  std::string input;
  std::vector<int64_t> perm;
};
std::optional<TransposeOf> FindTranspose(const GraphEditor& e, const std::string& value) {
  const Node* producer = e.Producer(value);
  if (!producer || producer->op_type != "Transpose") return std::nullopt;
  const std::optional<Shape> in = ShapeOf(e.graph(), producer->inputs[0]);
  if (!in) return std::nullopt;
  return TransposeOf{producer->inputs[0], TransposePerm(AttrReader(*producer, SchemaFor(*producer)), in->rank())};
}

bool IsSwap2(const std::vector<int64_t>& perm) { return perm == std::vector<int64_t>{1, 0}; }

int64_t IntAttr(const Node& node, const std::string& name) {
  auto it = node.attrs.find(name);
  return it == node.attrs.end() ? 0 : std::get<int64_t>(it->second);
}

// Gemm operands (A = 0, B = 1) that are 2-D transposes: read the transposed value, flip the flag.
bool FoldIntoGemm(GraphEditor& e, std::size_t n) {
  Graph& graph = e.graph();
  const Node& node = graph.nodes[n];
  const bool matmul = node.op_type == "MatMul";
  if (!matmul && node.op_type != "Gemm" && node.op_type != "FusedGemm") return false;
  if (matmul) {
    const std::optional<Shape> a = ShapeOf(graph, node.inputs[0]), b = ShapeOf(graph, node.inputs[1]);
    if (!a || !b || a->rank() != 2 || b->rank() != 2) return false;
  }
  bool changed = false;
  for (std::size_t slot = 0; slot < 2; ++slot) {
    const std::optional<TransposeOf> t = FindTranspose(e, graph.nodes[n].inputs[slot]);
    if (!t || !IsSwap2(t->perm)) continue;
    Node& gemm = graph.nodes[n];
    if (gemm.op_type == "MatMul") gemm.op_type = "Gemm";
    const std::string flag = slot == 0 ? "transA" : "transB";
    gemm.attrs[flag] = int64_t{1} - IntAttr(gemm, flag);
    e.SetInput(n, slot, t->input);
    changed = true;
  }
  return changed;
}

// Transpose of a Transpose: one Transpose with the composed permutation, or none.
bool FoldDoubleTranspose(GraphEditor& e, std::size_t n) {
  Graph& graph = e.graph();
  const Node& node = graph.nodes[n];
  if (node.op_type != "Transpose" || e.IsUnused(node.outputs[0])) return false;
  const std::optional<TransposeOf> inner = FindTranspose(e, node.inputs[0]);
  if (!inner) return false;
  const std::vector<int64_t> outer = TransposePerm(AttrReader(node, SchemaFor(node)), static_cast<int64_t>(inner->perm.size()));
  // out[i] = mid[outer[i]] = x[inner[outer[i]]].
  std::vector<int64_t> composed(outer.size());
  bool identity = true;
  for (std::size_t i = 0; i < outer.size(); ++i) {
    composed[i] = inner->perm[static_cast<std::size_t>(outer[i])];
    identity = identity && composed[i] == static_cast<int64_t>(i);
  }
  const std::string out = node.outputs[0];
  if (identity) {
    // A public output can take the name of a private node output only (see ReplaceAllUses). When
    // it cannot (the pair maps a graph input, or another output, to an output), one copy is still
    // cheaper than two permuting passes: the outer Transpose becomes an Identity of the source.
    if (e.IsGraphOutput(out) && (!e.Producer(inner->input) || e.IsGraphOutput(inner->input))) {
      graph.nodes[n].op_type = "Identity";
      graph.nodes[n].attrs.clear();
      e.SetInput(n, 0, inner->input);
      return true;
    }
    e.ReplaceAllUses(out, inner->input);
    return true;
  }
  graph.nodes[n].attrs["perm"] = composed;
  e.SetInput(n, 0, inner->input);
  return true;
}

}  // namespace

bool TransposeFolding::Run(Graph& graph) {
  GraphEditor e(graph);
  bool changed = false;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    changed = FoldIntoGemm(e, n) || changed;
    changed = FoldDoubleTranspose(e, n) || changed;
  }
  return changed;
}

}  // namespace axon::graph
