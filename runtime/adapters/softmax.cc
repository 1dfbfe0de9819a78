// Adapters of Softmax and LogSoftmax: the axis (attribute and default from the schema) splits the
// planned shape into [outer, axis, inner] once.
#include "runtime/adapter.h"
#include "runtime/kernels/softmax.h"

namespace axon::runtime {
namespace {

using SoftmaxFn = void (*)(const float*, float*, int64_t, int64_t, int64_t);

AdapterFn AlongAxis(SoftmaxFn fn) {
  return [fn](const BindContext& b) {
    const std::vector<int64_t>& shape = b.InShape(0);
    const auto rank = static_cast<int64_t>(shape.size());
    const int64_t axis = graph::NormalizeAxis(b.attrs().Int("axis"), rank).value();  // the schema checked it
    int64_t outer = 1, len = rank ? shape[static_cast<std::size_t>(axis)] : 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= shape[static_cast<std::size_t>(i)];
    for (int64_t i = axis + 1; i < rank; ++i) inner *= shape[static_cast<std::size_t>(i)];
    return BoundStep{.run = [fn, outer, len, inner](const StepArgs& a) {
                       fn(a.In<float>(0), a.Out<float>(0), outer, len, inner);
                     },
                     .in_place_input = 0};
  };
}

}  // namespace

AXON_ADAPTER(Softmax, AlongAxis(kernels::SoftmaxF32));
AXON_ADAPTER(LogSoftmax, AlongAxis(kernels::LogSoftmaxF32));

}  // namespace axon::runtime
