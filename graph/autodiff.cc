#include "graph/autodiff.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "graph/verifier.h"

namespace axon::graph {
namespace {

[[noreturn]] void Refuse(const std::string& message) { throw Error(ErrorCode::kInvalidArgument, message); }

// Shapes equal without knowing the batch size: same rank, and each dim the same number or the
// same named symbol (an anonymous unknown equals nothing).
bool StaticallyEqual(const Shape& a, const Shape& b) {
  if (!a.has_rank() || !b.has_rank() || a.rank() != b.rank()) return false;
  for (int64_t i = 0; i < a.rank(); ++i) {
    const Dim& x = a[static_cast<std::size_t>(i)];
    const Dim& y = b[static_cast<std::size_t>(i)];
    if (x.known() ? !(x == y) : (x.symbol().empty() || x.symbol() != y.symbol())) return false;
  }
  return true;
}

}  // namespace

GradContext::GradContext(GraphEditor& editor, const Node& node, const OpSchema& schema,
                         std::vector<std::string> out_grads, std::vector<bool> needs,
                         std::map<std::string, std::vector<std::string>>& input_grads)
    : editor_(editor), node_(node), attrs_(node_, schema), out_grads_(std::move(out_grads)), needs_(std::move(needs)),
      input_grads_(input_grads) {}

const ValueInfo& GradContext::InfoOf(const std::string& value) const {
  const auto& infos = editor_.graph().value_info;
  auto it = infos.find(value);
  if (it == infos.end()) throw Error(ErrorCode::kInternal, "autodiff: no type known for value '" + value + "'");
  return it->second;
}

const ValueInfo& GradContext::InInfo(std::size_t i) const { return InfoOf(Input(i)); }
const ValueInfo& GradContext::OutInfo(std::size_t i) const { return InfoOf(Output(i)); }

const Tensor* GradContext::ConstantInput(std::size_t i) const {
  if (i >= NumInputs() || Input(i).empty()) return nullptr;
  const auto& inits = editor_.graph().initializers;
  auto it = inits.find(Input(i));
  return it == inits.end() ? nullptr : &it->second;
}

void GradContext::SetInputGrad(std::size_t i, const std::string& grad) {
  if (!NeedsGrad(i) || grad.empty()) return;
  input_grads_[Input(i)].push_back(grad);
}

std::vector<std::string> GradContext::OpN(const std::string& op_type, std::vector<std::string> inputs,
                                          std::size_t num_outputs, std::map<std::string, Attribute> attrs) {
  const std::string base = node_.name.empty() ? node_.op_type : node_.name;
  const Node& added = editor_.AddNode(op_type, std::move(inputs), num_outputs, std::move(attrs), base + "_grad/" + op_type);
  // Inferred right away, so later rules (SumTo's shortcut) see the backward values' shapes too.
  Graph& graph = editor_.graph();
  const OpSchema& schema = SchemaFor(added);
  InferContext ctx(added, schema);
  for (const std::string& in : added.inputs) {
    ctx.inputs.push_back(in.empty() ? ValueInfo{} : InfoOf(in));
    auto init = graph.initializers.find(in);
    ctx.input_values.push_back(init == graph.initializers.end() ? nullptr : &init->second);
  }
  schema.RunInference(ctx);
  for (const ValueInfo& out : ctx.outputs) graph.value_info[out.name] = out;
  return added.outputs;
}

std::string GradContext::Op(const std::string& op_type, std::vector<std::string> inputs,
                            std::map<std::string, Attribute> attrs) {
  return OpN(op_type, std::move(inputs), 1, std::move(attrs)).at(0);
}

std::string GradContext::Constant(const Tensor& value) {
  const std::string base = node_.name.empty() ? node_.op_type : node_.name;
  const std::string name = editor_.AddInitializer(base + "_grad/const", value);
  editor_.graph().value_info[name] = ValueInfo{name, value.dtype(), Shape::FromValues(value.shape())};
  return name;
}

std::string GradContext::Scalar(float value) { return Constant(Tensor::FromVector(std::vector<float>{value}, {})); }

std::string GradContext::Ints(const std::vector<int64_t>& values) {
  return Constant(Tensor::FromVector(values, {static_cast<int64_t>(values.size())}));
}

std::string GradContext::SumTo(const std::string& grad, const std::string& like) {
  if (StaticallyEqual(InfoOf(grad).shape, InfoOf(like).shape)) return grad;
  return Op("SumTo", {grad, like});
}

void GradContext::Fail(const std::string& message) const {
  throw Error(ErrorCode::kUnsupported, "cannot differentiate " + node_.Describe() + ": " + message);
}

int64_t GradContext::InRank(std::size_t i) const {
  const Shape& s = InInfo(i).shape;
  if (!s.has_rank()) Fail("input " + std::to_string(i) + " '" + Input(i) + "' has an unknown rank");
  return s.rank();
}

std::string GradContext::ShapeOf(const std::string& value) {
  const std::optional<std::vector<int64_t>> known = InfoOf(value).shape.values();
  if (known) return Ints(*known);
  return Op("Shape", {value});
}

std::string GradContext::ReshapeLike(const std::string& grad, const std::string& like) {
  return Op("Reshape", {grad, ShapeOf(like)});
}

std::string GradContext::ZerosLike(const std::string& value) {
  return Op("ConstantOfShape", {ShapeOf(value)},
            {{"value", TensorAttr{Tensor::FromVector(std::vector<float>{0.0f}, {1})}}});
}

namespace {

// What AppendGradients needs to know about the forward graph before it adds anything.
struct ForwardPaths {
  std::vector<std::size_t> order;              // node indices, topological
  std::unordered_set<std::string> reached;     // f32 values computed from a wrt value
  std::unordered_set<std::string> to_loss;     // values the loss is computed from (and the loss)
  bool OnPath(const std::string& v) const { return reached.count(v) && to_loss.count(v); }
};

ForwardPaths FindPaths(const Graph& graph, const std::string& loss, const std::vector<std::string>& wrt) {
  ForwardPaths p;
  p.order = TopologicalOrder(graph);
  p.reached.insert(wrt.begin(), wrt.end());
  for (std::size_t n : p.order) {
    const Node& node = graph.nodes[n];
    const bool any = std::any_of(node.inputs.begin(), node.inputs.end(), [&](const std::string& in) {
      return !in.empty() && p.reached.count(in);
    });
    if (!any) continue;
    // Integer outputs (Shape, ArgMax, ...) carry no gradient.
    for (const std::string& out : node.outputs) {
      auto it = graph.value_info.find(out);
      if (it != graph.value_info.end() && it->second.dtype == DType::kF32) p.reached.insert(out);
    }
  }
  p.to_loss.insert(loss);
  for (auto it = p.order.rbegin(); it != p.order.rend(); ++it) {
    const Node& node = graph.nodes[*it];
    if (std::none_of(node.outputs.begin(), node.outputs.end(), [&](const std::string& o) { return p.to_loss.count(o); }))
      continue;
    for (const std::string& in : node.inputs)
      if (!in.empty()) p.to_loss.insert(in);
  }
  return p;
}

// The nodes to differentiate: an input and an output on a path from a wrt value to the loss.
bool NodeOnPath(const Node& node, const ForwardPaths& p) {
  const bool in = std::any_of(node.inputs.begin(), node.inputs.end(), [&](const std::string& v) { return !v.empty() && p.OnPath(v); });
  const bool out = std::any_of(node.outputs.begin(), node.outputs.end(), [&](const std::string& v) { return p.OnPath(v); });
  return in && out;
}

void RequireRules(const Graph& graph, const ForwardPaths& p) {
  std::map<std::string, std::vector<std::string>> missing;  // op -> its nodes
  for (std::size_t n : p.order) {
    const Node& node = graph.nodes[n];
    if (!NodeOnPath(node, p) || SchemaFor(node).has_grad()) continue;
    missing[node.op_type].push_back(node.name.empty() ? node.Describe() : "'" + node.name + "'");
  }
  if (missing.empty()) return;
  std::string message = "cannot differentiate: no gradient rule for";
  bool first = true;
  for (const auto& [op, nodes] : missing) {
    message += std::string(first ? " " : "; ") + op + " (node";
    message += nodes.size() > 1 ? "s " : " ";
    for (std::size_t i = 0; i < nodes.size(); ++i) message += (i ? ", " : "") + nodes[i];
    message += ")";
    first = false;
  }
  throw Error(ErrorCode::kUnsupported, message);
}

}  // namespace

std::vector<std::string> AppendGradients(Graph& graph, const std::string& loss, const std::vector<std::string>& wrt,
                                         const GradientOptions& options) {
  GraphEditor editor(graph);
  editor.InferShapes();
  // Rules ask for the type of any forward value, graph inputs and initializers included; the
  // final InferShapes re-makes value_info from the nodes alone.
  for (const ValueInfo& in : graph.inputs) graph.value_info[in.name] = in;
  for (const auto& [name, t] : graph.initializers)
    graph.value_info[name] = ValueInfo{name, t.dtype(), Shape::FromValues(t.shape())};

  auto info = [&](const std::string& v) -> const ValueInfo* {
    auto it = graph.value_info.find(v);
    return it == graph.value_info.end() ? nullptr : &it->second;
  };
  const ValueInfo* loss_info = info(loss);
  if (!loss_info) Refuse("loss '" + loss + "' is not a value of graph '" + graph.name + "'");
  const std::optional<std::vector<int64_t>> loss_shape = loss_info->shape.values();
  if (loss_info->dtype != DType::kF32 || !loss_shape || ElementCount(*loss_shape) != 1)
    Refuse("loss " + loss_info->ToString() + " must be an f32 value with one element");
  std::set<std::string> seen_wrt;
  for (const std::string& w : wrt) {
    const ValueSource::Kind kind = editor.SourceOf(w).kind;
    if (kind != ValueSource::Kind::kGraphInput && kind != ValueSource::Kind::kInitializer)
      Refuse("cannot differentiate with respect to '" + w + "': not a graph input or initializer");
    if (info(w)->dtype != DType::kF32)
      Refuse("cannot differentiate with respect to " + info(w)->ToString() + ": not f32");
    if (!seen_wrt.insert(w).second) Refuse("'" + w + "' is listed twice among the values to differentiate for");
    if (editor.IsDefined(options.output_prefix + w) || editor.IsGraphOutput(options.output_prefix + w))
      Refuse("gradient output name '" + options.output_prefix + w + "' is already taken");
  }

  const ForwardPaths paths = FindPaths(graph, loss, wrt);
  RequireRules(graph, paths);

  std::map<std::string, std::vector<std::string>> grads;  // value -> gradient parts
  {
    Node seed_node{loss, "Identity", {}, {loss}, {}};
    GradContext seed(editor, seed_node, SchemaFor(seed_node), {}, {}, grads);
    std::vector<float> one(1, 1.0f);
    grads[loss].push_back(seed.Constant(Tensor::FromVector(one, *loss_shape)));
  }
  // The sum of a value's parts, made once: a value read by several nodes adds their gradients.
  auto total = [&](const std::string& value, GradContext& ctx) -> std::string {
    auto it = grads.find(value);
    if (it == grads.end() || it->second.empty()) return "";
    std::vector<std::string>& parts = it->second;
    std::string sum = parts[0];
    for (std::size_t i = 1; i < parts.size(); ++i) sum = ctx.Add(sum, parts[i]);
    parts = {sum};
    return sum;
  };

  for (auto it = paths.order.rbegin(); it != paths.order.rend(); ++it) {
    const Node node = graph.nodes[*it];  // a copy: rules add nodes
    if (!NodeOnPath(node, paths)) continue;
    const OpSchema& schema = SchemaFor(node);
    std::vector<bool> needs;
    for (const std::string& in : node.inputs) needs.push_back(!in.empty() && paths.OnPath(in));
    GradContext ctx(editor, node, schema, std::vector<std::string>(node.outputs.size()), needs, grads);
    std::vector<std::string> out_grads;
    bool any = false;
    for (const std::string& out : node.outputs) {
      out_grads.push_back(paths.OnPath(out) ? total(out, ctx) : "");
      any = any || !out_grads.back().empty();
    }
    if (!any) continue;
    GradContext rule(editor, node, schema, std::move(out_grads), std::move(needs), grads);
    schema.grad()(rule);
  }

  std::vector<std::string> totals;
  for (const std::string& w : wrt) {
    Node seed_node{w, "Identity", {}, {w}, {}};
    GradContext ctx(editor, seed_node, SchemaFor(seed_node), {}, {}, grads);
    const std::string g = total(w, ctx);
    totals.push_back(g.empty() ? ctx.ZerosLike(w) : g);
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < wrt.size(); ++i) {
    const std::string& g = totals[i];
    const std::string name = options.output_prefix + wrt[i];
    // The gradient takes the public name: the node that made it is renamed when nothing else
    // reads its value (nor is it another gradient), else an Identity (an alias, no copy) is added
    // to carry the name.
    ValueSource src = editor.SourceOf(g);
    const bool own = src.kind == ValueSource::Kind::kNode && src.node >= paths.order.size() &&
                     editor.Consumers(g).empty() && !editor.IsGraphOutput(g) &&
                     std::count(totals.begin(), totals.end(), g) == 1;
    if (!own) {
      editor.AddNode("Identity", {g}, 1, {}, wrt[i] + "_grad/Identity");
      src = ValueSource{ValueSource::Kind::kNode, graph.nodes.size() - 1, 0};
    }
    graph.nodes[src.node].outputs[src.output] = name;
    editor.Refresh();
    graph.outputs.push_back(ValueInfo{name, DType::kF32, info(wrt[i])->shape});
    editor.Refresh();
    names.push_back(name);
  }
  editor.InferShapes();
  return names;
}

}  // namespace axon::graph
