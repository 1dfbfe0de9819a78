// Removes Transpose copies a GEMM or another Transpose can absorb:
//   Gemm(Transpose(A), B)      -> Gemm(A, B, transA flipped)   (B likewise; FusedGemm too)
//   MatMul(Transpose(A), B)    -> Gemm(A, B, transA = 1)       2-D operands
//   Transpose(Transpose(X))    -> X when the permutations cancel, else one Transpose
// The Transpose itself stays while something else reads it (dead-node elimination removes it
// otherwise). A constant's Transpose is constant-folding's (it folds first).
#pragma once

#include "graph/pass.h"

namespace axon::graph {

class TransposeFolding final : public Pass {
 public:
  std::string_view Name() const override { return "transpose-folding"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
