// Adapters of the elementwise math ops: one flat pass over the output's elements, in place when the
// input dies here. Attributes are read once, when the plan is made.
#include <limits>
#include <utility>

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
AXON_ADAPTER(Gelu, [](const BindContext& b) {
  return Flat(b.attrs().String("approximate") == "tanh" ? kernels::GeluTanh : kernels::Gelu)(b);
});
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
// bound is no bound. Their shapes hold one value and their dtype is the input's (the schema
// checked).
template <class T>
StepFn ClipRun(int64_t n, bool has_min, bool has_max) {
  return [n, has_min, has_max](const StepArgs& a) {
    using L = std::numeric_limits<T>;
    constexpr T kLowest = L::has_infinity ? -L::infinity() : L::lowest();
    constexpr T kHighest = L::has_infinity ? L::infinity() : L::max();
    const T lo = has_min ? *a.In<T>(1) : kLowest;
    const T hi = has_max ? *a.In<T>(2) : kHighest;
    kernels::Clip(a.In<T>(0), a.Out<T>(0), n, lo, hi);
  };
}

AXON_ADAPTER(Clip, [](const BindContext& b) {
  const int64_t n = b.OutElements(0);
  const bool has_min = b.HasIn(1), has_max = b.HasIn(2);
  StepFn run;
  switch (b.OutType(0)) {
    case DType::kI8: run = ClipRun<int8_t>(n, has_min, has_max); break;
    case DType::kU8: run = ClipRun<uint8_t>(n, has_min, has_max); break;
    case DType::kI32: run = ClipRun<int32_t>(n, has_min, has_max); break;
    case DType::kI64: run = ClipRun<int64_t>(n, has_min, has_max); break;
    default: run = ClipRun<float>(n, has_min, has_max); break;
  }
  return BoundStep{.run = std::move(run), .in_place_input = 0};
});

}  // namespace axon::runtime
