#include "graph/passes/conv_residual_fusion.h"

#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {

bool ConvResidualFusion::Run(Graph& graph) {
  GraphEditor e(graph);
  PatternClaims claims(graph);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& conv = graph.nodes[n];
    if (claims.Taken(n) || !(conv.op_type == "Conv" || conv.op_type == "FusedConv")) continue;
    // The epilogue adds R before the activation: an activated FusedConv, or one with R, is done.
    if (conv.inputs.size() > 3 && !conv.inputs[3].empty()) continue;
    if (const auto act = conv.attrs.find("activation"); act != conv.attrs.end() && !std::get<std::string>(act->second).empty())
      continue;
    const std::optional<std::size_t> add = SoleConsumerOp(e, conv.outputs[0], "Add");
    if (!add || claims.Taken(*add)) continue;
    const std::string residual = OtherInput(graph.nodes[*add], conv.outputs[0]);
    const std::optional<Shape> y = ShapeOf(graph, conv.outputs[0]), r = ShapeOf(graph, residual);
    const std::optional<Shape> sum = ShapeOf(graph, graph.nodes[*add].outputs[0]);
    if (residual.empty() || !y || !r || !sum || !SameDims(*r, *y) || !(*sum == *y) || DTypeOf(graph, residual) != DType::kF32)
      continue;
    // The Add becomes the FusedConv and keeps its output: nothing is renamed. Direct edits, one
    // Refresh (see elementwise_fusion.cc).
    Node& fused = graph.nodes[*add];
    fused.op_type = "FusedConv";
    fused.attrs = conv.attrs;
    fused.inputs = conv.inputs;
    fused.inputs.resize(3);  // an omitted B stays ""
    fused.inputs.push_back(residual);
    std::swap(fused.name, graph.nodes[n].name);
    claims.Claim(*add, {n});
  }
  return claims.Commit(e);
}

}  // namespace axon::graph
