// Loss kernels. Pointwise losses are Highway functors over (x, t) pairs, applied over the fixed
// blocks of flat_blocks.h. Softmax cross-entropy is one fused pass per sample on the softmax
// building blocks (softmax-inl.h): rows when the classes are the innermost dim (inner == 1, the
// [N, C] case of every classifier), else vectors across adjacent samples walking the strided class
// axis, as the Softmax kernel does. Negative log-likelihood only gathers (or scatters) one value a
// sample, which is scalar work.

#include "runtime/kernels/loss.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "runtime/kernels/flat_blocks.h"
#include "runtime/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/loss.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>
#include "runtime/kernels/activation-inl.h"
#include "runtime/kernels/reduce-inl.h"
#include "runtime/kernels/simd-inl.h"
#include "runtime/kernels/softmax-inl.h"
#include "runtime/kernels/unary-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

// max(v, lo) that keeps NaN a NaN, as std::max(NaN, lo) does in PyTorch's kernels (x86 MAXPS
// would return lo on some targets).
template <class D, class V>
HWY_INLINE V AtLeast(D d, V v, float lo) {
  const V vlo = hn::Set(d, lo);
  return hn::IfThenElse(hn::Lt(v, vlo), vlo, v);
}

struct MseLoss {
  template <class D, class V>
  HWY_INLINE V Loss(D, V x, V t) const {
    const V e = hn::Sub(x, t);
    return hn::Mul(e, e);
  }
  template <class D, class V>
  HWY_INLINE V Grad(D d, V x, V t, V g) const { return hn::Mul(hn::Sub(x, t), hn::Mul(hn::Set(d, 2.0f), g)); }
};

// PyTorch 1.13's CPU formula: (t - 1)·max(log1p(-x), -100) - t·max(log(x), -100). Highway's
// Log1p is finite (not -inf) at -1, so x = 1 is set apart, and x > 1 (outside the domain) is NaN.
struct BceLoss {
  template <class D, class V>
  HWY_INLINE V Loss(D d, V x, V t) const {
    const V one = hn::Set(d, 1.0f), floor = hn::Set(d, -100.0f);
    const V log_x = AtLeast(d, LogOp()(d, x), -100.0f);
    V log_1mx = AtLeast(d, hn::Log1p(d, hn::Neg(x)), -100.0f);
    log_1mx = hn::IfThenElse(hn::Eq(x, one), floor, log_1mx);
    log_1mx = hn::IfThenElse(hn::Or(hn::Gt(x, one), hn::IsNaN(x)), hn::NaN(d), log_1mx);
    return hn::Sub(hn::Mul(hn::Sub(t, one), log_1mx), hn::Mul(t, log_x));
  }
  // (x - t) / max((1 - x)·x, 1e-12): PyTorch's clamp keeps x = 0 or 1 finite.
  template <class D, class V>
  HWY_INLINE V Grad(D d, V x, V t, V g) const {
    const V denom = AtLeast(d, hn::Mul(hn::Sub(hn::Set(d, 1.0f), x), x), 1e-12f);
    return hn::Mul(hn::Div(hn::Sub(x, t), denom), g);
  }
};

// softplus(x) - x·t = max(x, 0) - x·t + log1p(exp(-|x|)): exp never sees a positive argument.
struct BceWithLogitsLoss {
  template <class D, class V>
  HWY_INLINE V Loss(D d, V x, V t) const { return hn::Sub(SoftplusOp()(d, x), hn::Mul(x, t)); }
  template <class D, class V>
  HWY_INLINE V Grad(D d, V x, V t, V g) const { return hn::Mul(hn::Sub(SigmoidOp()(d, x), t), g); }
};

