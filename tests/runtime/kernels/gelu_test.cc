// Gelu: its kernel against PyTorch's documented formula x·Φ(x) = 0.5·x·(1 + erf(x/√2)) in
// double precision on every Highway target, and its shape rule (its gradient is checked against
// finite differences with the other pointwise ops in tests/graph/autodiff_test.cc).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "runtime/kernels/unary.h"
#include "tests/graph/graph_test_util.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon {
namespace {

double RefGelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

// PyTorch's approximate='tanh': 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), in double as
// x / (1 + e^(−2u)), the same function without the cancellation of 1 + tanh u near u << 0.
double RefGeluTanh(double x) {
  const double u = std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
  return x / (1.0 + std::exp(-2.0 * u));
}

}  // namespace

TEST_CASE("Gelu is x·Φ(x) to 4e-7·|x| (1e-6 relative for x >= 0) on every target", "[kernels][unary][kernel:Gelu]") {
  std::vector<float> x;
  for (float v = -12.0f; v <= 12.0f; v += 0.001953125f) x.push_back(v);  // every 2^-9, through both tails
  for (float v = 1e-30f; v < 1e30f; v *= 1.7f) {
    x.push_back(v);
    x.push_back(-v);
  }
  std::vector<float> y(x.size());
  test::ForEachTarget([&](const char*) {
    kernels::Gelu(x.data(), y.data(), static_cast<int64_t>(x.size()));
    double worst_rel = 0, worst_abs = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double ref = RefGelu(x[i]);
      const double err = std::abs(y[i] - ref);
      if (x[i] >= 0 && ref > 1e-37) worst_rel = std::max(worst_rel, err / ref);
      worst_abs = std::max(worst_abs, err / std::max(1.0, std::abs(static_cast<double>(x[i]))));
      if (err > 4e-7 * std::abs(x[i]) + 1e-38) FAIL_CHECK("Gelu(" << x[i] << ") = " << y[i] << ", want " << ref);
    }
    CHECK(worst_rel <= 1e-6);
    CHECK(worst_abs <= 4e-7);
  });
  // Hand values: Gelu(0) = 0, Gelu(1) = Φ(1) = 0.8413447, Gelu(-1) = -0.1586553; NaN stays NaN,
  // +inf stays +inf, -inf is NaN as the formula's -inf·0 (PyTorch gives the same).
  const float special[] = {0.0f, 1.0f, -1.0f, std::numeric_limits<float>::quiet_NaN(), INFINITY, -INFINITY};
  float out[6];
  kernels::Gelu(special, out, 6);
  CHECK(out[0] == 0.0f);
  CHECK(out[1] == Approx(0.8413447460685429).epsilon(1e-6));
  CHECK(out[2] == Approx(-0.15865525393145707).epsilon(1e-6));
  CHECK(std::isnan(out[3]));
  CHECK(out[4] == INFINITY);
  CHECK(std::isnan(out[5]));
}

TEST_CASE("Gelu's tanh form is within 1e-6 relative for x >= -3 and 2e-7·|x| everywhere, on every target",
          "[kernels][unary][kernel:Gelu]") {
  std::vector<float> x;
  for (float v = -12.0f; v <= 12.0f; v += 0.001953125f) x.push_back(v);
  for (float v = 1e-30f; v < 1e30f; v *= 1.7f) {
    x.push_back(v);
    x.push_back(-v);
  }
  std::vector<float> y(x.size());
  test::ForEachTarget([&](const char*) {
    kernels::GeluTanh(x.data(), y.data(), static_cast<int64_t>(x.size()));
    double worst_rel = 0, worst_abs = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double ref = RefGeluTanh(x[i]);
      const double err = std::abs(y[i] - ref);
      if (x[i] >= -3 && ref != 0) worst_rel = std::max(worst_rel, err / std::abs(ref));
      worst_abs = std::max(worst_abs, err / std::max(1e-30, std::abs(static_cast<double>(x[i]))));
      if (err > 2e-7 * std::abs(x[i]) + 1e-38) FAIL_CHECK("GeluTanh(" << x[i] << ") = " << y[i] << ", want " << ref);
    }
    CHECK(worst_rel <= 1e-6);
    CHECK(worst_abs <= 2e-7);
  });
}

