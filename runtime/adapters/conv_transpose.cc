// Adapter of ConvTranspose: pads resolved by the rule the schema used (window.h), the kernel's
// col2im geometry laid out once per plan. A constant W is transposed once per session into the
// GEMM's A layout and then read only in that form (its own bytes are released).
#include "graph/ops/window.h"
#include "runtime/adapter.h"
#include "runtime/kernels/conv_transpose.h"

namespace axon::runtime {
namespace {

constexpr int kTransposedWeightsKey = 0;

BoundStep BindConvTranspose(const BindContext& b) {
  const std::vector<int64_t>& xs = b.InShape(0);
  const std::vector<int64_t>& ws = b.InShape(1);
  const std::vector<int64_t>& ys = b.OutShape(0);
  const auto spatial = static_cast<int64_t>(xs.size()) - 2;
  if (spatial < 1 || spatial > 3)
    throw Error(ErrorCode::kUnsupported,
                b.node().Describe() + ": " + std::to_string(spatial) + " spatial dims are not supported (1 to 3 are)");
  const graph::WindowFail fail = [&b](const std::string& message) {
    throw Error(ErrorCode::kInvalidModel, b.node().Describe() + ": " + message);
  };
  const graph::TransposedWindow t = graph::ReadTransposedWindow(b.attrs(), std::vector<int64_t>(ws.begin() + 2, ws.end()), fail);
  kernels::ConvTransposeShape s;
  s.batch = xs[0], s.in_channels = xs[1], s.out_channels = ys[1], s.group = b.attrs().Int("group");
  for (int64_t i = 0; i < spatial; ++i) {
    const auto at = static_cast<std::size_t>(3 - spatial + i), src = static_cast<std::size_t>(i);
    s.window.in[at] = ys[src + 2];
    s.window.out[at] = xs[src + 2];
    s.window.kernel[at] = t.window.kernel[src];
    s.window.stride[at] = t.window.strides[src];
    s.window.dilation[at] = t.window.dilations[src];
    s.window.pad[at] = graph::ResolveTransposedDim(t, i, xs[src + 2], fail).pad_begin;
  }
  // W's transpose depends on W's shape and the group alone, never on the planned shapes.
  Prepared<float> prepared;
  if (b.IsConstant(1)) {
    const Tensor* w = b.Constant(1);  // null once released: the prepared form exists already
    kernels::ConvTransposeShape weights = s;
    prepared = b.Prepare<float>(kTransposedWeightsKey, {1}, [w, weights] {
      return kernels::PrepareConvTransposeWeights(weights, w->data<float>());
    });
  }
  const int threads = b.threads();
  const kernels::ConvTransposeLayout layout = kernels::MakeConvTransposeLayout(s, prepared.get() != nullptr, threads);
  const auto bytes = static_cast<int64_t>(kernels::ConvTransposeWorkspaceBytes(layout, threads));
  const bool has_bias = b.HasIn(2);
  return BoundStep{.run = [layout, prepared, has_bias, threads, floats = static_cast<std::size_t>(bytes) / sizeof(float)](
                              const StepArgs& a) {
                     const float* w = prepared.get() ? prepared.get() : a.In<float>(1);
                     kernels::ConvTransposeF32(layout, a.In<float>(0), w, has_bias ? a.In<float>(2) : nullptr,
                                               a.Out<float>(0), static_cast<float*>(a.workspace), floats, threads);
                   },
                   .workspace_bytes = bytes,
                   .prepared_only = prepared.get() ? uint64_t{1} << 1 : 0};
}

}  // namespace

AXON_ADAPTER(ConvTranspose, BindConvTranspose);

}  // namespace axon::runtime