template <class Op>
HWY_INLINE void LossBlock(const float* x, const float* t, float* y, int64_t n) {
  const hn::ScalableTag<float> d;
  const auto N = static_cast<int64_t>(hn::Lanes(d));
  const Op op;
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(op.Loss(d, hn::LoadU(d, x + i), hn::LoadU(d, t + i)), d, y + i);
  if (i < n) {
    const auto count = static_cast<std::size_t>(n - i);
    StoreTail(d, op.Loss(d, LoadTail(d, x + i, count), LoadTail(d, t + i, count)), y + i, count);
  }
}

// g is dy[i] per element when dy is given, else the scalar g.
template <class Op>
HWY_INLINE void GradBlock(const float* dy, float g, const float* x, const float* t, float* dx, int64_t n) {
  const hn::ScalableTag<float> d;
  const auto N = static_cast<int64_t>(hn::Lanes(d));
  const Op op;
  const auto vg = hn::Set(d, g);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    const auto gi = dy ? hn::LoadU(d, dy + i) : vg;
    hn::StoreU(op.Grad(d, hn::LoadU(d, x + i), hn::LoadU(d, t + i), gi), d, dx + i);
  }
  if (i < n) {
    const auto count = static_cast<std::size_t>(n - i);
    const auto gi = dy ? LoadTail(d, dy + i, count) : vg;
    StoreTail(d, op.Grad(d, LoadTail(d, x + i, count), LoadTail(d, t + i, count), gi), dx + i, count);
  }
}

// The pairwise sum of v[0, n) (reduce-inl.h), serial: a loss's per-element values are few next to
// the work that made them, and one thread's tree gives the same bits on any thread count.
float SumF32(const float* v, int64_t n) {
  const hn::ScalableTag<float> d;
  return CombineLanes<SumOp<float>>(d, ContigReduce<SumOp<float>>(d, v, n));
}

void PointwiseLossBlockF32(PointwiseLoss loss, const float* x, const float* t, float* y, int64_t n) {
  switch (loss) {
    case PointwiseLoss::kMSE: return LossBlock<MseLoss>(x, t, y, n);
    case PointwiseLoss::kBCE: return LossBlock<BceLoss>(x, t, y, n);
    case PointwiseLoss::kBCEWithLogits: return LossBlock<BceWithLogitsLoss>(x, t, y, n);
  }
}

void PointwiseGradBlockF32(PointwiseLoss loss, const float* dy, float g, const float* x, const float* t, float* dx,
                           int64_t n) {
  switch (loss) {
    case PointwiseLoss::kMSE: return GradBlock<MseLoss>(dy, g, x, t, dx, n);
    case PointwiseLoss::kBCE: return GradBlock<BceLoss>(dy, g, x, t, dx, n);
    case PointwiseLoss::kBCEWithLogits: return GradBlock<BceWithLogitsLoss>(dy, g, x, t, dx, n);
  }
}

// --- softmax cross-entropy -----------------------------------------------------------------------

// Rows [r0, r1) of [batch, classes] (inner == 1, classes >= 1). The label's term is taken as
// log_sum - (x[label] - max), so a confident right answer gives a loss near 0 without the
// cancellation of (max + log_sum) - x[label].
void SceRowsF32(const ClassLossLayout& l, const float* scores, const void* labels, const float* weights,
                float* sample_loss, float* log_prob, int64_t r0, int64_t r1) {
  const hn::ScalableTag<float> d;
  const int64_t C = l.classes;
  for (int64_t r = r0; r < r1; ++r) {
    const float* x = scores + r * C;
    const float max = RowMax(d, x, C);
    const float log_sum = std::log(RowSumExp<false>(d, x, nullptr, C, max));
    if (log_prob) SubtractLogSum(d, x, log_prob + r * C, C, max, log_sum);
    int64_t label;
    const float w = SampleWeight(l, labels, weights, r, &label);
    sample_loss[r] = label < 0 ? 0.0f : w * (log_sum - (x[label] - max));
  }
}

