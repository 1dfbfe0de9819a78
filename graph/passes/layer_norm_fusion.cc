#include "graph/passes/layer_norm_fusion.h"

#include <algorithm>
#include <vector>

#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {
namespace {

// The first normalized dim of a ReduceMean with keepdims over trailing axes of a rank-`rank` input.
std::optional<int64_t> TrailingAxis(const Node& mean, int64_t rank) {
  const auto axes_it = mean.attrs.find("axes");
  const auto keep_it = mean.attrs.find("keepdims");
  if (axes_it == mean.attrs.end() || rank < 1) return std::nullopt;
  if (keep_it != mean.attrs.end() && std::get<int64_t>(keep_it->second) != 1) return std::nullopt;
  std::vector<int64_t> axes = std::get<std::vector<int64_t>>(axes_it->second);
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) return std::nullopt;
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (axes.empty() || axes.back() != rank - 1) return std::nullopt;
  for (std::size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1) return std::nullopt;
  return axes.front();
}

// A Scale or B that LayerNormalization takes: f32, broadcasting to x's dims from `axis` on
// (rank at most theirs, each dim 1 or theirs), so the Mul / Add it came from kept x's shape.
bool IsNormParameter(const Graph& g, const std::string& value, const Shape& x, int64_t axis) {
  const std::optional<Shape> p = ShapeOf(g, value);
  if (!p || DTypeOf(g, value) != DType::kF32 || p->rank() > x.rank() - axis) return false;
  for (int64_t i = 0; i < p->rank(); ++i) {
    const Dim& pd = (*p)[i];
    const Dim& xd = x[x.rank() - p->rank() + i];
    if (!(pd == xd) && !(pd.known() && pd.value() == 1)) return false;
  }
  return true;
}

struct Match {
  std::string x, scale, bias;
  int64_t axis = 0;
  float epsilon = 0;
  std::size_t last = 0;              // becomes the LayerNormalization, keeping its output
  std::vector<std::size_t> removed;  // the other nodes of the pattern
};

std::optional<Match> MatchAt(const GraphEditor& e, std::size_t first) {
  const Graph& g = e.graph();
  const Node& mean = g.nodes[first];
  Match m;
  m.x = mean.inputs[0];
  const std::optional<Shape> x = ShapeOf(g, m.x);
  if (!x || DTypeOf(g, m.x) != DType::kF32) return std::nullopt;
  const std::optional<int64_t> axis = TrailingAxis(mean, x->rank());
  if (!axis) return std::nullopt;
  m.axis = *axis;
  const auto sub = SoleConsumerOp(e, mean.outputs[0], "Sub");
  if (!sub || g.nodes[*sub].inputs != std::vector<std::string>{m.x, mean.outputs[0]}) return std::nullopt;
  // d = x − mean is read twice: squared for the variance, and divided by the deviation.
  const std::string& d = g.nodes[*sub].outputs[0];
  const std::vector<Use>& uses = e.Consumers(d);
  if (e.IsGraphOutput(d) || uses.size() != 2) return std::nullopt;
  std::optional<std::size_t> pow, div;
  for (const Use& u : uses) {
    const Node& reader = g.nodes[u.node];
    if (reader.op_type == "Pow" && u.slot == 0 && ScalarConstant(g, reader.inputs[1]) == 2.0f) pow = u.node;
    if (reader.op_type == "Div" && u.slot == 0) div = u.node;
  }
  if (!pow || !div) return std::nullopt;
  const auto var = SoleConsumerOp(e, g.nodes[*pow].outputs[0], "ReduceMean");
  if (!var || TrailingAxis(g.nodes[*var], x->rank()) != m.axis) return std::nullopt;
  const auto add_eps = SoleConsumerOp(e, g.nodes[*var].outputs[0], "Add");
  if (!add_eps) return std::nullopt;
  const std::optional<float> eps = ScalarConstant(g, OtherInput(g.nodes[*add_eps], g.nodes[*var].outputs[0]));
  if (!eps || !(*eps >= 0)) return std::nullopt;
  m.epsilon = *eps;
  const auto sqrt = SoleConsumerOp(e, g.nodes[*add_eps].outputs[0], "Sqrt");
  if (!sqrt || SoleConsumer(e, g.nodes[*sqrt].outputs[0]) != div || g.nodes[*div].inputs[1] != g.nodes[*sqrt].outputs[0])
    return std::nullopt;
  m.removed = {first, *sub, *pow, *var, *add_eps, *sqrt};
  m.last = *div;
  // · scale, then + bias, each optional.
  if (const auto mul = SoleConsumerOp(e, g.nodes[*div].outputs[0], "Mul")) {
    const std::string scale = OtherInput(g.nodes[*mul], g.nodes[*div].outputs[0]);
    if (!scale.empty() && IsNormParameter(g, scale, *x, m.axis)) {
      m.scale = scale;
      m.removed.push_back(m.last);
      m.last = *mul;
      if (const auto add = SoleConsumerOp(e, g.nodes[*mul].outputs[0], "Add")) {
        const std::string bias = OtherInput(g.nodes[*add], g.nodes[*mul].outputs[0]);
        if (!bias.empty() && IsNormParameter(g, bias, *x, m.axis)) {
          m.bias = bias;
          m.removed.push_back(m.last);
          m.last = *add;
        }
      }
    }
  }
  // Constants of a higher rank than x (an ε of shape [1, 1, 1, 1]) would broadcast the pattern's
  // result to more dims than LayerNormalization's.
  const std::optional<Shape> y = ShapeOf(g, g.nodes[m.last].outputs[0]);
  if (!y || !(*y == *x)) return std::nullopt;
  if (m.scale.empty()) {
    // LayerNormalization needs a Scale: ones, of the normalized dims, which must be known.
    for (int64_t i = m.axis; i < x->rank(); ++i)
      if (!(*x)[i].known()) return std::nullopt;
  }
  return m;
}

}  // namespace

bool LayerNormFusion::Run(Graph& graph) {
  GraphEditor e(graph);
  PatternClaims claims(graph);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    if (graph.nodes[n].op_type != "ReduceMean" || claims.Taken(n)) continue;
    std::optional<Match> m = MatchAt(e, n);
    if (!m || !claims.Free(m->last, m->removed)) continue;
    if (m->scale.empty()) {
      const Shape x = *ShapeOf(graph, m->x);
      std::vector<int64_t> dims;
      for (int64_t i = m->axis; i < x.rank(); ++i) dims.push_back(x[i].value());
      Tensor ones = Tensor::Zeros(DType::kF32, dims);
      std::fill(ones.data<float>(), ones.data<float>() + ones.size(), 1.0f);
      m->scale = e.AddInitializer(graph.nodes[m->last].name + "_scale", std::move(ones));
    }
    // The last node becomes the LayerNormalization and keeps its output: nothing is renamed.
    // Direct edits, one Refresh (see elementwise_fusion.cc).
    Node& norm = graph.nodes[m->last];
    norm.op_type = "LayerNormalization";
    norm.inputs = {m->x, m->scale};
    if (!m->bias.empty()) norm.inputs.push_back(m->bias);
    norm.attrs = {{"axis", m->axis}, {"epsilon", m->epsilon}};
    claims.Claim(m->last, m->removed);
  }
  return claims.Commit(e);
}

}  // namespace axon::graph
