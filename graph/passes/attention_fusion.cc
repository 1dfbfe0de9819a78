#include "graph/passes/attention_fusion.h"

#include <vector>

#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {
namespace {

struct Match {
  std::string q, kt, v;
  float scale = 1.0f;
  std::size_t last = 0;              // the second MatMul: becomes the FusedAttention
  std::vector<std::size_t> removed;  // the Softmax, the scalings, the first MatMul
};

// A Div or Mul of `node` by a scalar constant whose result keeps the other operand's shape: that
// operand and the factor the division or product amounts to.
std::optional<std::pair<std::string, float>> ScaledBy(const Graph& g, const Node& node) {
  if (node.inputs.size() != 2) return std::nullopt;
  std::optional<float> c;
  std::string x;
  if (node.op_type == "Div" && (c = ScalarConstant(g, node.inputs[1])) && *c != 0.0f) {
    x = node.inputs[0];
    c = 1.0f / *c;
  } else if (node.op_type == "Mul") {
    for (int i : {0, 1})
      if (!c && (c = ScalarConstant(g, node.inputs[i]))) x = node.inputs[1 - i];
  }
  // A constant of a higher rank than x (a scale of shape [1, 1, 1, 1]) broadcasts the product to
  // more dims than FusedAttention's.
  if (!c || x.empty()) return std::nullopt;
  const std::optional<Shape> before = ShapeOf(g, x), after = ShapeOf(g, node.outputs[0]);
  if (!before || !after || !(*before == *after)) return std::nullopt;
  return std::make_pair(x, *c);
}

std::optional<Match> MatchAt(const GraphEditor& e, std::size_t softmax) {
  const Graph& g = e.graph();
  const Node& sm = g.nodes[softmax];
  const std::optional<Shape> scores = ShapeOf(g, sm.inputs[0]);
  if (!scores || scores->rank() < 2) return std::nullopt;
  const auto axis_it = sm.attrs.find("axis");
  const int64_t axis = axis_it == sm.attrs.end() ? -1 : std::get<int64_t>(axis_it->second);
  if (axis != -1 && axis != scores->rank() - 1) return std::nullopt;
  const auto mm2 = SoleConsumerOp(e, sm.outputs[0], "MatMul");
  if (!mm2 || g.nodes[*mm2].inputs[0] != sm.outputs[0]) return std::nullopt;
  Match m;
  m.last = *mm2;
  m.removed = {softmax};
  // The scores scaled on their way to the Softmax, (Q·Kt)/√d as attention is written by hand,
  // when the Softmax is the only reader of the scaled and the scaling of the unscaled scores.
  std::string scored = sm.inputs[0];
  if (SoleConsumer(e, scored) != softmax) return std::nullopt;
  if (const Node* scaling = e.Producer(scored)) {
    const auto scaling_index = static_cast<std::size_t>(scaling - g.nodes.data());
    if (const auto scaled = ScaledBy(g, *scaling); scaled && SoleConsumer(e, scaled->first) == scaling_index) {
      scored = scaled->first;
      m.scale = scaled->second;
      m.removed.push_back(scaling_index);
    }
  }
  const Node* mm1 = e.Producer(scored);
  if (!mm1 || mm1->op_type != "MatMul") return std::nullopt;
  m.q = mm1->inputs[0];
  m.kt = mm1->inputs[1];
  m.v = g.nodes[*mm2].inputs[1];
  const auto mm1_index = static_cast<std::size_t>(mm1 - g.nodes.data());
  m.removed.push_back(mm1_index);
  // Q scaled by a constant on its way in (as torch.onnx exports nn.MultiheadAttention), when the
  // product is its only reader.
  if (const Node* pre = e.Producer(m.q); pre && SoleConsumer(e, m.q) == mm1_index) {
    if (const auto scaled = ScaledBy(g, *pre)) {
      m.q = scaled->first;
      m.scale *= scaled->second;
      m.removed.push_back(static_cast<std::size_t>(pre - g.nodes.data()));
    }
  }
  const std::optional<Shape> q = ShapeOf(g, m.q), kt = ShapeOf(g, m.kt), v = ShapeOf(g, m.v);
  if (!q || !kt || !v || q->rank() < 2 || kt->rank() != q->rank() || v->rank() != q->rank()) return std::nullopt;
  // Two anonymous dims count as equal here: FusedAttention broadcasts a 1 that one turns out to be.
  for (int64_t i = 0; i + 2 < q->rank(); ++i)
    if (!((*q)[i] == (*kt)[i]) || !((*q)[i] == (*v)[i])) return std::nullopt;  // a broadcast stays MatMuls
  for (const std::string* value : {&m.q, &m.kt, &m.v})
    if (DTypeOf(g, *value) != DType::kF32) return std::nullopt;
  return m;
}

}  // namespace

bool AttentionFusion::Run(Graph& graph) {
  GraphEditor e(graph);
  PatternClaims claims(graph);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    if (graph.nodes[n].op_type != "Softmax" || claims.Taken(n)) continue;
    const std::optional<Match> m = MatchAt(e, n);
    if (!m || !claims.Free(m->last, m->removed)) continue;
    // The second MatMul becomes the FusedAttention and keeps its output: nothing is renamed.
    // Direct edits, one Refresh (see elementwise_fusion.cc).
    Node& fused = graph.nodes[m->last];
    fused.op_type = "FusedAttention";
    fused.inputs = {m->q, m->kt, m->v};
    fused.attrs = {{"scale", m->scale}};
    claims.Claim(m->last, m->removed);
  }
  return claims.Commit(e);
}

}  // namespace axon::graph
