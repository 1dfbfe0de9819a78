// Adapters of the elementwise activations: one flat pass over the output's elements, in place
// when the input dies here.
#include "runtime/adapter.h"
#include "runtime/kernels/activation.h"

namespace axon::runtime {
namespace {

using UnaryFn = void (*)(const float*, float*, int64_t);

AdapterFn Unary(UnaryFn fn) {
  return [fn](const BindContext& b) {
    const int64_t n = b.OutElements(0);
    return BoundStep{.run = [fn, n](const StepArgs& a) { fn(a.In<float>(0), a.Out<float>(0), n); },
                     .in_place_input = 0};
  };
}

}  // namespace

AXON_ADAPTER(Relu, Unary(kernels::Relu));
AXON_ADAPTER(Sigmoid, Unary(kernels::Sigmoid));
AXON_ADAPTER(Tanh, Unary(kernels::Tanh));

}  // namespace axon::runtime
