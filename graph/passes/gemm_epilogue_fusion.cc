#include "graph/passes/gemm_epilogue_fusion.h"

#include <algorithm>

#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {
namespace {

// Rank of a MatMul's A when it is one GEMM that FusedGemm can run: A of rank >= 2 times a matrix
// (A's leading dims fold into the rows: a transformer's [batch, seq, d] times [d, e]); 0 otherwise.
int64_t FoldableMatMulRank(const Graph& graph, const Node& node) {
  if (node.op_type != "MatMul") return 0;
  const std::optional<Shape> a = ShapeOf(graph, node.inputs[0]), b = ShapeOf(graph, node.inputs[1]);
  return a && b && a->rank() >= 2 && b->rank() == 2 ? a->rank() : 0;
}

// An f32 product that FusedGemm can run: such a MatMul, or Gemm / FusedGemm.
bool IsMatrixProduct(const Graph& graph, const Node& node) {
  if (node.op_type == "Gemm" || node.op_type == "FusedGemm") return true;
  return FoldableMatMulRank(graph, node) > 0;
}

// C can be FusedGemm's C for a MatMul with an A of rank > 2 (output y): a scalar or a row.
bool IsRowBias(const Shape& c, const Shape& y) {
  if (c.rank() > 2) return false;
  for (int64_t i = 0; i + 1 < c.rank(); ++i)
    if (!(c[i].known() && c[i].value() == 1)) return false;
  if (c.rank() == 0) return true;
  const Dim& last = c[c.rank() - 1];
  return SameDim(last, y[y.rank() - 1]) || (last.known() && last.value() == 1);
}

bool HasInput(const Node& node, std::size_t i) { return node.inputs.size() > i && !node.inputs[i].empty(); }

// C can be Gemm's C for an output of shape y: rank <= 2, each dim 1 or y's (one-way broadcast).
bool IsBias(const Shape& c, const Shape& y) {
  if (c.rank() > 2 || y.rank() != 2) return false;
  for (int64_t i = 0; i < c.rank(); ++i) {
    const Dim& cd = c[i];
    const Dim& yd = y[i + 2 - c.rank()];
    if (!SameDim(cd, yd) && !(cd.known() && cd.value() == 1)) return false;
  }
  return true;
}

// The Add reading `product` (its sole reader), and the other operand; nullopt when there is none.
struct AddAfter {
  std::size_t node;
  std::string other;
};
std::optional<AddAfter> AddReading(const GraphEditor& e, const std::string& product) {
  const std::optional<std::size_t> reader = SoleConsumer(e, product);
  if (!reader) return std::nullopt;
  const Node& add = e.graph().nodes[*reader];
  if (add.op_type != "Add" || add.inputs[0] == add.inputs[1]) return std::nullopt;
  return AddAfter{*reader, add.inputs[0] == product ? add.inputs[1] : add.inputs[0]};
}

// Turns node `reader` into the fused product: it takes the product's op, attributes, inputs (and
// name) and keeps its own output, so no value is renamed. The product is left unread, for
// removal at the end of the run: removing now would shift the indices being walked. Direct
// edits (GraphEditor::Refresh follows) rather than ReplaceAllUses, whose cycle check walks every
// ancestor: one fusion per layer would make a deep model quadratic.
void BecomeProduct(Graph& graph, std::size_t product, std::size_t reader, std::vector<std::size_t>& removed) {
  Node& from = graph.nodes[product];
  Node& to = graph.nodes[reader];
  to.op_type = from.op_type;
  to.attrs = from.attrs;
  to.inputs = from.inputs;
  std::swap(to.name, from.name);
  removed.push_back(product);
}

bool Taken(const std::vector<std::size_t>& nodes, std::size_t node) {
  return std::find(nodes.begin(), nodes.end(), node) != nodes.end();
}

bool Finish(GraphEditor& e, std::vector<std::size_t> removed) {
  if (removed.empty()) return false;
  e.Refresh();
  e.RemoveNodes(std::move(removed));
  return true;
}

}  // namespace

