#include "graph/passes/elementwise_fusion.h"

#include <algorithm>
#include <map>
#include <set>

#include "graph/op_schema.h"
#include "graph/ops/fused_elementwise.h"
#include "graph/passes/pass_util.h"
#include "graph/rewrite.h"

namespace axon::graph {
namespace {

// A fusable op whose output has shape `out` and whose inputs are f32 and repeat over `out`.
bool Fusable(const Graph& graph, const Node& node, const Shape& out) {
  const FusableOp* op = FindFusableOp(node.op_type);
  if (!op || node.inputs.size() != static_cast<std::size_t>(op->arity) || node.outputs.size() != 1) return false;
  const std::optional<Shape> y = ShapeOf(graph, node.outputs[0]);
  if (!y || !(*y == out) || DTypeOf(graph, node.outputs[0]) != DType::kF32) return false;
  for (const std::string& in : node.inputs) {
    const std::optional<Shape> s = ShapeOf(graph, in);
    if (!s || DTypeOf(graph, in) != DType::kF32 || !RepeatsOver(*s, out)) return false;
  }
  return true;
}

struct Program {
  std::vector<std::string> inputs;  // the fused node's inputs (registers 0..E-1)
  std::vector<std::string> ops;
  std::vector<int64_t> operands;
  std::vector<float> params;
};

// The register program of `members` (node indices in topological order); nullopt when it needs
// more inputs or temporaries than the kernel has.
std::optional<Program> Compile(const GraphEditor& e, const std::vector<std::size_t>& members) {
  const Graph& graph = e.graph();
  std::map<std::string, std::size_t> produced;  // value -> position in members
  for (std::size_t k = 0; k < members.size(); ++k) produced[graph.nodes[members[k]].outputs[0]] = k;
  Program p;
  std::map<std::string, std::size_t> last_use;  // internal value -> last position reading it
  for (std::size_t k = 0; k < members.size(); ++k)
    for (const std::string& in : graph.nodes[members[k]].inputs) {
      if (produced.count(in)) {
        last_use[in] = k;
      } else if (std::find(p.inputs.begin(), p.inputs.end(), in) == p.inputs.end()) {
        p.inputs.push_back(in);
      }
    }
  if (p.inputs.size() > static_cast<std::size_t>(kMaxFusedInputs)) return std::nullopt;
  const auto e_count = static_cast<int64_t>(p.inputs.size());
  std::map<std::string, int64_t> reg;
  for (int64_t i = 0; i < e_count; ++i) reg[p.inputs[static_cast<std::size_t>(i)]] = i;
  std::vector<bool> busy(kMaxFusedTemps, false);
  for (std::size_t k = 0; k < members.size(); ++k) {
    const Node& node = graph.nodes[members[k]];
    const FusableOp& op = *FindFusableOp(node.op_type);
    const int64_t a = reg.at(node.inputs[0]);
    const int64_t b = op.arity == 2 ? reg.at(node.inputs[1]) : -1;
    // Temporaries read for the last time here are free for this instruction's result.
    for (const std::string& in : node.inputs)
      if (auto it = last_use.find(in); it != last_use.end() && it->second == k)
        busy[static_cast<std::size_t>(reg.at(in) - e_count)] = false;
    auto free = std::find(busy.begin(), busy.end(), false);
    if (free == busy.end()) return std::nullopt;
    *free = true;
    const int64_t dst = e_count + (free - busy.begin());
    reg[node.outputs[0]] = dst;
    p.ops.push_back(node.op_type);
    p.operands.insert(p.operands.end(), {dst, a, b});
    const AttrReader attrs(node, SchemaFor(node));
    for (std::size_t i = 0; i < 2; ++i) p.params.push_back(i < op.params.size() ? attrs.Float(op.params[i]) : 0.0f);
  }
  return p;
}

}  // namespace

// Long chains become several groups: the kernel's program loop gains nothing from more, and
// growing a group costs its size per step.
constexpr std::size_t kMaxGroup = 32;

bool ElementwiseFusion::Run(Graph& graph) {
  GraphEditor e(graph);
  const std::vector<std::size_t> order = TopologicalOrder(graph);
  std::vector<std::size_t> position(graph.nodes.size());
  for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
  auto by_position = [&](std::size_t a, std::size_t b) { return position[a] < position[b]; };
  std::vector<bool> grouped(graph.nodes.size(), false);
  std::vector<std::pair<std::size_t, Program>> groups;  // sink, program

  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const std::size_t sink = *it;
    if (grouped[sink]) continue;
    const std::optional<Shape> out = ShapeOf(graph, graph.nodes[sink].outputs[0]);
    if (!out || !Fusable(graph, graph.nodes[sink], *out)) continue;
    std::vector<std::size_t> members{sink};
    std::set<std::size_t> rejected;
    std::optional<Program> program;
    for (bool grew = true; grew && members.size() < kMaxGroup;) {
      grew = false;
      for (std::size_t m = 0; m < members.size() && !grew; ++m) {
        for (const std::string& in : graph.nodes[members[m]].inputs) {
          const ValueSource source = e.SourceOf(in);
          if (source.kind != ValueSource::Kind::kNode) continue;
          const std::size_t p = source.node;
          if (grouped[p] || rejected.count(p) || std::find(members.begin(), members.end(), p) != members.end()) continue;
          if (e.IsGraphOutput(in) || !Fusable(graph, graph.nodes[p], *out)) continue;
          const std::vector<Use>& uses = e.Consumers(in);
          const bool inside = std::all_of(uses.begin(), uses.end(), [&](const Use& u) {
            return std::find(members.begin(), members.end(), u.node) != members.end();
          });
          if (!inside) continue;
          std::vector<std::size_t> tried = members;
          tried.push_back(p);
          std::sort(tried.begin(), tried.end(), by_position);
          if (!Compile(e, tried)) {
            rejected.insert(p);
            continue;
          }
          members = std::move(tried);
          grew = true;
          break;
        }
      }
    }
    if (members.size() < 2) continue;
    std::sort(members.begin(), members.end(), by_position);
    program = Compile(e, members);
    if (!program) continue;
    for (std::size_t m : members) grouped[m] = true;
    groups.emplace_back(sink, std::move(*program));
  }
  if (groups.empty()) return false;

  // Each sink becomes its group's FusedElementwise, keeping its output name (so nothing is renamed;
  // direct edits and one Refresh rather than ReplaceAllUses, whose cycle check walks every
  // ancestor and would make a long chain quadratic). The other members are then unread.
  std::vector<bool> sinks(graph.nodes.size(), false);
  for (auto& [sink, p] : groups) {
    Node& node = graph.nodes[sink];
    node.op_type = "FusedElementwise";
    node.inputs = p.inputs;
    node.attrs = {{"ops", p.ops}, {"operands", p.operands}, {"params", p.params}};
    sinks[sink] = true;
  }
  std::vector<std::size_t> removed;
  for (std::size_t n = 0; n < grouped.size(); ++n)
    if (grouped[n] && !sinks[n]) removed.push_back(n);
  e.Refresh();
  e.RemoveNodes(std::move(removed));
  return true;
}

}  // namespace axon::graph
