// Training-mode BatchNormalization and BatchNormalizationGrad through their adapters, against a
// double-precision reference written from PyTorch's documented formulas (nn.BatchNorm2d: batch
// mean and biased variance to normalize; running = (1 − m)·running + m·stat with the unbiased
// variance; the backward pass through the batch statistics).
#include "runtime/kernels/batch_norm_train.h"

#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "axon/axon.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Dims = std::vector<int64_t>;

struct Reference {
  std::vector<double> y, new_mean, new_var, dx, dscale, dbias;
};

// Straight from the definitions, channel by channel, in double.
Reference Compute(const std::vector<float>& x, const std::vector<float>& dy, const std::vector<float>& scale,
                  const std::vector<float>& bias, const std::vector<float>& rm, const std::vector<float>& rv, int64_t n,
                  int64_t c, int64_t inner, double eps, double torch_momentum) {
  Reference r;
  r.y.resize(x.size());
  r.dx.resize(x.size());
  const double m = static_cast<double>(n * inner);
  for (int64_t k = 0; k < c; ++k) {
    auto at = [&](int64_t b, int64_t i) { return static_cast<std::size_t>((b * c + k) * inner + i); };
    double mean = 0, var = 0;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < inner; ++i) mean += x[at(b, i)];
    mean /= m;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < inner; ++i) var += (x[at(b, i)] - mean) * (x[at(b, i)] - mean);
    const double biased = var / m, unbiased = var / (m - 1), inv = 1 / std::sqrt(biased + eps);
    r.new_mean.push_back((1 - torch_momentum) * rm[k] + torch_momentum * mean);
    r.new_var.push_back((1 - torch_momentum) * rv[k] + torch_momentum * unbiased);
    double sdy = 0, sdyxhat = 0;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < inner; ++i) {
        const double xhat = (x[at(b, i)] - mean) * inv;
        r.y[at(b, i)] = xhat * scale[k] + bias[k];
        sdy += dy[at(b, i)];
        sdyxhat += dy[at(b, i)] * xhat;
      }
    r.dscale.push_back(sdyxhat);
    r.dbias.push_back(sdy);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < inner; ++i) {
        const double xhat = (x[at(b, i)] - mean) * inv;
        r.dx[at(b, i)] = scale[k] * inv * (dy[at(b, i)] - sdy / m - xhat * sdyxhat / m);
      }
  }
  return r;
}

void CheckNear(const std::vector<float>& got, const std::vector<double>& want, double tolerance) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": " << got[i] << " vs " << want[i]);
    CHECK(std::fabs(got[i] - want[i]) <= tolerance * (1 + std::fabs(want[i])));
  }
}

}  // namespace

