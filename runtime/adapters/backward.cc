// Adapters of the ops gradient rules emit (graph/ops/backward.cc). SumTo reads Like's planned
// shape only (never its bytes), so it serves every batch size: the reduced axes are found from
// the concrete shapes when a plan is made, and the reduction is ReduceSum's kernel.
#include <string>
#include <vector>

#include "graph/shape.h"
#include "runtime/adapter.h"
#include "runtime/kernels/activation_grad.h"
#include "runtime/kernels/reduce.h"
#include "runtime/kernels/softmax_grad.h"

namespace axon::runtime {
namespace {

BoundStep BindSumTo(const BindContext& b) {
  const std::vector<int64_t>& x = b.InShape(0);
  const std::vector<int64_t>& like = b.InShape(1);
  const std::size_t offset = x.size() - like.size();  // the schema checked like's rank is not larger
  uint64_t mask = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool leading = i < offset;
    if (!leading && like[i - offset] != x[i] && like[i - offset] != 1)
      throw Error(ErrorCode::kInvalidArgument,
                  "Like " + ShapeToString(like) + " does not broadcast to X " + ShapeToString(x));
    if (leading || (like[i - offset] == 1 && x[i] != 1)) mask |= uint64_t{1} << i;
  }
  const kernels::ReduceLayout layout = kernels::MakeReduceLayout(x, mask);
  if (layout.copy) {
    BoundStep alias = AliasOf(0);
    alias.shape_only_inputs = uint64_t{1} << 1;
    return alias;
  }
  BoundStep step{.run = [layout](const StepArgs& a) {
                   kernels::ReduceF32(kernels::ReduceOp::kSum, layout, a.In<float>(0), a.Out<float>(0), a.workspace);
                 },
                 .workspace_bytes = static_cast<int64_t>(kernels::ReduceWorkspaceBytes(layout, sizeof(float)))};
  step.shape_only_inputs = uint64_t{1} << 1;
  return step;
}

using GradFn = void (*)(const float*, const float*, float*, int64_t);

AdapterFn Pointwise(GradFn fn) {
  return [fn](const BindContext& b) {
    const int64_t n = b.OutElements(0);
    return BoundStep{.run = [fn, n](const StepArgs& a) { fn(a.In<float>(0), a.In<float>(1), a.Out<float>(0), n); },
                     .in_place_input = 0};
  };
}

BoundStep BindLeakyReluGrad(const BindContext& b) {
  const int64_t n = b.OutElements(0);
  const float alpha = b.attrs().Float("alpha");
  return BoundStep{.run = [n, alpha](const StepArgs& a) {
                     kernels::LeakyReluGrad(a.In<float>(0), a.In<float>(1), a.Out<float>(0), n, alpha);
                   },
                   .in_place_input = 0};
}

using SoftmaxGradFn = void (*)(const float*, const float*, float*, int64_t, int64_t, int64_t);

AdapterFn AlongAxis(SoftmaxGradFn fn) {
  return [fn](const BindContext& b) {
    const std::vector<int64_t>& shape = b.OutShape(0);
    const auto rank = static_cast<int64_t>(shape.size());
    const int64_t axis = graph::NormalizeAxis(b.attrs().Int("axis"), rank).value();  // the schema checked it
    int64_t outer = 1, inner = 1;
    const int64_t len = shape[static_cast<std::size_t>(axis)];
    for (int64_t i = 0; i < axis; ++i) outer *= shape[static_cast<std::size_t>(i)];
    for (int64_t i = axis + 1; i < rank; ++i) inner *= shape[static_cast<std::size_t>(i)];
    return BoundStep{.run = [fn, outer, len, inner](const StepArgs& a) {
                       fn(a.In<float>(0), a.In<float>(1), a.Out<float>(0), outer, len, inner);
                     },
                     .in_place_input = 0};
  };
}

}  // namespace

AXON_ADAPTER(SumTo, BindSumTo);
AXON_ADAPTER(ReluGrad, Pointwise(kernels::ReluGrad));
AXON_ADAPTER(LeakyReluGrad, BindLeakyReluGrad);
AXON_ADAPTER(SigmoidGrad, Pointwise(kernels::SigmoidGrad));
AXON_ADAPTER(TanhGrad, Pointwise(kernels::TanhGrad));
AXON_ADAPTER(SoftmaxGrad, AlongAxis(kernels::SoftmaxGradF32));
AXON_ADAPTER(LogSoftmaxGrad, AlongAxis(kernels::LogSoftmaxGradF32));

}  // namespace axon::runtime
