#include "graph/passes/conv_batchnorm_folding.h"

#include "graph/op_schema.h"
#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {

bool ConvBatchNormFolding::Run(Graph& graph) {
  GraphEditor e(graph);
  bool changed = false;
  const std::size_t count = graph.nodes.size();  // nodes added below are not visited
  for (std::size_t n = 0; n < count; ++n) {
    if (graph.nodes[n].op_type != "Conv") continue;
    const std::optional<std::size_t> reader = SoleConsumer(e, graph.nodes[n].outputs[0]);
    if (!reader) continue;
    const Node& bn = graph.nodes[*reader];
    if (bn.op_type != "BatchNormalization" || bn.outputs.size() != 1 || bn.inputs[0] != graph.nodes[n].outputs[0]) continue;
    const AttrReader bn_attrs(bn, SchemaFor(bn));
    if (bn_attrs.Int("training_mode") != 0) continue;
    const Node& conv = graph.nodes[n];
    const bool has_bias = conv.inputs.size() > 2 && !conv.inputs[2].empty();
    bool constants = graph.IsInitializer(conv.inputs[1]) && (!has_bias || graph.IsInitializer(conv.inputs[2]));
    for (std::size_t i = 1; i < 5; ++i) constants = constants && graph.IsInitializer(bn.inputs[i]);
    if (!constants || DTypeOf(graph, conv.inputs[1]) != DType::kF32) continue;

    const std::string w = conv.inputs[1], b = has_bias ? conv.inputs[2] : "";
    const std::string scale = bn.inputs[1], beta = bn.inputs[2], mean = bn.inputs[3], var = bn.inputs[4];
    const std::string bn_out = bn.outputs[0], conv_out = conv.outputs[0];
    const float epsilon = bn_attrs.Float("epsilon");
    const int64_t w_rank = static_cast<int64_t>(graph.initializers.at(w).shape().size());

    // f = scale / sqrt(var + epsilon), as a column [C, 1, ...] to scale W's output channels.
    const std::string eps = e.AddInitializer("bn_epsilon", Tensor::FromVector(std::vector<float>{epsilon}, {}));
    const std::string f = e.AddNode("Div", {scale, e.AddNode("Sqrt", {e.AddNode("Add", {var, eps}).outputs[0]}).outputs[0]}).outputs[0];
    std::vector<int64_t> column(static_cast<std::size_t>(w_rank), 1);
    column[0] = -1;
    const std::string column_shape = e.AddInitializer("bn_column", Tensor::FromVector(column, {w_rank}));
    const std::string f_column = e.AddNode("Reshape", {f, column_shape}).outputs[0];
    const std::string new_w = e.AddNode("Mul", {w, f_column}).outputs[0];
    const std::string centered = has_bias ? e.AddNode("Sub", {b, mean}).outputs[0] : e.AddNode("Neg", {mean}).outputs[0];
    const std::string new_b = e.AddNode("Add", {e.AddNode("Mul", {centered, f}).outputs[0], beta}).outputs[0];
    e.SetInput(n, 1, new_w);
    e.SetInput(n, 2, new_b);
    e.ReplaceAllUses(bn_out, conv_out);
    changed = true;
  }
  return changed;  // the BatchNormalizations are unread now: dead-node elimination removes them
}

}  // namespace axon::graph
