// Adapters of MaxPool, AveragePool and GlobalAveragePool: the window resolved by the rule shape
// inference used (window_geometry.h), AveragePool's divisors tabulated, once per plan.
#include "runtime/adapter.h"
#include "runtime/adapters/window_geometry.h"
#include "runtime/kernels/pool.h"
#include "runtime/kernels/pool_grad.h"

namespace axon::runtime {
namespace {

AdapterFn BindPool(kernels::PoolKind kind) {
  return [kind](const BindContext& b) {
    const std::vector<int64_t>& xs = b.InShape(0);
    std::array<int64_t, 3> pad_end{};
    const kernels::WindowGeometry g = ResolvedGeometry(b, xs, b.OutShape(0), b.attrs().Ints("kernel_shape"), &pad_end);
    const bool include_pad = kind == kernels::PoolKind::kAverage && b.attrs().Int("count_include_pad") != 0;
    const int threads = b.threads();
    auto layout = std::make_shared<const kernels::PoolLayout>(kernels::MakePoolLayout(kind, xs[0] * xs[1], g, pad_end, include_pad));
    if (b.InType(0) == DType::kI8)
      return BoundStep{.run = [layout](const StepArgs& a) { kernels::MaxPoolI8(*layout, a.In<int8_t>(0), a.Out<int8_t>(0)); }};
    if (b.InType(0) == DType::kU8)
      return BoundStep{.run = [layout](const StepArgs& a) { kernels::MaxPoolU8(*layout, a.In<uint8_t>(0), a.Out<uint8_t>(0)); }};
    const auto bytes = static_cast<int64_t>(kernels::PoolWorkspaceBytes(*layout, threads));
    return BoundStep{.run = [layout, threads, floats = static_cast<std::size_t>(bytes) / sizeof(float)](const StepArgs& a) {
                       kernels::PoolF32(*layout, a.In<float>(0), a.Out<float>(0), static_cast<float*>(a.workspace), floats,
                                        threads);
                     },
                     .workspace_bytes = bytes};
  };
}

BoundStep BindGlobalAveragePool(const BindContext& b) {
  const std::vector<int64_t>& xs = b.InShape(0);
  int64_t plane = 1;
  for (std::size_t i = 2; i < xs.size(); ++i) plane *= xs[i];
  const int64_t planes = xs[0] * xs[1];
  return BoundStep{.run = [planes, plane](const StepArgs& a) {
    kernels::GlobalAveragePoolF32(a.In<float>(0), a.Out<float>(0), planes, plane);
  }};
}

// MaxPoolGrad(dY, X) and AveragePoolGrad(dY, X): the forward window over X's shape, dY's
// shape the grid; AveragePoolGrad reads only X's shape.
BoundStep BindMaxPoolGrad(const BindContext& b) {
  const std::vector<int64_t>& xs = b.InShape(1);
  const kernels::WindowGeometry g = ResolvedGeometry(b, xs, b.InShape(0), b.attrs().Ints("kernel_shape"));
  const int64_t planes = xs[0] * xs[1];
  return BoundStep{.run = [g, planes](const StepArgs& a) {
    kernels::MaxPoolGradF32(g, planes, a.In<float>(1), a.In<float>(0), a.Out<float>(0));
  }};
}

BoundStep BindAveragePoolGrad(const BindContext& b) {
  const std::vector<int64_t>& xs = b.InShape(1);
  std::array<int64_t, 3> pad_end{};
  const kernels::WindowGeometry g = ResolvedGeometry(b, xs, b.InShape(0), b.attrs().Ints("kernel_shape"), &pad_end);
  auto layout = std::make_shared<const kernels::PoolLayout>(kernels::MakePoolLayout(
      kernels::PoolKind::kAverage, xs[0] * xs[1], g, pad_end, b.attrs().Int("count_include_pad") != 0));
  BoundStep step{.run = [layout](const StepArgs& a) { kernels::AveragePoolGradF32(*layout, a.In<float>(0), a.Out<float>(0)); }};
  step.shape_only_inputs = uint64_t{1} << 1;
  return step;
}

}  // namespace

AXON_ADAPTER(MaxPoolGrad, BindMaxPoolGrad);
AXON_ADAPTER(AveragePoolGrad, BindAveragePoolGrad);
AXON_ADAPTER(MaxPool, BindPool(kernels::PoolKind::kMax));
AXON_ADAPTER(AveragePool, BindPool(kernels::PoolKind::kAverage));
AXON_ADAPTER(GlobalAveragePool, BindGlobalAveragePool);

}  // namespace axon::runtime
