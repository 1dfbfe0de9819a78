// Activations: one Highway functor per function (activation-inl.h), applied by TransformF32. The wrappers below
// split large arrays into fixed blocks for ParallelFor; each element's result depends only on
// its input, so blocks and thread count never change the output.

#include "runtime/kernels/activation.h"

#include "runtime/kernels/flat_blocks.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/activation.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/activation-inl.h"
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

template <class Op>
HWY_INLINE void Apply(const float* x, float* y, int64_t n) {
  const hn::ScalableTag<float> d;
  TransformF32(d, x, y, static_cast<std::size_t>(n), Op());
}

void ReluF32(const float* x, float* y, int64_t n) { Apply<ReluOp>(x, y, n); }
void SigmoidF32(const float* x, float* y, int64_t n) { Apply<SigmoidOp>(x, y, n); }
void TanhF32(const float* x, float* y, int64_t n) { Apply<TanhOp>(x, y, n); }
void ExpF32(const float* x, float* y, int64_t n) { Apply<ExpOp>(x, y, n); }

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(ReluF32);
HWY_EXPORT(SigmoidF32);
HWY_EXPORT(TanhF32);
HWY_EXPORT(ExpF32);

namespace {

using UnaryFn = void (*)(const float*, float*, int64_t);

void RunBlocked(UnaryFn fn, const float* x, float* y, int64_t n) {
  ForEachFlatBlock(n, [&](int64_t begin, int64_t end) { fn(x + begin, y + begin, end - begin); });
}

}  // namespace

// The dispatch-table lookup happens inside each block, never outside a HWY_DYNAMIC_DISPATCH:
// the table entry is a plain function pointer, so no vector type crosses this boundary.
void Relu(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(ReluF32), x, y, n); }
void Sigmoid(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(SigmoidF32), x, y, n); }
void Tanh(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(TanhF32), x, y, n); }
void Exp(const float* x, float* y, int64_t n) { RunBlocked(HWY_DYNAMIC_DISPATCH(ExpF32), x, y, n); }

}  // namespace axon::kernels
#endif  // HWY_ONCE
