// SGD and Adam/AdamW updates: one pass over the parameter, each vector of x, g and state loaded
// once, updated in registers and stored (the update is memory-bound: 3 to 4 streams in, 2 to 3
// out). The mapping to ATen's operations is spelled out beside each line; see optimizer.h.

#include "runtime/kernels/optimizer.h"

#include <charconv>
#include <cmath>

#include "runtime/kernels/flat_blocks.h"

// The per-call scalars, rounded to float once on the host; defined once, outside the per-target
// code that foreach_target.h compiles several times.
#ifndef AXON_RUNTIME_KERNELS_OPTIMIZER_SCALARS_
#define AXON_RUNTIME_KERNELS_OPTIMIZER_SCALARS_
namespace axon::kernels::detail {
struct SgdScalars {
  float weight_decay, momentum, keep, neg_lr;  // keep = 1 - dampening
  bool decay, has_momentum, first_step, nesterov;
};
struct AdamScalars {
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float l2;            // Adam's weight decay, added to the gradient
  float decay_factor;  // AdamW's 1 - lr * weight_decay, applied to x first
  float bias_correction2_sqrt, epsilon, neg_step_size;
  bool l2_decay, decoupled_decay;
};
}  // namespace axon::kernels::detail
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/optimizer.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

// A whole vector, or the last count < Lanes(d) elements through the tail buffer: the same vector
// code computes both, so an element's result does not depend on where it falls.
template <bool kFull, class D>
HWY_INLINE hn::Vec<D> Load(D d, const float* p, std::size_t count) {
  if constexpr (kFull) return hn::LoadU(d, p);
  else return LoadTail(d, p, count);
}
template <bool kFull, class D>
HWY_INLINE void Store(D d, hn::Vec<D> v, float* p, std::size_t count) {
  if constexpr (kFull) hn::StoreU(v, d, p);
  else StoreTail(d, v, p, count);
}

// Every load of a chunk comes before its first store, so outputs may alias inputs.
template <bool kFull, class D>
HWY_INLINE void SgdChunk(D d, const detail::SgdScalars& s, const float* x, const float* g, const float* v, float* x_new,
                         float* v_new, std::size_t count) {
  const auto xv = Load<kFull>(d, x, count);
  auto dp = Load<kFull>(d, g, count);
  if (s.decay) dp = hn::MulAdd(xv, hn::Set(d, s.weight_decay), dp);  // d_p = d_p.add(param, alpha=wd)
  if (s.has_momentum) {
    const auto momentum = hn::Set(d, s.momentum);
    // Step 1: buf = clone(d_p); later: buf.mul_(momentum).add_(d_p, alpha=1 - dampening).
    const auto buf = s.first_step ? dp : hn::MulAdd(dp, hn::Set(d, s.keep), hn::Mul(Load<kFull>(d, v, count), momentum));
    Store<kFull>(d, buf, v_new, count);
    dp = s.nesterov ? hn::MulAdd(buf, momentum, dp) : buf;  // d_p.add(buf, alpha=momentum), or buf
  }
  Store<kFull>(d, hn::MulAdd(dp, hn::Set(d, s.neg_lr), xv), x_new, count);  // param.add_(d_p, alpha=-lr)
}

void SgdBlockF32(const detail::SgdScalars& s, const float* x, const float* g, const float* v, float* x_new,
                 float* v_new, int64_t n) {
  const hn::ScalableTag<float> d;
  const std::size_t N = hn::Lanes(d), count = static_cast<std::size_t>(n);
  std::size_t i = 0;
  const bool state = s.has_momentum;
  for (; i + N <= count; i += N)
    SgdChunk<true>(d, s, x + i, g + i, state ? v + i : nullptr, x_new + i, state ? v_new + i : nullptr, N);
  if (i < count)
    SgdChunk<false>(d, s, x + i, g + i, state ? v + i : nullptr, x_new + i, state ? v_new + i : nullptr, count - i);
}