TEST_CASE("Gelu's tanh form at 0 and ±1 and NaN and ±inf on every target", "[kernels][unary][kernel:Gelu]") {
  // 0 -> 0; ±1 by hand (u = ±0.8154845, tanh u = ±0.6727782); NaN stays NaN; +inf stays +inf;
  // -inf is NaN, as PyTorch's 0.5·x·(1 + tanh u) gives (-inf·0) and the unfused graph does; -30
  // gives -0 (σ(2u) underflows). Repeated to 37 values so that each lands in whole vectors and
  // in the tail on every target.
  const float special[] = {0.0f, 1.0f, -1.0f, std::numeric_limits<float>::quiet_NaN(), INFINITY, -INFINITY, -30.0f};
  std::vector<float> x;
  for (std::size_t i = 0; i < 37; ++i) x.push_back(special[i % 7]);
  test::ForEachTarget([&](const char*) {
    std::vector<float> out(x.size(), 5.0f);
    kernels::GeluTanh(x.data(), out.data(), static_cast<int64_t>(x.size()));
    for (std::size_t i = 0; i < x.size(); ++i) {
      INFO("x = " << x[i] << " at " << i);
      switch (i % 7) {
        case 0: CHECK(out[i] == 0.0f); break;
        case 1: CHECK(out[i] == Approx(0.5 * (1 + std::tanh(0.7978845608028654 * 1.044715))).epsilon(1e-6)); break;
        case 2: CHECK(out[i] == Approx(-0.5 * (1 - std::tanh(0.7978845608028654 * 1.044715))).epsilon(1e-6)); break;
        case 3: CHECK(std::isnan(out[i])); break;
        case 4: CHECK(out[i] == INFINITY); break;
        case 5: CHECK(std::isnan(out[i])); break;
        default: CHECK(out[i] == 0.0f); break;
      }
    }
  });
}

TEST_CASE("the Gelu op runs its tanh form for approximate = \"tanh\", and refuses other forms",
          "[kernels][unary][kernel:Gelu][infer:Gelu]") {
  const std::vector<float> in = {-3.0f, -0.5f, 0.0f, 0.25f, 2.0f, 7.5f};
  const Tensor x = Tensor::FromVector(in, {2, 3});
  Tensor y = Tensor::Zeros(DType::kF32, {2, 3});
  test::RunKernel("Gelu", {&x}, {&y}, {{"approximate", std::string("tanh")}});
  for (std::size_t i = 0; i < in.size(); ++i) CHECK(y.data<float>()[i] == Approx(RefGeluTanh(in[i])).margin(2e-7 * 8));
  CHECK(y.data<float>()[0] != Approx(RefGelu(-3.0)).margin(1e-5));  // the forms differ: -3.6e-3 vs -4.0e-3
  using graph::testing::F32;
  using graph::testing::InferOp;
  CHECK_THROWS_WITH(InferOp("Gelu", {F32({2})}, {{"approximate", std::string("erf")}}),
                    Catch::Contains("approximate must be \"none\" or \"tanh\", got 'erf'"));
}

TEST_CASE("the Gelu op runs its kernel; its shape rule keeps shape and dtype", "[kernels][unary][kernel:Gelu][infer:Gelu]") {
  const std::vector<float> in = {-3.0f, -0.5f, 0.0f, 0.25f, 2.0f, 7.5f};
  const Tensor x = Tensor::FromVector(in, {2, 3});
  Tensor y = Tensor::Zeros(DType::kF32, {2, 3});
  test::RunKernel("Gelu", {&x}, {&y});
  for (std::size_t i = 0; i < in.size(); ++i) CHECK(y.data<float>()[i] == Approx(RefGelu(in[i])).margin(4e-7 * 8));

  using graph::testing::F32;
  using graph::testing::InferOp;
  const graph::Shape shape({graph::Dim::Symbol("batch"), 4});
  const auto out = InferOp("Gelu", {F32(shape.dims())});
  CHECK(out[0].shape == shape);
  CHECK(out[0].dtype == DType::kF32);
  CHECK_THROWS_WITH(InferOp("Gelu", {graph::ValueInfo{"", DType::kI64, graph::Shape({2})}}), Catch::Contains("must be f32"));
}

}  // namespace axon
