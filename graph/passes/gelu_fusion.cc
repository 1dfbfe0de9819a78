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

std::optional<Match> MatchAt(const GraphEditor& e, std::size_t erf_index) {
  const Graph& g = e.graph();
  const Node& erf = g.nodes[erf_index];
  const auto arg = ErfArgument(e, erf);
  if (!arg || DTypeOf(g, arg->first) != DType::kF32) return std::nullopt;
  const std::string& x = arg->first;
  const auto add = SoleConsumerOp(e, erf.outputs[0], "Add");
  if (!add || !Near(ScalarConstant(g, OtherInput(g.nodes[*add], erf.outputs[0])), 1.0)) return std::nullopt;
  const auto mul = SoleConsumerOp(e, g.nodes[*add].outputs[0], "Mul");
  if (!mul) return std::nullopt;
  const std::string other = OtherInput(g.nodes[*mul], g.nodes[*add].outputs[0]);
  if (other == x) {  // PyTorch: (x · (1 + erf)) · 0.5
    const auto half = SoleConsumerOp(e, g.nodes[*mul].outputs[0], "Mul");
    if (!half || !Near(ScalarConstant(g, OtherInput(g.nodes[*half], g.nodes[*mul].outputs[0])), 0.5)) return std::nullopt;
    return Match{x, *half, {arg->second, erf_index, *add, *mul}};
  }
  // (x · 0.5) · (1 + erf)
  const Node* halved = e.Producer(other);
  if (!halved || halved->op_type != "Mul" || !SoleConsumer(e, other)) return std::nullopt;
  if (!Near(ScalarConstant(g, OtherInput(*halved, x)), 0.5)) return std::nullopt;
  return Match{x, *mul, {arg->second, erf_index, *add, static_cast<std::size_t>(halved - g.nodes.data())}};
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
    if (graph.nodes[n].op_type != "Erf" || claims.Taken(n)) continue;
    const std::optional<Match> m = MatchAt(e, n);
    if (!m || !claims.Free(m->last, m->removed) || !KeepsShape(graph, m->x, graph.nodes[m->last])) continue;
    // The last node becomes the Gelu and keeps its output: nothing is renamed. Direct edits, one
    // Refresh (see elementwise_fusion.cc).
    Node& gelu = graph.nodes[m->last];
    gelu.op_type = "Gelu";
    gelu.inputs = {m->x};
    gelu.attrs.clear();
    claims.Claim(m->last, m->removed);
  }
  return claims.Commit(e);
}

}  // namespace axon::graph
