#include "runtime/sgd_fold.h"

#include <algorithm>

#include "graph/op_schema.h"
#include "graph/rewrite.h"
#include "graph/verifier.h"

namespace axon::runtime {
namespace {

// Whether node n (a Gemm) computes alpha·op(A)·op(B) with alpha 1 and no C.
bool PlainProduct(const graph::Node& n) {
  if (n.op_type != "Gemm" || n.inputs.size() < 2) return false;
  const graph::AttrReader attrs(n, graph::SchemaFor(n));
  return attrs.Float("alpha") == 1.0f && (n.inputs.size() < 3 || n.inputs[2].empty());
}

}  // namespace

SgdFold FoldSgd(const graph::Graph& gradient, const std::vector<std::string>& parameters, float weight_decay) {
  SgdFold fold{gradient, {}, {}};
  graph::Graph& g = fold.graph;
  graph::GraphEditor e(g);
  const std::size_t n = parameters.size();
  const std::string loss = g.outputs[0].name;
  auto weight_info = [&](const std::string& name) -> const graph::ValueInfo* {
    const auto it = std::find_if(g.inputs.begin(), g.inputs.end(), [&](const auto& v) { return v.name == name; });
    return it == g.inputs.end() ? nullptr : &*it;
  };
  std::vector<std::size_t> producers(n, g.nodes.size());  // of each folded gradient
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& grad = g.outputs[2 + i].name;
    const graph::ValueInfo* w = weight_info(parameters[i]);
    const graph::Node* p = e.Producer(grad);
    const bool once = std::count_if(g.outputs.begin(), g.outputs.end(), [&](const auto& v) { return v.name == grad; }) == 1;
    if (!w || w->dtype != DType::kF32 || !w->shape.has_rank() || w->shape.rank() != 2 || !p || !PlainProduct(*p) ||
        !e.Consumers(grad).empty() || !once || p->inputs[0] == parameters[i] || p->inputs[1] == parameters[i]) {
      fold.unfolded.push_back(i);
      continue;
    }
    fold.folded.push_back(i);
    producers[i] = static_cast<std::size_t>(p - g.nodes.data());
  }
  if (fold.folded.empty()) return fold;

  const std::string lr = e.UniqueName("lr");
  g.inputs.push_back(graph::ValueInfo{lr, DType::kF32, graph::Shape(std::vector<graph::Dim>{})});
  std::vector<graph::ValueInfo> new_weights;
  for (std::size_t i : fold.folded) {
    const std::string& w = parameters[i];
    std::vector<std::string> after;  // one output of each other reader of w
    for (const graph::Use& u : e.Consumers(w))
      if (u.node != producers[i] && !g.nodes[u.node].outputs.empty() &&
          std::find(after.begin(), after.end(), g.nodes[u.node].outputs[0]) == after.end())
        after.push_back(g.nodes[u.node].outputs[0]);
    graph::Node& node = g.nodes[producers[i]];
    const graph::AttrReader attrs(node, graph::SchemaFor(node));
    const int64_t trans_a = attrs.Int("transA"), trans_b = attrs.Int("transB");
    std::vector<std::string> inputs = {node.inputs[0], node.inputs[1], w, lr, loss};
    inputs.insert(inputs.end(), after.begin(), after.end());
    const std::string out = e.UniqueName("sgd:" + w);
    node.op_type = "GemmSGD";
    node.inputs = std::move(inputs);
    node.outputs = {out};
    node.attrs = {{"transA", trans_a}, {"transB", trans_b}, {"weight_decay", weight_decay}};
    new_weights.push_back(graph::ValueInfo{out, DType::kF32, weight_info(w)->shape});
    e.Refresh();
  }
  std::vector<graph::ValueInfo> outputs(g.outputs.begin(), g.outputs.begin() + 2);
  for (std::size_t i : fold.unfolded) outputs.push_back(g.outputs[2 + i]);
  outputs.insert(outputs.end(), g.outputs.begin() + 2 + static_cast<std::ptrdiff_t>(n), g.outputs.end());
  outputs.insert(outputs.end(), new_weights.begin(), new_weights.end());
  g.outputs = std::move(outputs);
  graph::Verify(g);
  return fold;
}

}  // namespace axon::runtime
