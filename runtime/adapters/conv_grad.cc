// Adapter of ConvWeightGrad(dY, X, W): the forward Conv's window over X's shape, dY's shape the
// grid, W's shape (read only for its shape) giving the kernel.
#include "runtime/adapter.h"
#include "runtime/adapters/window_geometry.h"
#include "runtime/kernels/conv_grad.h"

namespace axon::runtime {
namespace {

BoundStep BindConvWeightGrad(const BindContext& b) {
  const std::vector<int64_t>& dys = b.InShape(0);
  const std::vector<int64_t>& xs = b.InShape(1);
  const std::vector<int64_t>& ws = b.InShape(2);
  kernels::ConvWeightGradShape s;
  s.batch = xs[0], s.in_channels = xs[1], s.out_channels = ws[0], s.group = b.attrs().Int("group");
  s.window = ResolvedGeometry(b, xs, dys, std::vector<int64_t>(ws.begin() + 2, ws.end()));
  BoundStep step{.run = [s](const StepArgs& a) {
                   kernels::ConvWeightGradF32(s, a.In<float>(0), a.In<float>(1), a.Out<float>(0),
                                              static_cast<float*>(a.workspace));
                 },
                 .workspace_bytes = static_cast<int64_t>(kernels::ConvWeightGradWorkspaceFloats(s) * sizeof(float))};
  step.shape_only_inputs = uint64_t{1} << 2;
  return step;
}

}  // namespace

AXON_ADAPTER(ConvWeightGrad, BindConvWeightGrad);

}  // namespace axon::runtime
