// Adapters of the comparisons, Not and Where: the broadcast layout is made once per plan; the
// element type picks the kernel instantiation.
#include "runtime/adapter.h"
#include "runtime/dtype_dispatch.h"
#include "runtime/kernels/compare.h"

namespace axon::runtime {
namespace {

AdapterFn Comparison(kernels::CompareOp op) {
  return [op](const BindContext& b) {
    const kernels::BroadcastLayout layout = kernels::MakeBroadcastLayout({b.InShape(0), b.InShape(1)}, b.OutShape(0));
    return WithElementType(b.InType(0), [&](auto t) {
      using T = decltype(t);
      return BoundStep{.run = [op, layout](const StepArgs& a) {
        kernels::Compare<T>(op, layout, a.In<T>(0), a.In<T>(1), a.Out<uint8_t>(0));
      }};
    });
  };
}

}  // namespace

AXON_ADAPTER(Equal, Comparison(kernels::CompareOp::kEqual));
AXON_ADAPTER(Less, Comparison(kernels::CompareOp::kLess));
AXON_ADAPTER(Greater, Comparison(kernels::CompareOp::kGreater));

AXON_ADAPTER(Not, [](const BindContext& b) {
  const int64_t n = b.OutElements(0);
  return BoundStep{.run = [n](const StepArgs& a) { kernels::LogicalNot(a.In<uint8_t>(0), a.Out<uint8_t>(0), n); },
                   .in_place_input = 0};
});

AXON_ADAPTER(Where, [](const BindContext& b) {
  const kernels::BroadcastLayout layout =
      kernels::MakeBroadcastLayout({b.InShape(0), b.InShape(1), b.InShape(2)}, b.OutShape(0));
  const std::size_t esize = DTypeSize(b.OutType(0));
  return BoundStep{.run = [layout, esize](const StepArgs& a) {
    kernels::Select(layout, esize, a.In<uint8_t>(0), a.in[1], a.in[2], a.out[0]);
  }};
});

}  // namespace axon::runtime