// Work items are (batch index, block of cols_per_item samples along inner), batch-major; lanes
// are adjacent samples, each walking the class axis with stride inner.
void SceColumnsF32(const ClassLossLayout& l, const float* scores, const void* labels, const float* weights,
                   float* sample_loss, float* log_prob, int64_t cols_per_item, int64_t item_begin,
                   int64_t item_end) {
  const hn::ScalableTag<float> d;
  const auto N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t C = l.classes, inner = l.inner;
  const int64_t items_per_slab = (inner + cols_per_item - 1) / cols_per_item;
  HWY_ALIGN float max_lanes[kMaxF32Lanes], log_sum_lanes[kMaxF32Lanes];
  for (int64_t item = item_begin; item < item_end; ++item) {
    const int64_t b = item / items_per_slab;
    const int64_t c0 = (item % items_per_slab) * cols_per_item, c1 = std::min(inner, c0 + cols_per_item);
    const float* xs = scores + b * C * inner;
    for (int64_t c = c0; c < c1; c += N) {
      const auto count = static_cast<std::size_t>(std::min(N, c1 - c));
      auto max = LoadCols(d, xs + c, count);
      for (int64_t k = 1; k < C; ++k) max = hn::Max(max, LoadCols(d, xs + k * inner + c, count));
      auto sum = hn::Zero(d);
      for (int64_t k = 0; k < C; ++k) sum = hn::Add(sum, ExpChecked(d, hn::Sub(LoadCols(d, xs + k * inner + c, count), max)));
      // Highway's Log, like its Exp, does not pass NaN through.
      const auto log_sum = hn::IfThenElse(hn::IsNaN(sum), sum, hn::Log(d, sum));
      if (log_prob) {
        float* lp = log_prob + b * C * inner + c;
        for (int64_t k = 0; k < C; ++k)
          StoreCols(d, hn::Sub(hn::Sub(LoadCols(d, xs + k * inner + c, count), max), log_sum), lp + k * inner, count);
      }
      hn::Store(max, d, max_lanes);
      hn::Store(log_sum, d, log_sum_lanes);
      for (std::size_t j = 0; j < count; ++j) {
        const int64_t s = b * inner + c + static_cast<int64_t>(j);
        int64_t label;
        const float w = SampleWeight(l, labels, weights, s, &label);
        sample_loss[s] =
            label < 0 ? 0.0f : w * (log_sum_lanes[j] - (xs[label * inner + c + static_cast<int64_t>(j)] - max_lanes[j]));
      }
    }
  }
}

// The weight times the incoming gradient of sample s: the factor its row of dscores is scaled by.
HWY_INLINE float SampleCoef(const ClassLossLayout& l, const void* labels, const float* weights, const float* dloss,
                            float g, int64_t s, int64_t* label) {
  const float w = SampleWeight(l, labels, weights, s, label);
  return w * (l.reduction == LossReduction::kNone ? dloss[s] : g);
}

void SceGradRowsF32(const ClassLossLayout& l, const float* dloss, float g, const float* scores, const void* labels,
                    const float* weights, float* dscores, int64_t r0, int64_t r1) {
  const hn::ScalableTag<float> d;
  const int64_t C = l.classes;
  for (int64_t r = r0; r < r1; ++r) {
    const float* x = scores + r * C;
    float* dx = dscores + r * C;
    int64_t label;
    const float coef = SampleCoef(l, labels, weights, dloss, g, r, &label);
    if (label < 0) {
      std::memset(dx, 0, static_cast<std::size_t>(C) * sizeof(float));
      continue;
    }
    const float max = RowMax(d, x, C);
    const float sum = RowSumExp<true>(d, x, dx, C, max);  // dx = exp(x - max)
    Scale(d, dx, C, coef / sum);
    dx[label] -= coef;
  }
}

