#include "graph/passes/conv_activation_fusion.h"

#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {
namespace {

// The FusedConv activation that node applies to its input 0, or "" when it is none of them.
// Clip(0, 6) with constant bounds is ReLU6 (MobileNet's); other bounds are left to Clip.
std::string ActivationOf(const Graph& graph, const Node& node) {
  if (node.op_type == "Relu" || node.op_type == "Sigmoid" || node.op_type == "Tanh") return node.op_type;
  if (node.op_type != "Clip" || node.inputs.size() != 3) return "";
  const std::optional<float> lo = ScalarConstant(graph, node.inputs[1]), hi = ScalarConstant(graph, node.inputs[2]);
  return lo && hi && *lo == 0.0f && *hi == 6.0f ? "Relu6" : "";
}

}  // namespace

bool ConvActivationFusion::Run(Graph& graph) {
  GraphEditor e(graph);
  std::vector<std::size_t> removed;
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
    const std::string activation = act.inputs[0] == producer.outputs[0] ? ActivationOf(graph, act) : "";
    if (activation.empty()) continue;
    // The activation node becomes the FusedConv and keeps its output (nothing is renamed); the
    // Conv is then unread (and Clip's bounds, when they were read only there, are left for
    // dead-node elimination). Direct edits, one Refresh: see elementwise_fusion.cc.
    Node& conv = graph.nodes[n];
    act.op_type = "FusedConv";
    act.inputs = conv.inputs;  // with R when conv-residual-fusion made it a FusedConv
    act.attrs = conv.attrs;
    act.attrs["activation"] = activation;
    std::swap(act.name, conv.name);
    removed.push_back(n);
  }
  if (removed.empty()) return false;
  e.Refresh();
  e.RemoveNodes(std::move(removed));
  return true;
}

}  // namespace axon::graph
