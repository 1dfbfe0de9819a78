// Pointwise activations: the output has the input's shape and dtype.
#include "graph/ops/infer_helpers.h"

namespace axon::graph {

AXON_OP(Relu).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput);
// exp, add and divide per element, counted as the usual 4 FLOPs of a sigmoid.
AXON_OP(Sigmoid).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops([](const FlopContext& f) {
  return 4 * OneFlopPerOutput(f);
});
AXON_OP(Tanh).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops([](const FlopContext& f) {
  return 4 * OneFlopPerOutput(f);
});

}  // namespace axon::graph
