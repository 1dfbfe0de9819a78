// Replaces nodes whose inputs are all constants by initializers holding their outputs, and Shape
// nodes by their value when the shape they read is fully known.
//
// How constants are evaluated: graph/ knows no kernels (layering), so the pass is handed a
// NodeEvaluator. runtime/ supplies one (runtime/constant_evaluator.h) that compiles the node on
// its own and runs it through the same adapter and kernel a session would: a folded value is
// bit for bit what the unfolded graph computes, and no op has a second implementation. Without
// an evaluator only Shape folding happens (a shape is IR data, not arithmetic).
//
// A folded graph output becomes an initializer under the output's own (public) name.
//
// Parameters are never folded: the initializers named in `parameters` (trained weights that
// change between runs) and graph inputs are not constants, so a node reading one stays.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "graph/pass.h"

namespace axon::graph {

// Computes node's outputs from its inputs' values (one per node input; an undefined Tensor for
// an omitted optional one). `outputs` gives each output's inferred dtype and shape. Throws
// axon::Error when the node cannot be evaluated.
using NodeEvaluator =
    std::function<std::vector<Tensor>(const Node& node, const std::vector<Tensor>& inputs, const std::vector<ValueInfo>& outputs)>;

class ConstantFolding final : public Pass {
 public:
  // A node is folded only when its outputs take at most max(its constant inputs' bytes,
  // kSmallBytes): folding must not turn a small file into a large session (an Expand of a scalar
  // to a big tensor stays an Expand).
  static constexpr int64_t kSmallBytes = int64_t{1} << 20;

  explicit ConstantFolding(NodeEvaluator evaluate = nullptr, std::set<std::string> parameters = {})
      : evaluate_(std::move(evaluate)), parameters_(std::move(parameters)) {}
  std::string_view Name() const override { return "constant-folding"; }
  bool Run(Graph& graph) override;

 private:
  NodeEvaluator evaluate_;
  std::set<std::string> parameters_;
};

}  // namespace axon::graph
