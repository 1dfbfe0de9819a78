// Adapters of the elementwise math ops: one flat pass over the output's elements, in place when the
// input dies here. Attributes are read once, when the plan is made.
#include <limits>

#include "runtime/adapter.h"
#include "runtime/kernels/activation.h"
#include "runtime/kernels/unary.h"

namespace axon::runtime {
namespace {

using UnaryFn = void (*)(const float*, float*, int64_t);

AdapterFn Flat(UnaryFn fn) {
  return [fn](const BindContext& b) {
    const int64_t n = b.OutElements(0);
    return BoundStep{.run = [fn, n](const StepArgs& a) { fn(a.In<float>(0), a.Out<float>(0), n); },
                     .in_place_input = 0};
  };
}

}  // namespace

AXON_ADAPTER(Exp, Flat(kernels::Exp));
AXON_ADAPTER(Log, Flat(kernels::Log));
AXON_ADAPTER(Sqrt, Flat(kernels::Sqrt));
AXON_ADAPTER(Neg, Flat(kernels::Neg));
AXON_ADAPTER(Abs, Flat(kernels::Abs));
AXON_ADAPTER(Erf, Flat(kernels::Erf));
AXON_ADAPTER(Reciprocal, Flat(kernels::Reciprocal));
AXON_ADAPTER(Softplus, Flat(kernels::Softplus));
AXON_ADAPTER(HardSwish, Flat(kernels::HardSwish));

AXON_ADAPTER(LeakyRelu, [](const BindContext& b) {
  const int64_t n = b.OutElements(0);
  const float alpha = b.attrs().Float("alpha");
  return BoundStep{.run = [n, alpha](const StepArgs& a) { kernels::LeakyRelu(a.In<float>(0), a.Out<float>(0), n, alpha); },
                   .in_place_input = 0};
});

AXON_ADAPTER(Elu, [](const BindContext& b) {
  const int64_t n = b.OutElements(0);
  const float alpha = b.attrs().Float("alpha");
  return BoundStep{.run = [n, alpha](const StepArgs& a) { kernels::Elu(a.In<float>(0), a.Out<float>(0), n, alpha); },
                   .in_place_input = 0};
});

AXON_ADAPTER(Selu, [](const BindContext& b) {
  const int64_t n = b.OutElements(0);
  const float alpha = b.attrs().Float("alpha"), gamma = b.attrs().Float("gamma");
  return BoundStep{
      .run = [n, alpha, gamma](const StepArgs& a) { kernels::Selu(a.In<float>(0), a.Out<float>(0), n, alpha, gamma); },
      .in_place_input = 0};
});

AXON_ADAPTER(HardSigmoid, [](const BindContext& b) {
  const int64_t n = b.OutElements(0);
  const float alpha = b.attrs().Float("alpha"), beta = b.attrs().Float("beta");
  return BoundStep{.run = [n, alpha, beta](
                              const StepArgs& a) { kernels::HardSigmoid(a.In<float>(0), a.Out<float>(0), n, alpha, beta); },
                   .in_place_input = 0};
});

// min and max are read on every run: they may be graph inputs rather than constants. An omitted
// bound is no bound. Their shapes hold one value (the schema checked).
AXON_ADAPTER(Clip, [](const BindContext& b) {
  const int64_t n = b.OutElements(0);
  const bool has_min = b.HasIn(1), has_max = b.HasIn(2);
  return BoundStep{.run =
                       [n, has_min, has_max](const StepArgs& a) {
                         constexpr float kInf = std::numeric_limits<float>::infinity();
                         const float lo = has_min ? *a.In<float>(1) : -kInf;
                         const float hi = has_max ? *a.In<float>(2) : kInf;
                         kernels::Clip(a.In<float>(0), a.Out<float>(0), n, lo, hi);
                       },
                   .in_place_input = 0};
});

}  // namespace axon::runtime