void SceGradColumnsF32(const ClassLossLayout& l, const float* dloss, float g, const float* scores,
                       const void* labels, const float* weights, float* dscores, int64_t cols_per_item,
                       int64_t item_begin, int64_t item_end) {
  const hn::ScalableTag<float> d;
  const auto N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t C = l.classes, inner = l.inner;
  const int64_t items_per_slab = (inner + cols_per_item - 1) / cols_per_item;
  HWY_ALIGN float coef_lanes[kMaxF32Lanes], ignored_lanes[kMaxF32Lanes];
  int64_t label_lanes[kMaxF32Lanes];
  for (int64_t item = item_begin; item < item_end; ++item) {
    const int64_t b = item / items_per_slab;
    const int64_t c0 = (item % items_per_slab) * cols_per_item, c1 = std::min(inner, c0 + cols_per_item);
    const float* xs = scores + b * C * inner;
    float* dxs = dscores + b * C * inner;
    for (int64_t c = c0; c < c1; c += N) {
      const auto count = static_cast<std::size_t>(std::min(N, c1 - c));
      for (std::size_t j = 0; j < hn::Lanes(d); ++j) {
        label_lanes[j] = -1;
        coef_lanes[j] = j < count ? SampleCoef(l, labels, weights, dloss, g, b * inner + c + static_cast<int64_t>(j),
                                               &label_lanes[j])
                                  : 0.0f;
        ignored_lanes[j] = label_lanes[j] < 0 ? 1.0f : 0.0f;
      }
      auto max = LoadCols(d, xs + c, count);
      for (int64_t k = 1; k < C; ++k) max = hn::Max(max, LoadCols(d, xs + k * inner + c, count));
      auto sum = hn::Zero(d);
      for (int64_t k = 0; k < C; ++k) sum = hn::Add(sum, ExpChecked(d, hn::Sub(LoadCols(d, xs + k * inner + c, count), max)));
      const auto factor = hn::Div(hn::Load(d, coef_lanes), sum);
      // Selecting 0 (not multiplying by it) keeps an ignored sample's gradient 0 even where its
      // scores are not finite.
      const auto ignored = hn::Gt(hn::Load(d, ignored_lanes), hn::Zero(d));
      for (int64_t k = 0; k < C; ++k) {
        const auto e = ExpChecked(d, hn::Sub(LoadCols(d, xs + k * inner + c, count), max));
        StoreCols(d, hn::IfThenZeroElse(ignored, hn::Mul(e, factor)), dxs + k * inner + c, count);
      }
      for (std::size_t j = 0; j < count; ++j)
        if (label_lanes[j] >= 0) dxs[label_lanes[j] * inner + c + static_cast<int64_t>(j)] -= coef_lanes[j];
    }
  }
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(SumF32);
HWY_EXPORT(PointwiseLossBlockF32);
HWY_EXPORT(PointwiseGradBlockF32);
HWY_EXPORT(SceRowsF32);
HWY_EXPORT(SceColumnsF32);
HWY_EXPORT(SceGradRowsF32);
HWY_EXPORT(SceGradColumnsF32);

namespace {

// About 16K elements of work per task, as in the other families.
constexpr int64_t kItemElems = 16384;
// Samples per strided work item: a multiple of every vector length (as in softmax.cc).
constexpr int64_t kColsPerItem = 256;

float Sum(const float* v, int64_t n) { return HWY_DYNAMIC_DISPATCH(SumF32)(v, n); }

// The divisor of "mean": the sum of the samples' weights (the count of samples not ignored when
// there are no weights). buf holds Samples() floats.
float WeightSum(const ClassLossLayout& l, const void* labels, const float* weights, float* buf) {
  const int64_t samples = l.Samples();
  if (!weights && !l.has_ignore) return static_cast<float>(samples);
  int64_t label;
  for (int64_t s = 0; s < samples; ++s) buf[s] = SampleWeight(l, labels, weights, s, &label);
  return Sum(buf, samples);
}

// Reduces per-sample losses into loss[0] (sum or weighted mean); kNone wrote them in place.
void ReduceSamples(const ClassLossLayout& l, const void* labels, const float* weights, const float* sample_loss,
                   float* loss, void* workspace) {
  if (l.reduction == LossReduction::kNone) return;
  const float total = Sum(sample_loss, l.Samples());
  // sample_loss lives in the workspace: it is summed before the weights overwrite it.
  loss[0] = l.reduction == LossReduction::kSum ? total
                                               : total / WeightSum(l, labels, weights, static_cast<float*>(workspace));
}

// The incoming gradient of each sample for kSum and kMean (kNone reads dloss per sample).
float ScalarGrad(const ClassLossLayout& l, const float* dloss, const void* labels, const float* weights,
                 void* workspace) {
  if (l.reduction == LossReduction::kNone) return 0.0f;
  if (l.reduction == LossReduction::kSum) return dloss[0];
  return dloss[0] / WeightSum(l, labels, weights, static_cast<float*>(workspace));
}

}  // namespace

int64_t FindNonProbability(const float* x, int64_t n) {
  // Blocks without a bad value (the usual case) are one branch-free pass the compiler vectorizes.
  constexpr int64_t kBlock = 1024;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    bool bad = false;
    for (int64_t i = b; i < e; ++i) bad |= !(x[i] >= 0.0f && x[i] <= 1.0f);
    if (!bad) continue;
    for (int64_t i = b; i < e; ++i)
      if (!(x[i] >= 0.0f && x[i] <= 1.0f)) return i;
  }
  return -1;
}

