// Double-precision references of the loss ops, written from PyTorch's and ONNX's formulas and
// sharing no code with Axon's kernels, and central finite differences over them: for the kernel
// tests and for the loss ops' gradient rules.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kernels/loss.h"

namespace axon::test {

using kernels::PointwiseLoss;

inline double PointwiseRef(PointwiseLoss loss, double x, double t) {
  switch (loss) {
    case PointwiseLoss::kMSE: return (x - t) * (x - t);
    case PointwiseLoss::kBCE:
      return (t - 1) * std::max(std::log1p(-x), -100.0) - t * std::max(std::log(x), -100.0);
    case PointwiseLoss::kBCEWithLogits: return std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::fabs(x)));
  }
  return 0;
}

inline std::vector<double> Reduce(const std::vector<double>& per, const std::string& reduction, double divisor) {
  if (reduction == "none") return per;
  double s = 0;
  for (double v : per) s += v;
  return {reduction == "sum" ? s : s / divisor};
}

inline std::vector<double> PointwiseLossRef(PointwiseLoss loss, const std::vector<double>& x,
                                            const std::vector<float>& t, const std::string& reduction) {
  std::vector<double> per(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) per[i] = PointwiseRef(loss, x[i], t[i]);
  return Reduce(per, reduction, static_cast<double>(x.size()));
}

struct ClassDims {
  int64_t n, c, inner;
};
inline ClassDims DimsOf(const std::vector<int64_t>& shape) {
  ClassDims d{shape[0], shape[1], 1};
  for (std::size_t i = 2; i < shape.size(); ++i) d.inner *= shape[i];
  return d;
}

// ONNX's reference (onnx/backend/test/case/node/negativeloglikelihoodloss.py): loss of sample
// (n, i) is -w[label]·input[n, label, i], 0 when ignored; "mean" divides by the sum of the weights
// of the samples not ignored. Softmax cross-entropy takes input = log_softmax(scores, axis 1).
inline std::vector<double> ClassLossRef(bool softmax, const std::vector<double>& scores,
                                        const std::vector<int64_t>& shape, const std::vector<int64_t>& labels,
                                        const std::vector<float>& weights, std::optional<int64_t> ignore,
                                        const std::string& reduction, std::vector<double>* log_prob = nullptr) {
  const ClassDims d = DimsOf(shape);
  std::vector<double> input = scores;
  if (softmax) {
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t i = 0; i < d.inner; ++i) {
        auto at = [&](int64_t k) { return static_cast<std::size_t>((n * d.c + k) * d.inner + i); };
        double max = -INFINITY, sum = 0;
        for (int64_t k = 0; k < d.c; ++k) max = std::max(max, scores[at(k)]);
        for (int64_t k = 0; k < d.c; ++k) sum += std::exp(scores[at(k)] - max);
        for (int64_t k = 0; k < d.c; ++k) input[at(k)] = scores[at(k)] - max - std::log(sum);
      }
    if (log_prob) *log_prob = input;
  }
  std::vector<double> per(static_cast<std::size_t>(d.n * d.inner));
  double weight_sum = 0;
  for (int64_t s = 0; s < d.n * d.inner; ++s) {
    const int64_t label = labels[static_cast<std::size_t>(s)];
    if (ignore && label == *ignore) continue;
    const double w = weights.empty() ? 1.0 : weights[static_cast<std::size_t>(label)];
    weight_sum += w;
    per[static_cast<std::size_t>(s)] = -w * input[static_cast<std::size_t>(((s / d.inner) * d.c + label) * d.inner + s % d.inner)];
  }
  return Reduce(per, reduction, weight_sum);
}

// Central differences in double of f = sum_i dloss[i]·loss[i](x) at every x[j].
inline std::vector<double> NumericGrad(const std::function<std::vector<double>(const std::vector<double>&)>& loss,
                                       const std::vector<float>& x, const std::vector<float>& dloss, double h) {
  std::vector<double> xd(x.begin(), x.end()), grad(x.size());
  auto f = [&](const std::vector<double>& at) {
    const std::vector<double> l = loss(at);
    double s = 0;
    for (std::size_t i = 0; i < l.size(); ++i) s += dloss[i] * l[i];
    return s;
  };
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double keep = xd[j];
    xd[j] = keep + h;
    const double up = f(xd);
    xd[j] = keep - h;
    const double down = f(xd);
    xd[j] = keep;
    grad[j] = (up - down) / (2 * h);
  }
  return grad;
}

}  // namespace axon::test
