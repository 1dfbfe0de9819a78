// GELU as exporters spell it out: x · 0.5 · (1 + Erf(x / √2)) — PyTorch's (opset 13 to 19)
// Mul(Mul(x, Add(Erf(Div(x, 1.4142135)), 1)), 0.5), or the same with Mul(x, 0.70710677) for the
// Div and Mul(Mul(x, 0.5), ...) for the halving (Hugging Face's form) — becomes one Gelu: one pass
// over memory instead of five. Likewise the tanh form (PyTorch's approximate='tanh', Hugging
// Face's NewGELU) 0.5 · x · (1 + Tanh(√(2/π) · (x + 0.044715 · x³))), x³ as Mul(x, Mul(x, x)) or
// Pow(x, 3), becomes Gelu with approximate = "tanh" (nine ops, or seven). Every intermediate must
// have that one reader and be no graph output; x f32. Constants must equal √2, 1/√2, √(2/π),
// 0.044715, 3, 1 and 0.5 to float precision.
#pragma once

#include "graph/pass.h"

namespace axon::graph {

class GeluFusion final : public Pass {
 public:
  std::string_view Name() const override { return "gelu-fusion"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