std::size_t PointwiseLossWorkspaceBytes(int64_t n, LossReduction reduction) {
  return reduction == LossReduction::kNone ? 0 : static_cast<std::size_t>(n) * sizeof(float);
}

void PointwiseLossF32(PointwiseLoss loss, LossReduction reduction, const float* x, const float* t, int64_t n,
                      float* y, void* workspace) {
  float* per = reduction == LossReduction::kNone ? y : static_cast<float*>(workspace);
  const auto fn = HWY_DYNAMIC_DISPATCH(PointwiseLossBlockF32);
  ForEachFlatBlock(n, [&](int64_t b, int64_t e) { fn(loss, x + b, t + b, per + b, e - b); });
  if (reduction == LossReduction::kNone) return;
  const float total = Sum(per, n);
  y[0] = reduction == LossReduction::kMean ? total / static_cast<float>(n) : total;
}

void PointwiseLossGradF32(PointwiseLoss loss, LossReduction reduction, const float* dy, const float* x,
                          const float* t, int64_t n, float* dx) {
  const bool per_element = reduction == LossReduction::kNone;
  const float g = per_element ? 0.0f : reduction == LossReduction::kMean ? dy[0] / static_cast<float>(n) : dy[0];
  const auto fn = HWY_DYNAMIC_DISPATCH(PointwiseGradBlockF32);
  ForEachFlatBlock(n, [&](int64_t b, int64_t e) {
    fn(loss, per_element ? dy + b : nullptr, g, x + b, t + b, dx + b, e - b);
  });
}

int64_t FindBadLabel(const ClassLossLayout& l, const void* labels) {
  const int64_t samples = l.Samples();
  for (int64_t s = 0; s < samples; ++s) {
    const int64_t label = LabelAt(l, labels, s);
    if ((label < 0 || label >= l.classes) && !(l.has_ignore && label == l.ignore_index)) return s;
  }
  return -1;
}

std::size_t ClassLossWorkspaceBytes(const ClassLossLayout& l) {
  return l.reduction == LossReduction::kNone ? 0 : static_cast<std::size_t>(l.Samples()) * sizeof(float);
}

