// Adapters of ReduceSum, ReduceMean and ReduceMax: the axes (attribute, constant input, or absent)
// and the planned input shape make the kernel's layout once per plan. A reduction that reduces
// nothing (only dims of size 1, or noop_with_empty_axes) is a relabelling, with no step at all.
#include <vector>

#include "graph/ops/reduce_axes.h"
#include "runtime/adapter.h"
#include "runtime/kernels/reduce.h"

namespace axon::runtime {
namespace {

using kernels::ReduceLayout;
using kernels::ReduceOp;

static_assert(kernels::kReduceMaxRank == graph::kMaxRank);

void Reduce(ReduceOp op, DType dtype, const ReduceLayout& layout, const StepArgs& a) {
  if (dtype == DType::kF32) {
    kernels::ReduceF32(op, layout, a.In<float>(0), a.Out<float>(0), a.workspace);
  } else {
    kernels::ReduceI64(op, layout, a.In<int64_t>(0), a.Out<int64_t>(0), a.workspace);
  }
}

AdapterFn BindReduce(ReduceOp op, bool axes_input) {
  return [op, axes_input](const BindContext& b) {
    const std::vector<int64_t>& shape = b.InShape(0);
    const auto rank = static_cast<int64_t>(shape.size());
    const DType dtype = b.InType(0);
    const std::size_t element = DTypeSize(dtype);
    const bool noop = axes_input && b.attrs().Int("noop_with_empty_axes") != 0;

    if (axes_input && b.HasIn(1) && !b.Constant(1)) {
      // Axes computed during the run. The plan is keyed by their values (shape inference read
      // them), but an adapter sees only constants' values, so the step makes the layout from the
      // values as it runs (a fixed-size value: no allocation), with scratch for any layout that
      // gives this many outputs.
      const int64_t count = b.InShape(1).empty() ? 1 : b.InShape(1)[0];
      return BoundStep{.run = [op, dtype, shape, rank, count, noop](const StepArgs& a) {
                         const std::span<const int64_t> axes(a.In<int64_t>(1), static_cast<std::size_t>(count));
                         const uint64_t mask = graph::ReducedAxesMask(axes, rank, noop, nullptr).value();
                         Reduce(op, dtype, kernels::MakeReduceLayout(shape, mask), a);
                       },
                       .workspace_bytes = static_cast<int64_t>(kernels::ReduceWorkspaceBound(b.OutElements(0), element))};
    }
    std::vector<int64_t> axes;
    if (axes_input && b.HasIn(1)) {
      const Tensor* t = b.Constant(1);
      axes.assign(t->data<int64_t>(), t->data<int64_t>() + t->size());
    } else if (!axes_input && b.attrs().Has("axes")) {
      axes = b.attrs().Ints("axes");
    }
    const uint64_t mask = graph::ReducedAxesMask(axes, rank, noop, nullptr).value();  // the schema checked them
    const ReduceLayout layout = kernels::MakeReduceLayout(shape, mask);
    if (layout.copy) return AliasOf(0);
    return BoundStep{.run = [op, dtype, layout](const StepArgs& a) { Reduce(op, dtype, layout, a); },
                     .workspace_bytes = static_cast<int64_t>(kernels::ReduceWorkspaceBytes(layout, element))};
  };
}

}  // namespace

AXON_ADAPTER(ReduceSum, BindReduce(ReduceOp::kSum, /*axes_input=*/true));
AXON_ADAPTER(ReduceMean, BindReduce(ReduceOp::kMean, /*axes_input=*/false));
AXON_ADAPTER(ReduceMax, BindReduce(ReduceOp::kMax, /*axes_input=*/false));

}  // namespace axon::runtime
