// Training-mode BatchNormalization: per channel, a sum pass (the mean), a centred pass (the
// variance: Σ(x − mean)², not Σx² − M·mean², which loses every digit when the mean is large
// beside the spread), then one pass that writes y (forward) or two that sum dy and dy·(x − mean)
// and write dx (backward). Each pass runs Highway over the channel's contiguous runs of `inner`
// values (a 2-D feature map). BatchNorm1d's [N, C] (inner 1) has no runs: its passes go down the
// rows with a vector of neighbouring channels instead, each lane summing its own column in f32
// for 64 rows at a time and then in double, so a lane's result does not depend on which
// channels share its vector.
#include "runtime/kernels/batch_norm_train.h"

#include <algorithm>
#include <cmath>

#include "runtime/kernels/optimizer.h"
#include "runtime/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/batch_norm_train.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

using DF = hn::ScalableTag<float>;

// Σ x[i] over n values, in f32 lanes.
double RunSum(const float* x, int64_t n) {
  const DF d;
  const std::size_t N = hn::Lanes(d), count = static_cast<std::size_t>(n);
  auto acc = hn::Zero(d);
  std::size_t i = 0;
  for (; i + N <= count; i += N) acc = hn::Add(acc, hn::LoadU(d, x + i));
  if (i < count) acc = hn::Add(acc, LoadTail(d, x + i, count - i));
  return static_cast<double>(hn::GetLane(hn::SumOfLanes(d, acc)));
}

// Σ (x[i] − mean)² and, with dy, Σ dy[i]·(x[i] − mean) and Σ dy[i].
struct CentredSums {
  double sq = 0, dyx = 0, dy = 0;
};
CentredSums RunCentred(const float* x, const float* dy, int64_t n, float mean) {
  const DF d;
  const std::size_t N = hn::Lanes(d), count = static_cast<std::size_t>(n);
  const auto m = hn::Set(d, mean);
  auto sq = hn::Zero(d), dyx = hn::Zero(d), sdy = hn::Zero(d);
  auto add = [&](hn::Vec<DF> xv, hn::Vec<DF> dv, hn::Mask<DF> valid) {
    const auto c = hn::IfThenElseZero(valid, hn::Sub(xv, m));  // a tail's padding is 0, not −mean
    sq = hn::MulAdd(c, c, sq);
    if (dy) {
      dyx = hn::MulAdd(dv, c, dyx);
      sdy = hn::Add(sdy, dv);
    }
  };
  std::size_t i = 0;
  for (; i + N <= count; i += N) add(hn::LoadU(d, x + i), dy ? hn::LoadU(d, dy + i) : hn::Zero(d), hn::FirstN(d, N));
  if (i < count)
    add(LoadTail(d, x + i, count - i), dy ? LoadTail(d, dy + i, count - i) : hn::Zero(d), hn::FirstN(d, count - i));
  CentredSums s;
  s.sq = hn::GetLane(hn::SumOfLanes(d, sq));
  if (dy) {
    s.dyx = hn::GetLane(hn::SumOfLanes(d, dyx));
    s.dy = hn::GetLane(hn::SumOfLanes(d, sdy));
  }
  return s;
}

// out[i] = (x[i] − mean)·a + v[i]·c + b, v null reading as 0.
void RunAffine(const float* x, const float* v, float* out, int64_t n, float mean, float a, float c, float b) {
  const DF d;
  const std::size_t N = hn::Lanes(d), count = static_cast<std::size_t>(n);
  const auto vm = hn::Set(d, mean), va = hn::Set(d, a), vc = hn::Set(d, c), vb = hn::Set(d, b);
  auto one = [&](hn::Vec<DF> xv, hn::Vec<DF> vv) { return hn::MulAdd(hn::Sub(xv, vm), va, hn::MulAdd(vv, vc, vb)); };
  std::size_t i = 0;
  for (; i + N <= count; i += N) hn::StoreU(one(hn::LoadU(d, x + i), v ? hn::LoadU(d, v + i) : hn::Zero(d)), d, out + i);
  if (i < count)
    StoreTail(d, one(LoadTail(d, x + i, count - i), v ? LoadTail(d, v + i, count - i) : hn::Zero(d)), out + i, count - i);
}