template <bool kFull, class D>
HWY_INLINE void AdamChunk(D d, const detail::AdamScalars& s, const float* x, const float* g, const float* m,
                          const float* v, float* x_new, float* m_new, float* v_new, std::size_t count) {
  auto xv = Load<kFull>(d, x, count);
  auto gv = Load<kFull>(d, g, count);
  auto mv = Load<kFull>(d, m, count);
  auto vv = Load<kFull>(d, v, count);
  if (s.decoupled_decay) xv = hn::Mul(xv, hn::Set(d, s.decay_factor));  // param.mul_(1 - lr * wd)
  if (s.l2_decay) gv = hn::MulAdd(xv, hn::Set(d, s.l2), gv);            // grad.add(param, alpha=wd)
  // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
  mv = hn::MulAdd(gv, hn::Set(d, s.one_minus_beta1), hn::Mul(mv, hn::Set(d, s.beta1)));
  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2): ATen's addcmul rounds value * t1,
  // then fuses the multiply by t2 with the add (checked bit for bit against PyTorch 1.13, AVX2).
  vv = hn::MulAdd(hn::Mul(hn::Set(d, s.one_minus_beta2), gv), gv, hn::Mul(vv, hn::Set(d, s.beta2)));
  // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
  const auto denom = hn::Add(hn::Div(hn::Sqrt(vv), hn::Set(d, s.bias_correction2_sqrt)), hn::Set(d, s.epsilon));
  // param.addcdiv_(exp_avg, denom, value=-step_size): self + (value * t1) / t2, unfused (as ATen)
  xv = hn::Add(xv, hn::Div(hn::Mul(hn::Set(d, s.neg_step_size), mv), denom));
  Store<kFull>(d, xv, x_new, count);
  Store<kFull>(d, mv, m_new, count);
  Store<kFull>(d, vv, v_new, count);
}

void AdamBlockF32(const detail::AdamScalars& s, const float* x, const float* g, const float* m, const float* v,
                  float* x_new, float* m_new, float* v_new, int64_t n) {
  const hn::ScalableTag<float> d;
  const std::size_t N = hn::Lanes(d), count = static_cast<std::size_t>(n);
  std::size_t i = 0;
  for (; i + N <= count; i += N) AdamChunk<true>(d, s, x + i, g + i, m + i, v + i, x_new + i, m_new + i, v_new + i, N);
  if (i < count)
    AdamChunk<false>(d, s, x + i, g + i, m + i, v + i, x_new + i, m_new + i, v_new + i, count - i);
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(SgdBlockF32);
HWY_EXPORT(AdamBlockF32);

double DecimalValue(float f) {
  if (!std::isfinite(f)) return f;
  char text[32];
  const std::to_chars_result printed = std::to_chars(text, text + sizeof text, f);  // shortest round trip
  double value = f;
  std::from_chars(text, printed.ptr, value);
  return value;
}

void SgdF32(const SgdConfig& c, double lr, int64_t step, const float* x, const float* g, const float* v, float* x_new,
            float* v_new, int64_t n) {
  // Python computes 1 - dampening and -lr in double; ATen rounds each scalar to float.
  const detail::SgdScalars s{.weight_decay = static_cast<float>(c.weight_decay),
                             .momentum = static_cast<float>(c.momentum),
                             .keep = static_cast<float>(1 - c.dampening),
                             .neg_lr = static_cast<float>(-lr),
                             .decay = c.weight_decay != 0,
                             .has_momentum = c.momentum != 0,
                             .first_step = step <= 1,
                             .nesterov = c.nesterov};
  const auto fn = HWY_DYNAMIC_DISPATCH(SgdBlockF32);
  ForEachFlatBlock(n, [&](int64_t begin, int64_t end) {
    fn(s, x + begin, g + begin, s.has_momentum ? v + begin : nullptr, x_new + begin,
       s.has_momentum ? v_new + begin : nullptr, end - begin);
  });
}

void AdamF32(const AdamConfig& c, double lr, int64_t step, const float* x, const float* g, const float* m,
             const float* v, float* x_new, float* m_new, float* v_new, int64_t n) {
  // As _single_tensor_adam(w): bias corrections and step size in double (Python floats).
  const double steps = static_cast<double>(step);
  const double bias_correction1 = 1 - std::pow(c.beta1, steps), bias_correction2 = 1 - std::pow(c.beta2, steps);
  const double step_size = lr / bias_correction1;
  const detail::AdamScalars s{.beta1 = static_cast<float>(c.beta1),
                              .one_minus_beta1 = static_cast<float>(1 - c.beta1),
                              .beta2 = static_cast<float>(c.beta2),
                              .one_minus_beta2 = static_cast<float>(1 - c.beta2),
                              .l2 = static_cast<float>(c.weight_decay),
                              .decay_factor = static_cast<float>(1 - lr * c.weight_decay),
                              .bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2)),
                              .epsilon = static_cast<float>(c.epsilon),
                              .neg_step_size = static_cast<float>(-step_size),
                              .l2_decay = !c.decoupled && c.weight_decay != 0,
                              .decoupled_decay = c.decoupled && c.weight_decay != 0};
  const auto fn = HWY_DYNAMIC_DISPATCH(AdamBlockF32);
  ForEachFlatBlock(n, [&](int64_t begin, int64_t end) {
    fn(s, x + begin, g + begin, m + begin, v + begin, x_new + begin, m_new + begin, v_new + begin, end - begin);
  });
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
