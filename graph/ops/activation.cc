// Pointwise activations: the output has the input's shape and dtype.
#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {

// Relu's gradient reads Y (> 0 exactly where X is), so a Gemm + Relu pair can still fuse and
// never materialize X.
AXON_OP(Relu).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput).Grad([](GradContext& g) {
  g.SetInputGrad(0, g.Op("ReluGrad", {g.OutGrad(0), g.Output(0)}));
});
// exp, add and divide per element, counted as the usual 4 FLOPs of a sigmoid.
AXON_OP(Sigmoid).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType)
    .Flops([](const FlopContext& f) { return 4 * OneFlopPerOutput(f); })
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.Op("SigmoidGrad", {g.OutGrad(0), g.Output(0)})); });
AXON_OP(Tanh).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType)
    .Flops([](const FlopContext& f) { return 4 * OneFlopPerOutput(f); })
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.Op("TanhGrad", {g.OutGrad(0), g.Output(0)})); });

}  // namespace axon::graph