// The batch statistics of channel c: mean, Σ(x − mean)² and 1/√(var + ε), over the M values.
struct Stats {
  double sum_mean;  // the mean as the double sum gave it (for the running mean, as torch's)
  float mean;       // rounded once: the centre of every later pass
  double sq;
  double inv;
};
Stats ChannelStats(const float* x, int64_t c, int64_t batch, int64_t channels, int64_t inner, float epsilon) {
  double sum = 0;
  for (int64_t n = 0; n < batch; ++n) sum += RunSum(x + (n * channels + c) * inner, inner);
  const double exact = sum / static_cast<double>(batch * inner);
  const auto mean = static_cast<float>(exact);
  double sq = 0;
  for (int64_t n = 0; n < batch; ++n) sq += RunCentred(x + (n * channels + c) * inner, nullptr, inner, mean).sq;
  return {exact, mean, sq, 1.0 / std::sqrt(sq / static_cast<double>(batch * inner) + static_cast<double>(epsilon))};
}

// --- inner 1: columns [c, c + w) of x [rows, cols], w <= lanes -----------------------------------

hn::Vec<DF> LoadCols(DF d, const float* p, std::size_t w) { return w == hn::Lanes(d) ? hn::LoadU(d, p) : LoadTail(d, p, w); }
void StoreCols(DF d, hn::Vec<DF> v, float* p, std::size_t w) {
  if (w == hn::Lanes(d)) {
    hn::StoreU(v, d, p);
  } else {
    StoreTail(d, v, p, w);
  }
}

// acc[l] += Σ_r f(r)[l]: f32 lanes over 64 rows at a time, then double.
template <class F>
void SumRows(DF d, int64_t rows, double* acc, const F& f) {
  HWY_ALIGN float part[kMaxF32Lanes];
  for (int64_t r0 = 0; r0 < rows; r0 += 64) {
    auto s = hn::Zero(d);
    for (int64_t r = r0; r < std::min(rows, r0 + 64); ++r) s = hn::Add(s, f(r));
    hn::Store(s, d, part);
    for (std::size_t l = 0; l < hn::Lanes(d); ++l) acc[l] += part[l];
  }
}

// Each column's mean (double, and rounded: padded lanes 0), Σ(x − mean)² and 1/√(var + ε).
struct ColumnStats {
  double sum_mean[kMaxF32Lanes] = {};
  HWY_ALIGN float mean[kMaxF32Lanes] = {};
  double sq[kMaxF32Lanes] = {};
  double inv[kMaxF32Lanes] = {};
};
void StatsOfColumns(DF d, const float* x, int64_t rows, int64_t cols, std::size_t w, float epsilon, ColumnStats& s) {
  double sum[kMaxF32Lanes] = {};
  SumRows(d, rows, sum, [&](int64_t r) { return LoadCols(d, x + r * cols, w); });
  for (std::size_t l = 0; l < w; ++l) {
    s.sum_mean[l] = sum[l] / static_cast<double>(rows);
    s.mean[l] = static_cast<float>(s.sum_mean[l]);
  }
  const auto m = hn::Load(d, s.mean);
  SumRows(d, rows, s.sq, [&](int64_t r) {
    const auto c = hn::Sub(LoadCols(d, x + r * cols, w), m);  // padded lanes: 0 − 0
    return hn::Mul(c, c);
  });
  for (std::size_t l = 0; l < w; ++l)
    s.inv[l] = 1.0 / std::sqrt(s.sq[l] / static_cast<double>(rows) + static_cast<double>(epsilon));
}

// f(c, w, stats) for each block of w <= lanes columns [c, c + w) in [c0, c1).
template <class F>
void ForColumnBlocks(DF d, const float* x, int64_t rows, int64_t cols, float epsilon, int64_t c0, int64_t c1, const F& f) {
  for (int64_t c = c0; c < c1; c += static_cast<int64_t>(hn::Lanes(d))) {
    const auto w = static_cast<std::size_t>(std::min<int64_t>(static_cast<int64_t>(hn::Lanes(d)), c1 - c));
    ColumnStats s;
    StatsOfColumns(d, x + c, rows, cols, w, epsilon, s);
    f(c, w, s);
  }
}

