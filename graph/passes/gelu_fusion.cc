#include "graph/passes/gelu_fusion.h"

#include <cmath>
#include <vector>

#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {
namespace {

bool Near(std::optional<float> value, double want) {
  return value && std::abs(*value - want) <= 1e-6 * std::abs(want);
}

struct Match {
  std::string x;
  std::size_t last;                  // becomes the Gelu, keeping its output
  std::vector<std::size_t> removed;  // the other nodes of the pattern
  bool tanh = false;                 // the tanh form
};

// x from the Erf's input: Div(x, √2) or Mul(x, 1/√2), read only by the Erf.
std::optional<std::pair<std::string, std::size_t>> ErfArgument(const GraphEditor& e, const Node& erf) {
  const Graph& g = e.graph();
  const Node* scale = e.Producer(erf.inputs[0]);
  if (!scale || !SoleConsumer(e, erf.inputs[0])) return std::nullopt;
  const auto index = static_cast<std::size_t>(scale - g.nodes.data());
  if (scale->op_type == "Div" && scale->inputs.size() == 2 && Near(ScalarConstant(g, scale->inputs[1]), std::sqrt(2.0)))
    return std::make_pair(scale->inputs[0], index);
  if (scale->op_type == "Mul")
    for (int i : {0, 1})
      if (Near(ScalarConstant(g, scale->inputs[i]), std::sqrt(0.5)))
        return std::make_pair(scale->inputs[1 - i], index);
  return std::nullopt;
}

// The operand of `node` (a binary op) other than a scalar constant near `want`; nullopt when
// neither operand is one.
std::optional<std::string> OtherThanScalar(const Graph& g, const Node& node, double want) {
  if (node.inputs.size() != 2) return std::nullopt;
  for (int i : {0, 1})
    if (Near(ScalarConstant(g, node.inputs[i]), want)) return node.inputs[1 - i];
  return std::nullopt;
}

// The node producing `value` when it is an `op` read only by the pattern.
const Node* Inner(const GraphEditor& e, const std::string& value, std::string_view op, std::vector<std::size_t>& nodes) {
  const Node* n = e.Producer(value);
  if (!n || n->op_type != op || !SoleConsumer(e, value)) return nullptr;
  nodes.push_back(static_cast<std::size_t>(n - e.graph().nodes.data()));
  return n;
}

// x from the Tanh's input √(2/π)·(x + 0.044715·x³), with x³ as Pow(x, 3), x·(x·x) or (x·x)·x;
// `nodes` gets the pattern's nodes before the Tanh.
std::optional<std::string> TanhArgument(const GraphEditor& e, const Node& tanh, std::vector<std::size_t>& nodes) {
  const Graph& g = e.graph();
  const Node* scaled = Inner(e, tanh.inputs[0], "Mul", nodes);
  const std::optional<std::string> sum = scaled ? OtherThanScalar(g, *scaled, std::sqrt(2.0 / M_PI)) : std::nullopt;
  const Node* add = sum ? Inner(e, *sum, "Add", nodes) : nullptr;
  if (!add) return std::nullopt;
  for (int i : {0, 1}) {
    const std::string& x = add->inputs[static_cast<std::size_t>(i)];
    std::vector<std::size_t> tried = nodes;
    const Node* kappa = Inner(e, add->inputs[static_cast<std::size_t>(1 - i)], "Mul", tried);
    const std::optional<std::string> cube = kappa ? OtherThanScalar(g, *kappa, 0.044715) : std::nullopt;
    const Node* c = cube ? e.Producer(*cube) : nullptr;
    if (!c || !SoleConsumer(e, *cube)) continue;
    tried.push_back(static_cast<std::size_t>(c - g.nodes.data()));
    bool is_cube = false;
    if (c->op_type == "Pow") {
      is_cube = c->inputs[0] == x && Near(ScalarConstant(g, c->inputs[1]), 3.0);
    } else if (c->op_type == "Mul" && (c->inputs[0] == x || c->inputs[1] == x)) {
      const std::string& other = c->inputs[0] == x ? c->inputs[1] : c->inputs[0];
      const Node* square = Inner(e, other, "Mul", tried);
      is_cube = square && square->inputs[0] == x && square->inputs[1] == x;
    }
    if (!is_cube) continue;
    nodes = std::move(tried);
    return x;
  }
  return std::nullopt;
}

// From the erf or tanh on: Add(1, ·), then Mul(x, ·) and Mul(·, 0.5) (PyTorch), or Mul(Mul(x,
// 0.5), ·) (Hugging Face). `removed` holds the nodes before the anchor (and gets the rest).
std::optional<Match> MatchTail(const GraphEditor& e, std::size_t anchor, const std::string& x,
                               std::vector<std::size_t> removed) {
  const Graph& g = e.graph();
  if (DTypeOf(g, x) != DType::kF32) return std::nullopt;
  removed.push_back(anchor);
  const auto add = SoleConsumerOp(e, g.nodes[anchor].outputs[0], "Add");
  if (!add || !Near(ScalarConstant(g, OtherInput(g.nodes[*add], g.nodes[anchor].outputs[0])), 1.0)) return std::nullopt;
  removed.push_back(*add);
  const auto mul = SoleConsumerOp(e, g.nodes[*add].outputs[0], "Mul");
  if (!mul) return std::nullopt;
  const std::string other = OtherInput(g.nodes[*mul], g.nodes[*add].outputs[0]);
  if (other == x) {  // PyTorch: (x · (1 + erf)) · 0.5
    const auto half = SoleConsumerOp(e, g.nodes[*mul].outputs[0], "Mul");
    if (!half || !Near(ScalarConstant(g, OtherInput(g.nodes[*half], g.nodes[*mul].outputs[0])), 0.5)) return std::nullopt;
    removed.push_back(*mul);
    return Match{x, *half, removed};
  }
  // (x · 0.5) · (1 + erf)
  const Node* halved = e.Producer(other);
  if (!halved || halved->op_type != "Mul" || !SoleConsumer(e, other)) return std::nullopt;
  if (!Near(ScalarConstant(g, OtherInput(*halved, x)), 0.5)) return std::nullopt;
  removed.push_back(static_cast<std::size_t>(halved - g.nodes.data()));
  return Match{x, *mul, removed};
}

std::optional<Match> MatchAt(const GraphEditor& e, std::size_t anchor) {
  const Node& node = e.graph().nodes[anchor];
  if (node.op_type == "Erf") {
    const auto arg = ErfArgument(e, node);
    if (!arg) return std::nullopt;
    return MatchTail(e, anchor, arg->first, {arg->second});
  }
  std::vector<std::size_t> inner;
  const std::optional<std::string> x = TanhArgument(e, node, inner);
  if (!x) return std::nullopt;
  std::optional<Match> m = MatchTail(e, anchor, *x, std::move(inner));
  if (m) m->tanh = true;
  return m;
}

// A scalar constant of rank 1 could still broadcast a rank-0 x to [1]: Gelu must keep x's shape.
bool KeepsShape(const Graph& g, const std::string& x, const Node& last) {
  const std::optional<Shape> in = ShapeOf(g, x), out = ShapeOf(g, last.outputs[0]);
  return in && out && *in == *out;
}

}  // namespace

bool GeluFusion::Run(Graph& graph) {
  GraphEditor e(graph);
  PatternClaims claims(graph);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const std::string& op = graph.nodes[n].op_type;
    if ((op != "Erf" && op != "Tanh") || claims.Taken(n)) continue;
    const std::optional<Match> m = MatchAt(e, n);
    if (!m || !claims.Free(m->last, m->removed) || !KeepsShape(graph, m->x, graph.nodes[m->last])) continue;
    // The last node becomes the Gelu and keeps its output: nothing is renamed. Direct edits, one
    // Refresh (see elementwise_fusion.cc).
    Node& gelu = graph.nodes[m->last];
    gelu.op_type = "Gelu";
    gelu.inputs = {m->x};
    gelu.attrs.clear();
    if (m->tanh) gelu.attrs["approximate"] = std::string("tanh");
    claims.Claim(m->last, m->removed);
  }
  return claims.Commit(e);
}

}  // namespace axon::graph