void SoftmaxCrossEntropyF32(const ClassLossLayout& l, const float* scores, const void* labels,
                            const float* weights, float* loss, float* log_prob, void* workspace) {
  float* sample_loss = l.reduction == LossReduction::kNone ? loss : static_cast<float*>(workspace);
  const int64_t samples = l.Samples();
  if (l.classes == 0) {
    // Every label was ignore_index (FindBadLabel): nothing to read, and log_prob is empty.
    std::fill(sample_loss, sample_loss + samples, 0.0f);
  } else if (l.inner == 1) {
    const auto fn = HWY_DYNAMIC_DISPATCH(SceRowsF32);
    runtime::ParallelFor(l.batch, std::max<int64_t>(1, kItemElems / l.classes), [&](int64_t r0, int64_t r1) {
      fn(l, scores, labels, weights, sample_loss, log_prob, r0, r1);
    });
  } else if (samples > 0) {
    const auto fn = HWY_DYNAMIC_DISPATCH(SceColumnsF32);
    const int64_t cols = std::min(l.inner, kColsPerItem);
    const int64_t items = l.batch * ((l.inner + cols - 1) / cols);
    runtime::ParallelFor(items, std::max<int64_t>(1, kItemElems / (cols * l.classes)), [&](int64_t i0, int64_t i1) {
      fn(l, scores, labels, weights, sample_loss, log_prob, cols, i0, i1);
    });
  }
  ReduceSamples(l, labels, weights, sample_loss, loss, workspace);
}

void SoftmaxCrossEntropyGradF32(const ClassLossLayout& l, const float* dloss, const float* scores,
                                const void* labels, const float* weights, float* dscores, void* workspace) {
  if (l.classes == 0 || l.Samples() == 0) return;  // dscores is empty
  const float g = ScalarGrad(l, dloss, labels, weights, workspace);
  if (l.inner == 1) {
    const auto fn = HWY_DYNAMIC_DISPATCH(SceGradRowsF32);
    runtime::ParallelFor(l.batch, std::max<int64_t>(1, kItemElems / l.classes), [&](int64_t r0, int64_t r1) {
      fn(l, dloss, g, scores, labels, weights, dscores, r0, r1);
    });
    return;
  }
  const auto fn = HWY_DYNAMIC_DISPATCH(SceGradColumnsF32);
  const int64_t cols = std::min(l.inner, kColsPerItem);
  const int64_t items = l.batch * ((l.inner + cols - 1) / cols);
  runtime::ParallelFor(items, std::max<int64_t>(1, kItemElems / (cols * l.classes)), [&](int64_t i0, int64_t i1) {
    fn(l, dloss, g, scores, labels, weights, dscores, cols, i0, i1);
  });
}

void NegativeLogLikelihoodF32(const ClassLossLayout& l, const float* input, const void* labels,
                              const float* weights, float* loss, void* workspace) {
  float* sample_loss = l.reduction == LossReduction::kNone ? loss : static_cast<float*>(workspace);
  const int64_t samples = l.Samples();
  for (int64_t s = 0; s < samples; ++s) {
    int64_t label;
    const float w = SampleWeight(l, labels, weights, s, &label);
    const int64_t b = s / l.inner, i = s % l.inner;
    sample_loss[s] = label < 0 ? 0.0f : -w * input[(b * l.classes + label) * l.inner + i];
  }
  ReduceSamples(l, labels, weights, sample_loss, loss, workspace);
}

void NegativeLogLikelihoodGradF32(const ClassLossLayout& l, const float* dloss, const void* labels,
                                  const float* weights, float* dinput, void* workspace) {
  const int64_t samples = l.Samples();
  std::fill(dinput, dinput + samples * l.classes, 0.0f);
  if (l.classes == 0) return;
  const float g = ScalarGrad(l, dloss, labels, weights, workspace);
  for (int64_t s = 0; s < samples; ++s) {
    int64_t label;
    const float w = SampleWeight(l, labels, weights, s, &label);
    if (label < 0) continue;
    const int64_t b = s / l.inner, i = s % l.inner;
    dinput[(b * l.classes + label) * l.inner + i] = -w * (l.reduction == LossReduction::kNone ? dloss[s] : g);
  }
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
