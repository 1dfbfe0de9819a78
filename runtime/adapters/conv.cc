// Adapter of Conv: the window (pads resolved from auto_pad) comes from the same rule the schema
// inferred the output shape with (graph/ops/window.h), laid out as the kernel's 3-D geometry;
// the kernel path and its scratch are chosen once per plan. W is the GEMM's A, read in place in
// its stored [M, C/group·k] layout, so a constant W needs no prepared copy, except for the
// Winograd path (3×3 stride-1 convolutions), which reads W's transform, prepared once from a
// constant W, and W itself too (to recompute blocks whose results are not finite), so W is kept;
// and for small images (7×7, 14×14), whose GEMMs read the weights' transpose packed, prepared once
// (kernels/conv.h; on the Winograd path instead of W's transform); W is kept there too, as another
// plan of the node (a larger image) reads it, except for large weights, which every plan reads
// transposed (TransposedWeightsReplaceW): the session releases W itself.
#include "graph/ops/window.h"
#include "runtime/adapter.h"
#include "runtime/adapters/window_geometry.h"
#include "runtime/kernels/conv.h"

namespace axon::runtime {
namespace {

constexpr int kWinogradWeightsKey = 0, kWeightsTKey = 1;

BoundStep BindConv(const BindContext& b) {
  const std::vector<int64_t>& xs = b.InShape(0);
  const std::vector<int64_t>& ws = b.InShape(1);
  kernels::ConvShape s;
  s.batch = xs[0], s.in_channels = xs[1], s.out_channels = ws[0], s.group = b.attrs().Int("group");
  s.window = ResolvedGeometry(b, xs, b.OutShape(0), std::vector<int64_t>(ws.begin() + 2, ws.end()));
  const int threads = b.threads();
  const bool constant_w = b.IsConstant(1) && b.InType(1) == DType::kF32;
  kernels::ConvLayout layout = kernels::MakeConvLayout(s, threads, constant_w, constant_w);
  // Small images take the weights' packed transpose (kernels/conv.h), the Winograd path then in
  // place of U: each plan prepares the form it reads (the node's larger images would read U).
  Prepared<kernels::ConvWeightsT> weights_t;
  if (layout.transposed_weights) {
    const Tensor* w = b.Constant(1);
    weights_t = b.Prepare<kernels::ConvWeightsT>(kWeightsTKey, {1}, [w, layout] { return kernels::PackConvWeightsT(layout, w->data<float>()); });
  }
  Prepared<float> winograd;
  if (layout.path == kernels::ConvPath::kWinograd && !layout.transposed_weights) {
    const Tensor* w = b.Constant(1);
    const int64_t m = s.out_channels, c = s.in_channels;
    winograd = b.Prepare<float>(kWinogradWeightsKey, {1}, [w, m, c] {
      std::shared_ptr<float[]> u(new float[kernels::WinogradWeightFloats(m, c)]);
      kernels::WinogradWeights(w->data<float>(), m, c, u.get());
      return std::shared_ptr<const float>(u, u.get());
    });
  }
  if (b.attrs().Has("activation")) {  // FusedConv
    const std::string& act = b.attrs().String("activation");
    layout.activation = act == "Relu"      ? kernels::Activation::kRelu
                        : act == "Sigmoid" ? kernels::Activation::kSigmoid
                        : act == "Tanh"    ? kernels::Activation::kTanh
                        : act == "Relu6"   ? kernels::Activation::kRelu6
                                           : kernels::Activation::kNone;
  }
  const auto bytes = static_cast<int64_t>(kernels::ConvWorkspaceBytes(layout, threads));
  const bool has_bias = b.HasIn(2), has_residual = b.HasIn(3);  // R: FusedConv's residual
  return BoundStep{.run = [layout, winograd, weights_t, has_bias, has_residual, threads,
                          floats = static_cast<std::size_t>(bytes) / sizeof(float)](const StepArgs& a) {
                     kernels::ConvF32(layout, a.In<float>(0), a.In<float>(1), has_bias ? a.In<float>(2) : nullptr,
                                      a.Out<float>(0), static_cast<float*>(a.workspace), floats, threads,
                                      has_residual ? a.In<float>(3) : nullptr, winograd.get(), weights_t.get());
                   },
                   .workspace_bytes = bytes,
                   // W itself goes where every plan reads only its packed transpose.
                   .prepared_only = constant_w && kernels::TransposedWeightsReplaceW(s) ? uint64_t{1} << 1 : 0};
}

}  // namespace

AXON_ADAPTER(Conv, BindConv);
AXON_ADAPTER(FusedConv, BindConv);

}  // namespace axon::runtime