void TrainColumns(const float* x, const float* scale, const float* bias, const float* running_mean,
                  const float* running_var, float* y, float* new_mean, float* new_var, int64_t rows, int64_t cols,
                  float epsilon, double m, int64_t c0, int64_t c1) {
  const DF d;
  const auto count = static_cast<double>(rows);
  ForColumnBlocks(d, x, rows, cols, epsilon, c0, c1, [&](int64_t c, std::size_t w, const ColumnStats& s) {
    HWY_ALIGN float a[kMaxF32Lanes] = {}, b[kMaxF32Lanes] = {};
    for (std::size_t l = 0; l < w; ++l) {
      a[l] = static_cast<float>(scale[c + l] * s.inv[l]);
      b[l] = bias[c + l];
      if (new_mean) new_mean[c + l] = static_cast<float>((1 - m) * running_mean[c + l] + m * s.sum_mean[l]);
      if (new_var) new_var[c + l] = static_cast<float>((1 - m) * running_var[c + l] + m * (s.sq[l] / (count - 1)));
    }
    const auto vm = hn::Load(d, s.mean), va = hn::Load(d, a), vb = hn::Load(d, b);
    for (int64_t r = 0; r < rows; ++r)
      StoreCols(d, hn::MulAdd(hn::Sub(LoadCols(d, x + r * cols + c, w), vm), va, vb), y + r * cols + c, w);
  });
}

void GradColumns(const float* dy, const float* x, const float* scale, float* dx, float* dscale, float* dbias,
                 int64_t rows, int64_t cols, float epsilon, int64_t c0, int64_t c1) {
  const DF d;
  const auto count = static_cast<double>(rows);
  ForColumnBlocks(d, x, rows, cols, epsilon, c0, c1, [&](int64_t c, std::size_t w, const ColumnStats& s) {
    const auto vm = hn::Load(d, s.mean);
    double sdy[kMaxF32Lanes] = {}, sdyx[kMaxF32Lanes] = {};
    SumRows(d, rows, sdy, [&](int64_t r) { return LoadCols(d, dy + r * cols + c, w); });
    SumRows(d, rows, sdyx, [&](int64_t r) {
      return hn::Mul(LoadCols(d, dy + r * cols + c, w), hn::Sub(LoadCols(d, x + r * cols + c, w), vm));
    });
    HWY_ALIGN float k_dy[kMaxF32Lanes] = {}, k_x[kMaxF32Lanes] = {}, k_0[kMaxF32Lanes] = {};
    for (std::size_t l = 0; l < w; ++l) {
      const double inv = s.inv[l];
      if (dscale) dscale[c + l] = static_cast<float>(sdyx[l] * inv);
      if (dbias) dbias[c + l] = static_cast<float>(sdy[l]);
      const double a = scale[c + l] * inv;
      k_dy[l] = static_cast<float>(a);
      k_x[l] = static_cast<float>(-a * inv * inv * sdyx[l] / count);
      k_0[l] = static_cast<float>(-a * sdy[l] / count);
    }
    if (!dx) return;
    const auto vdy = hn::Load(d, k_dy), vx = hn::Load(d, k_x), v0 = hn::Load(d, k_0);
    for (int64_t r = 0; r < rows; ++r) {
      const auto xc = hn::Sub(LoadCols(d, x + r * cols + c, w), vm);
      StoreCols(d, hn::MulAdd(xc, vx, hn::MulAdd(LoadCols(d, dy + r * cols + c, w), vdy, v0)), dx + r * cols + c, w);
    }
  });
}

// --- inner > 1: one channel at a time --------------------------------------------------------------

