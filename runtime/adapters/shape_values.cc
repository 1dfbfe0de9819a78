// Adapters of Shape, ConstantOfShape, Expand and Range. Their output shapes were fixed when the
// plan was made; what a step still needs is captured here (Shape's dims, the fill value, the
// broadcast layout), except Range's start and delta, which a run reads from its inputs (they may
// be graph inputs, whose values only the plan's key holds).
#include <array>
#include <cstring>
#include <vector>

#include "graph/ops/shape_values.h"
#include "runtime/adapter.h"
#include "runtime/dtype_dispatch.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/fill.h"

namespace axon::runtime {

AXON_ADAPTER(Shape, [](const BindContext& b) {
  const std::vector<int64_t>& in = b.InShape(0);
  const auto [start, end] = graph::ShapeOpRange(b.attrs(), static_cast<int64_t>(in.size()));
  std::vector<int64_t> dims(in.begin() + start, in.begin() + end);
  // The dims are the planned shape's: the input's bytes are never read, so a plan can compute a
  // shape from a tensor that does not exist yet (PyTorch's Shape -> Gather -> Concat -> Reshape).
  return BoundStep{.run = [dims = std::move(dims)](const StepArgs& a) {
                     if (!dims.empty()) std::memcpy(a.Out<int64_t>(0), dims.data(), dims.size() * sizeof(int64_t));
                   },
                   .shape_only_inputs = 1};
});

AXON_ADAPTER(ConstantOfShape, [](const BindContext& b) {
  const Tensor& value = b.attrs().TensorValue("value");  // one element (the schema checked)
  std::array<char, 8> bytes{};
  const std::size_t esize = DTypeSize(value.dtype());
  std::memcpy(bytes.data(), value.raw_data(), esize);
  const int64_t n = b.OutElements(0);
  return BoundStep{.run = [bytes, esize, n](const StepArgs& a) { kernels::Fill(a.out[0], n, bytes.data(), esize); }};
});

AXON_ADAPTER(Expand, [](const BindContext& b) {
  if (b.InShape(0) == b.OutShape(0)) return AliasOf(0);  // nothing to broadcast
  const kernels::BroadcastLayout layout = kernels::MakeBroadcastLayout({b.InShape(0)}, b.OutShape(0));
  const std::size_t esize = DTypeSize(b.InType(0));
  return BoundStep{.run = [layout, esize](const StepArgs& a) { kernels::BroadcastCopy(layout, esize, a.in[0], a.out[0]); }};
});

AXON_ADAPTER(Range, [](const BindContext& b) {
  const int64_t n = b.OutElements(0);
  return WithElementType(b.OutType(0), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, int64_t> || std::is_same_v<T, int32_t>) {
      return BoundStep{.run = [n](const StepArgs& a) { kernels::Range<T>(*a.In<T>(0), *a.In<T>(2), a.Out<T>(0), n); }};
    } else {
      throw Error(ErrorCode::kInternal, "Range of dtype " + std::string(DTypeName(b.OutType(0))));
      return BoundStep{};
    }
  });
});

}  // namespace axon::runtime