bool MatMulAddFusion::Run(Graph& graph) {
  GraphEditor e(graph);
  std::vector<std::size_t> removed, fused;  // products absorbed; nodes that became products
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    const bool bare_gemm = node.op_type == "Gemm" && !HasInput(node, 2);
    if (!(node.op_type == "MatMul" || bare_gemm) || !IsMatrixProduct(graph, node)) continue;
    const bool folded = FoldableMatMulRank(graph, node) > 2;  // becomes a FusedGemm, Gemm being 2-D
    const std::optional<AddAfter> add = AddReading(e, node.outputs[0]);
    if (!add || Taken(removed, add->node) || Taken(fused, add->node) || Taken(fused, n)) continue;
    const std::optional<Shape> y = ShapeOf(graph, node.outputs[0]), c = ShapeOf(graph, add->other);
    const std::optional<Shape> sum = ShapeOf(graph, graph.nodes[add->node].outputs[0]);
    const bool c_f32 = DTypeOf(graph, add->other) == DType::kF32;
    if (!y || !c || !sum || !c_f32 || !(*sum == *y)) continue;
    if (folded ? !IsRowBias(*c, *y) : !IsBias(*c, *y)) continue;
    const std::string bias = add->other;
    BecomeProduct(graph, n, add->node, removed);
    Node& gemm = graph.nodes[add->node];
    if (gemm.op_type == "MatMul") gemm.op_type = folded ? "FusedGemm" : "Gemm";
    gemm.attrs["beta"] = 1.0f;  // C is scaled by beta (the Gemm had no C to scale)
    gemm.inputs.resize(2);
    gemm.inputs.push_back(bias);
    fused.push_back(add->node);
  }
  return Finish(e, std::move(removed));
}

bool GemmEpilogueFusion::Run(Graph& graph) {
  GraphEditor e(graph);
  std::vector<std::size_t> removed, fused;  // products absorbed; nodes that became products
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    if (!IsMatrixProduct(graph, node)) continue;
    const std::optional<std::size_t> reader = SoleConsumer(e, node.outputs[0]);
    if (!reader || Taken(removed, *reader) || Taken(fused, *reader) || Taken(fused, n)) continue;
    const Node& next = graph.nodes[*reader];
    auto act = node.attrs.find("activation");
    const bool has_activation = act != node.attrs.end() && !std::get<std::string>(act->second).empty();
    if (has_activation) continue;  // the epilogue ends with the activation: nothing can follow
    const bool is_activation = next.op_type == "Relu" || next.op_type == "Sigmoid" || next.op_type == "Tanh";
    std::string residual;
    if (!is_activation) {
      const std::optional<AddAfter> add = AddReading(e, node.outputs[0]);
      if (!add || HasInput(node, 3)) continue;
      const std::optional<Shape> y = ShapeOf(graph, node.outputs[0]), r = ShapeOf(graph, add->other);
      const bool r_f32 = DTypeOf(graph, add->other) == DType::kF32;
      if (!y || !r || !r_f32 || !SameDims(*r, *y)) continue;  // a bias is matmul-add-fusion's
      residual = add->other;
    }
    const std::string activation = is_activation ? next.op_type : "";
    const std::size_t at = *reader;
    BecomeProduct(graph, n, at, removed);
    Node& gemm = graph.nodes[at];
    if (gemm.op_type == "MatMul") gemm.attrs.clear();
    gemm.op_type = "FusedGemm";
    if (!activation.empty()) gemm.attrs["activation"] = activation;
    if (!residual.empty()) {
      gemm.inputs.resize(3);  // an omitted C stays ""
      gemm.inputs.push_back(residual);
    }
    fused.push_back(at);
  }
  return Finish(e, std::move(removed));
}

}  // namespace axon::graph