void TrainChannels(const float* x, const float* scale, const float* bias, const float* running_mean,
                   const float* running_var, float* y, float* new_mean, float* new_var, int64_t batch,
                   int64_t channels, int64_t inner, float epsilon, double m, int64_t c0, int64_t c1) {
  if (inner == 1)
    return TrainColumns(x, scale, bias, running_mean, running_var, y, new_mean, new_var, batch, channels, epsilon, m, c0, c1);
  const auto count = static_cast<double>(batch * inner);
  for (int64_t c = c0; c < c1; ++c) {
    const Stats s = ChannelStats(x, c, batch, channels, inner, epsilon);
    const auto a = static_cast<float>(scale[c] * s.inv);
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t off = (n * channels + c) * inner;
      RunAffine(x + off, nullptr, y + off, inner, s.mean, a, 0.0f, bias[c]);
    }
    if (new_mean) new_mean[c] = static_cast<float>((1 - m) * running_mean[c] + m * s.sum_mean);
    if (new_var) new_var[c] = static_cast<float>((1 - m) * running_var[c] + m * (s.sq / (count - 1)));
  }
}

void GradChannels(const float* dy, const float* x, const float* scale, float* dx, float* dscale, float* dbias,
                  int64_t batch, int64_t channels, int64_t inner, float epsilon, int64_t c0, int64_t c1) {
  if (inner == 1) return GradColumns(dy, x, scale, dx, dscale, dbias, batch, channels, epsilon, c0, c1);
  const auto count = static_cast<double>(batch * inner);
  for (int64_t c = c0; c < c1; ++c) {
    const Stats s = ChannelStats(x, c, batch, channels, inner, epsilon);
    const double inv = s.inv;
    double sdy = 0, sdyx = 0;
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t off = (n * channels + c) * inner;
      const CentredSums r = RunCentred(x + off, dy + off, inner, s.mean);
      sdy += r.dy;
      sdyx += r.dyx;
    }
    if (dscale) dscale[c] = static_cast<float>(sdyx * inv);
    if (dbias) dbias[c] = static_cast<float>(sdy);
    if (!dx) continue;
    // dx = a·dy − a·inv²·mean(dy·(x − mean))·(x − mean) − a·mean(dy), a = scale·inv.
    const double a = scale[c] * inv;
    const auto k_dy = static_cast<float>(a);
    const auto k_x = static_cast<float>(-a * inv * inv * sdyx / count);
    const auto k_0 = static_cast<float>(-a * sdy / count);
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t off = (n * channels + c) * inner;
      RunAffine(x + off, dy + off, dx + off, inner, s.mean, k_x, k_dy, k_0);
    }
  }
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(TrainChannels);
HWY_EXPORT(GradChannels);

namespace {
// Channels per task: enough values that a task outweighs its scheduling.
int64_t Grain(const BatchNormTrainShape& s) {
  const int64_t per_channel = s.batch * s.inner;
  return per_channel >= 16384 ? 1 : (16384 + per_channel - 1) / per_channel;
}
}  // namespace

void BatchNormTrainF32(const float* x, const float* scale, const float* bias, const float* running_mean,
                       const float* running_var, float* y, float* new_mean, float* new_var,
                       const BatchNormTrainShape& s, float epsilon, float momentum) {
  // torch's momentum is a Python double (0.1); ONNX's attribute holds 1 − it as a float (0.9f).
  const double m = 1.0 - DecimalValue(momentum);
  runtime::ParallelFor(s.channels, Grain(s), [&](int64_t c0, int64_t c1) {
    HWY_DYNAMIC_DISPATCH(TrainChannels)(x, scale, bias, running_mean, running_var, y, new_mean, new_var, s.batch,
                                        s.channels, s.inner, epsilon, m, c0, c1);
  });
}

void BatchNormTrainGradF32(const float* dy, const float* x, const float* scale, float* dx, float* dscale,
                           float* dbias, const BatchNormTrainShape& s, float epsilon) {
  runtime::ParallelFor(s.channels, Grain(s), [&](int64_t c0, int64_t c1) {
    HWY_DYNAMIC_DISPATCH(GradChannels)(dy, x, scale, dx, dscale, dbias, s.batch, s.channels, s.inner, epsilon, c0, c1);
  });
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
