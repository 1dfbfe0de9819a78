// Adapter of Pad. The pads are read on every run (they may be fed at run time; the plan is keyed
// by their values either way, since they decide the output shape), so one bound step serves both.
#include "runtime/adapter.h"
#include "runtime/kernels/pad.h"

namespace axon::runtime {
namespace {

BoundStep BindPad(const BindContext& b) {
  kernels::PadLayout l;
  l.in_shape = b.InShape(0);
  l.out_shape = b.OutShape(0);
  l.elem_size = DTypeSize(b.InType(0));
  const std::string& mode = b.attrs().String("mode");
  l.mode = mode == "reflect" ? kernels::PadMode::kReflect : mode == "edge" ? kernels::PadMode::kEdge : kernels::PadMode::kConstant;
  const bool has_value = b.HasIn(2);
  auto layout = std::make_shared<const kernels::PadLayout>(std::move(l));
  return BoundStep{.run = [layout, has_value](const StepArgs& a) {
                     kernels::PadCopy(*layout, a.in[0], a.In<int64_t>(1), has_value ? a.in[2] : nullptr, a.out[0],
                                      static_cast<int64_t*>(a.workspace));
                   },
                   .workspace_bytes = static_cast<int64_t>(kernels::PadWorkspaceBytes(*layout))};
}

}  // namespace

AXON_ADAPTER(Pad, BindPad);

}  // namespace axon::runtime
