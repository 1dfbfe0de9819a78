#include "graph/passes/conv_activation_fusion.h"

#include <cmath>
#include <optional>

#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {
namespace {

// Clip to [+0, 6] from constant bounds (MobileNet's ReLU6, as exporters write it). A -0 lower
// bound would turn negative inputs into -0, not +0: left alone.
bool IsRelu6(const Graph& graph, const Node& clip) {
  if (clip.inputs.size() != 3) return false;
  const std::optional<float> lo = ScalarConstant(graph, clip.inputs[1]), hi = ScalarConstant(graph, clip.inputs[2]);
  return lo && hi && *lo == 0.0f && !std::signbit(*lo) && *hi == 6.0f;
}

}  // namespace

bool ConvActivationFusion::Run(Graph& graph) {
  GraphEditor e(graph);
  PatternClaims claims(graph);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& producer = graph.nodes[n];
    const auto has_act = producer.attrs.find("activation");
    const bool bare = producer.op_type == "Conv" ||
                      (producer.op_type == "FusedConv" &&
                       (has_act == producer.attrs.end() || std::get<std::string>(has_act->second).empty()));
    if (!bare) continue;
    const std::optional<std::size_t> reader = SoleConsumer(e, graph.nodes[n].outputs[0]);
    if (!reader) continue;
    Node& act = graph.nodes[*reader];
    std::string activation = act.op_type;
    if (act.op_type == "Clip") {
      if (!IsRelu6(graph, act)) continue;
      activation = "Relu6";
    } else if (act.op_type != "Relu" && act.op_type != "Sigmoid" && act.op_type != "Tanh") {
      continue;
    }
    // The activation node becomes the FusedConv and keeps its output (nothing is renamed); the
    // Conv is then unread. Direct edits, one Refresh: see elementwise_fusion.cc.
    Node& conv = graph.nodes[n];
    act.op_type = "FusedConv";
    act.inputs = conv.inputs;  // with R when conv-residual-fusion made it a FusedConv
    act.attrs = conv.attrs;
    act.attrs["activation"] = activation;
    std::swap(act.name, conv.name);
    claims.Claim(*reader, {n});
  }
  return claims.Commit(e);
}

}  // namespace axon::graph