TEST_CASE("BatchNormalization training_mode=1: batch statistics, and running statistics updated as torch does",
          "[kernel:BatchNormalization][batchnorm]") {
  for (const Dims& shape : {Dims{4, 3, 5, 7}, Dims{6, 5}, Dims{2, 2, 33}, Dims{70, 37}, Dims{130, 20}}) {
    INFO("shape " << shape.size() << "-D, " << shape[0] << "x" << shape[1]);
    const int64_t n = shape[0], c = shape[1];
    int64_t inner = 1;
    for (std::size_t i = 2; i < shape.size(); ++i) inner *= shape[i];
    const std::vector<float> x = test::RandomFloats(n * c * inner, 1, 3.0f, 7.0f);  // a mean far from 0
    const std::vector<float> scale = test::RandomFloats(c, 2, 0.5f, 1.5f), bias = test::RandomFloats(c, 3, -1.0f, 1.0f);
    const std::vector<float> rm = test::RandomFloats(c, 4, -1.0f, 1.0f), rv = test::RandomFloats(c, 5, 0.5f, 2.0f);
    const Reference want = Compute(x, x, scale, bias, rm, rv, n, c, inner, 1e-5, 0.1);
    const Tensor tx = Tensor::FromVector(x, shape), ts = Tensor::FromVector(scale, {c}), tb = Tensor::FromVector(bias, {c}),
                 tm = Tensor::FromVector(rm, {c}), tv = Tensor::FromVector(rv, {c});
    test::ForEachTarget([&](const char*) {
      Tensor y = Tensor::Zeros(DType::kF32, shape), nm = Tensor::Zeros(DType::kF32, {c}), nv = Tensor::Zeros(DType::kF32, {c});
      // ONNX's momentum 0.9 is torch's 0.1.
      test::RunKernel("BatchNormalization", {&tx, &ts, &tb, &tm, &tv}, {&y, &nm, &nv}, {{"training_mode", int64_t{1}}});
      CheckNear(y.ToFloatVector(), want.y, 2e-6);
      // f32 sums of up to 64 rows: a few ulps; the biased variance instead of the unbiased one
      // would be off by 0.1/M of it, 1e-3 here.
      CheckNear(nm.ToFloatVector(), want.new_mean, 1e-6);
      CheckNear(nv.ToFloatVector(), want.new_var, 1e-6);
    });
  }
  // By hand: one channel holding 1, 2, 3, 6: mean 3, Σ(x − 3)² = 14, biased var 3.5, unbiased 14/3.
  const Tensor x = Tensor::FromVector(std::vector<float>{1, 2, 3, 6}, {4, 1});
  const Tensor one = Tensor::FromVector(std::vector<float>{1}, {1}), zero = Tensor::FromVector(std::vector<float>{0}, {1});
  Tensor y = Tensor::Zeros(DType::kF32, {4, 1}), nm = Tensor::Zeros(DType::kF32, {1}), nv = Tensor::Zeros(DType::kF32, {1});
  test::RunKernel("BatchNormalization", {&x, &one, &zero, &zero, &one}, {&y, &nm, &nv},
                  {{"training_mode", int64_t{1}}, {"epsilon", 0.0f}, {"momentum", 0.5f}});
  CHECK(y.ToFloatVector()[3] == Approx(3 / std::sqrt(3.5)).epsilon(1e-6));
  CHECK(nm.ToFloatVector()[0] == Approx(0.5 * 0 + 0.5 * 3).epsilon(1e-7));
  CHECK(nv.ToFloatVector()[0] == Approx(0.5 * 1 + 0.5 * 14.0 / 3).epsilon(1e-7));
  // One value per channel has no unbiased variance: refused, as torch refuses it.
  const Tensor single = Tensor::FromVector(std::vector<float>{1, 2}, {1, 2});
  const Tensor s2 = Tensor::FromVector(std::vector<float>{1, 1}, {2});
  Tensor y2 = Tensor::Zeros(DType::kF32, {1, 2});
  CHECK_THROWS_WITH(test::RunKernel("BatchNormalization", {&single, &s2, &s2, &s2, &s2}, {&y2}, {{"training_mode", int64_t{1}}}),
                    Catch::Contains("more than 1 value per channel"));
}

TEST_CASE("BatchNormalizationGrad: dX, dScale and dB through the batch statistics", "[kernel:BatchNormalizationGrad][batchnorm]") {
  for (const Dims& shape : {Dims{4, 3, 5, 7}, Dims{6, 5}, Dims{2, 2, 33}, Dims{70, 37}, Dims{130, 20}}) {
    const int64_t n = shape[0], c = shape[1];
    int64_t inner = 1;
    for (std::size_t i = 2; i < shape.size(); ++i) inner *= shape[i];
    const std::vector<float> x = test::RandomFloats(n * c * inner, 6, -2.0f, 4.0f);
    const std::vector<float> dy = test::RandomFloats(n * c * inner, 7, -1.0f, 1.0f);
    const std::vector<float> scale = test::RandomFloats(c, 8, 0.5f, 1.5f), zeros(static_cast<std::size_t>(c), 0.0f);
    const Reference want = Compute(x, dy, scale, zeros, zeros, zeros, n, c, inner, 1e-5, 0.1);
    const Tensor tdy = Tensor::FromVector(dy, shape), tx = Tensor::FromVector(x, shape), ts = Tensor::FromVector(scale, {c});
    test::ForEachTarget([&](const char*) {
      Tensor dx = Tensor::Zeros(DType::kF32, shape), dscale = Tensor::Zeros(DType::kF32, {c}), dbias = Tensor::Zeros(DType::kF32, {c});
      test::RunKernel("BatchNormalizationGrad", {&tdy, &tx, &ts}, {&dx, &dscale, &dbias});
      CheckNear(dx.ToFloatVector(), want.dx, 1e-5);
      CheckNear(dscale.ToFloatVector(), want.dscale, 1e-5);
      CheckNear(dbias.ToFloatVector(), want.dbias, 1e-5);
    });
  }
}

}  // namespace axon::kernels
