// Adapters of the data-movement ops. Identity, Reshape, Flatten, Squeeze and Unsqueeze relabel
// their input's storage (the planner gives the output the input's buffer); Transpose copies along
// a layout made once.
#include "graph/ops/infer_helpers.h"
#include "runtime/adapter.h"
#include "runtime/kernels/shape_ops.h"

namespace axon::runtime {

AXON_ADAPTER(Identity, [](const BindContext&) { return AliasOf(0); });
AXON_ADAPTER(Reshape, [](const BindContext&) { return AliasOf(0); });
AXON_ADAPTER(Flatten, [](const BindContext&) { return AliasOf(0); });
AXON_ADAPTER(Squeeze, [](const BindContext&) { return AliasOf(0); });
AXON_ADAPTER(Unsqueeze, [](const BindContext&) { return AliasOf(0); });

AXON_ADAPTER(Transpose, [](const BindContext& b) {
  const std::vector<int64_t> perm = graph::TransposePerm(b.attrs(), static_cast<int64_t>(b.InShape(0).size()));
  return BoundStep{.run = [layout = kernels::MakeTransposeLayout(b.InShape(0), perm, DTypeSize(b.InType(0)))](
                              const StepArgs& a) { kernels::TransposeCopy(layout, a.in[0], a.out[0]); }};
});

}  // namespace axon::runtime
