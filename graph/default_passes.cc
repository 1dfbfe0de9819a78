#include "graph/default_passes.h"

#include "graph/passes/attention_fusion.h"
#include "graph/passes/common_subexpression_elimination.h"
#include "graph/passes/conv_activation_fusion.h"
#include "graph/passes/conv_batchnorm_folding.h"
#include "graph/passes/conv_residual_fusion.h"
#include "graph/passes/dead_node_elimination.h"
#include "graph/passes/elementwise_fusion.h"
#include "graph/passes/gelu_fusion.h"
#include "graph/passes/gemm_epilogue_fusion.h"
#include "graph/passes/identity_elimination.h"
#include "graph/passes/layer_norm_fusion.h"
#include "graph/passes/transpose_folding.h"

namespace axon::graph {

std::vector<std::unique_ptr<Pass>> DefaultPasses(int opt_level, const PassOptions& options) {
  if (opt_level < 0) throw Error(ErrorCode::kInvalidArgument, "optimisation level must be >= 0, got " + std::to_string(opt_level));
  std::vector<std::unique_ptr<Pass>> passes;
  if (opt_level >= 1) {
    passes.push_back(std::make_unique<IdentityElimination>());
    passes.push_back(std::make_unique<ConstantFolding>(options.evaluate, options.parameters));
    passes.push_back(std::make_unique<CommonSubexpressionElimination>());
    passes.push_back(std::make_unique<DeadNodeElimination>());
  }
  if (opt_level >= 2) {
    // Transposes first (they turn MatMuls into Gemms), then the GEMM epilogue takes its bias,
    // residual and activation before elementwise-fusion could claim them.
    passes.push_back(std::make_unique<TransposeFolding>());
    passes.push_back(std::make_unique<MatMulAddFusion>());
    passes.push_back(std::make_unique<GemmEpilogueFusion>());
    passes.push_back(std::make_unique<ConvBatchNormFolding>());
    passes.push_back(std::make_unique<ConvResidualFusion>());  // before the activation, which follows the Add
    passes.push_back(std::make_unique<ConvActivationFusion>());
    // The exported LayerNorm and GELU patterns are elementwise ops too: claimed before
    // elementwise-fusion would merge them into chains.
    passes.push_back(std::make_unique<LayerNormFusion>());
    passes.push_back(std::make_unique<GeluFusion>());
    passes.push_back(std::make_unique<AttentionFusion>());
    passes.push_back(std::make_unique<ElementwiseFusion>());
  }
  return passes;
}

}  // namespace axon::graph
