// Folds what follows a matrix product into the GEMM kernel's epilogue, applied while the output
// tile is still in registers (runtime/kernels/gemm.h: + bias, + residual, activation):
//   MatMul(A, B) + C            -> Gemm(A, B, C)           A, B 2-D; C broadcasts to A·B
//   Gemm(A, B) + C              -> Gemm(A, B, C)           likewise, when the Gemm has no C
//   MatMul(A, B) + C            -> FusedGemm(A, B, C)      A [.., M, K] of rank > 2, B 2-D, C a
//                                                          row or scalar (a transformer's Linear)
//   Gemm/MatMul(..) + R         -> FusedGemm(.., R)        R of the product's shape: a residual
//                                                          (MatMul: A of rank >= 2, B 2-D)
//   Gemm/MatMul(..) -> Relu     -> FusedGemm(.., activation = "Relu")   (Sigmoid, Tanh too)
// The product's output must have that one reader and be no graph output. Weights need not be
// constants (training graphs feed them as inputs): the Gemm adapter packs constant B ahead of
// time and reads any other B as it comes.
#pragma once

#include "graph/pass.h"

namespace axon::graph {

class MatMulAddFusion final : public Pass {
 public:
  std::string_view Name() const override { return "matmul-add-fusion"; }
  bool Run(Graph& graph) override;
};

class GemmEpilogueFusion final : public Pass {
 public:
  std::string_view Name() const override { return "gemm-epilogue-fusion"; }
  bool Run(Graph& graph) override;
};

}  // namespace axon::graph
