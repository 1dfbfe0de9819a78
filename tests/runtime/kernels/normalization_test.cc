#include "runtime/kernels/normalization.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "axon/tensor.h"
#include "graph/builder.h"
#include "runtime/executor.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using graph::Attribute;
using Shape = std::vector<int64_t>;

// LayerNormalization in double: y, and for each element the scale of the terms it was computed
// from, which bounds its rounding error: |normalized * scale| + |bias|, and |scale| itself, since
// the centre is only known to a few ulps of the row's spread (an element right at the mean has a
// normalized value near 0 but an error near 2^-24 of a standard deviation).
struct LayerNormRef {
  std::vector<double> y, size, mean, inv_std, abs_mean;  // abs_mean bounds the mean's rounding error
};
LayerNormRef LayerNormReference(const std::vector<float>& x, const std::vector<float>& scale,
                                const std::vector<float>* bias, int64_t rows, int64_t cols, float epsilon) {
  LayerNormRef r;
  for (int64_t i = 0; i < rows; ++i) {
    const float* xr = x.data() + i * cols;
    double mean = 0, var = 0, abs_mean = 0;
    for (int64_t j = 0; j < cols; ++j) mean += xr[j], abs_mean += std::fabs(xr[j]);
    mean /= static_cast<double>(cols);
    r.abs_mean.push_back(abs_mean / static_cast<double>(cols));
    for (int64_t j = 0; j < cols; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    var /= static_cast<double>(cols);
    const double inv = 1 / std::sqrt(var + epsilon);
    r.mean.push_back(mean);
    r.inv_std.push_back(inv);
    for (int64_t j = 0; j < cols; ++j) {
      const double n = (xr[j] - mean) * inv * scale[j], b = bias ? (*bias)[j] : 0.0;
      r.y.push_back(n + b);
      r.size.push_back(std::fabs(n) + std::fabs(scale[j]) + std::fabs(b));
    }
  }
  return r;
}

// A few float roundings of each step (the centre, its correction, the variance through 1/sqrt,
// the output's subtractions, multiply and add), each 2^-24 relative; 16 of them is still a
// thousand times tighter than an error in the algorithm would be.
bool Near(float y, double r, double size) { return std::fabs(y - r) <= 16 * 0x1p-24 * size + 1e-30; }

void CheckLayerNorm(const std::vector<float>& x, int64_t rows, int64_t cols, uint32_t seed, bool with_bias,
                    double* worst = nullptr) {
  const std::vector<float> scale = test::RandomFloats(cols, seed + 1, -2.0f, 2.0f);
  const std::vector<float> bias = test::RandomFloats(cols, seed + 2, -1.0f, 1.0f);
  const float epsilon = 1e-5f;
  const LayerNormRef ref = LayerNormReference(x, scale, with_bias ? &bias : nullptr, rows, cols, epsilon);
  test::ForEachTarget([&](const char* target) {
    INFO(target << " rows " << rows << " cols " << cols << (with_bias ? " with bias" : ""));
    std::vector<float> y(x.size() + 1, -3.0f), mean(rows), inv(rows);
    LayerNormF32(x.data(), scale.data(), with_bias ? bias.data() : nullptr, y.data(), mean.data(), inv.data(), rows,
                 cols, epsilon);
    std::size_t bad = 0, first = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!Near(y[i], ref.y[i], ref.size[i]) && bad++ == 0) first = i;
      if (worst) *worst = std::max(*worst, std::fabs(y[i] - ref.y[i]) / ref.size[i]);
    }
    INFO("first bad element " << first << ": " << (bad ? y[first] : 0.0f) << " vs " << (bad ? ref.y[first] : 0.0));
    CHECK(bad == 0);
    CHECK(y.back() == -3.0f);
    for (int64_t i = 0; i < rows; ++i) {
      CHECK(std::fabs(mean[i] - ref.mean[i]) <= 8 * 0x1p-24 * ref.abs_mean[i]);
      CHECK(std::fabs(inv[i] - ref.inv_std[i]) <= 16 * 0x1p-24 * ref.inv_std[i]);
    }
    // In place: the same bits.
    std::vector<float> in_place = x;
    LayerNormF32(in_place.data(), scale.data(), with_bias ? bias.data() : nullptr, in_place.data(), nullptr, nullptr,
                 rows, cols, epsilon);
    CHECK((x.empty() || std::memcmp(in_place.data(), y.data(), x.size() * sizeof(float)) == 0));
  });
}

TEST_CASE("LayerNorm matches a double reference on every target", "[kernels][normalization]") {
  struct Case {
    int64_t rows, cols;
  };
  for (const Case c : {Case{1, 1}, Case{3, 7}, Case{5, 33}, Case{4, 1000}, Case{2, 4096}, Case{64, 768}, Case{0, 5}}) {
    const std::vector<float> x = test::RandomFloats(c.rows * c.cols, 81, -3.0f, 5.0f);
    for (bool bias : {true, false}) CheckLayerNorm(x, c.rows, c.cols, 82, bias);
  }
}

TEST_CASE("LayerNorm keeps its accuracy for rows with a large mean and a small spread", "[kernels][normalization]") {
  // 1e4 + noise of 1e-2: the noise is ten ulps of the mean. sum(x^2)/n - mean^2 would cancel
  // every digit (it can even go negative), and a centre rounded to the ulp of the mean would
  // shift every deviation by a tenth of the spread.
  struct Row {
    float mean, spread;
  };
  for (const Row r : {Row{1e4f, 1e-2f}, Row{-3e3f, 1e-3f}, Row{1e3f, 1.0f}, Row{0.0f, 1e-6f}}) {
    const int64_t rows = 6, cols = 1000;
    std::mt19937 rng(83);
    std::normal_distribution<float> noise(0.0f, r.spread);
    std::vector<float> x(static_cast<std::size_t>(rows * cols));
    for (float& v : x) v = r.mean + noise(rng);
    double worst = 0;
    CheckLayerNorm(x, rows, cols, 84, true, &worst);
    INFO("mean " << r.mean << " spread " << r.spread << ": worst error " << worst << " of |y| terms");
    CHECK(worst < 16 * 0x1p-24);
  }
}

TEST_CASE("LayerNorm and BatchNorm results do not depend on the thread count", "[kernels][normalization]") {
  const int64_t rows = 300, cols = 1000;
  const std::vector<float> x = test::RandomFloats(rows * cols, 85, -2.0f, 2.0f);
  const std::vector<float> p = test::RandomFloats(cols, 86, 0.5f, 2.0f);
  std::vector<float> y1(x.size()), y2(x.size()), m1(rows), m2(rows);
  tbb::task_arena one(1), two(2);
  one.execute([&] { LayerNormF32(x.data(), p.data(), p.data(), y1.data(), m1.data(), nullptr, rows, cols, 1e-5f); });
  two.execute([&] { LayerNormF32(x.data(), p.data(), p.data(), y2.data(), m2.data(), nullptr, rows, cols, 1e-5f); });
  CHECK(std::memcmp(y1.data(), y2.data(), x.size() * sizeof(float)) == 0);
  CHECK(m1 == m2);
  for (int64_t inner : {1, 100}) {
    const int64_t channels = cols / inner;
    one.execute([&] { BatchNormF32(x.data(), y1.data(), p.data(), p.data(), p.data(), rows, channels, inner); });
    two.execute([&] { BatchNormF32(x.data(), y2.data(), p.data(), p.data(), p.data(), rows, channels, inner); });
    CHECK(std::memcmp(y1.data(), y2.data(), x.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("LayerNorm of an empty row gives NaN statistics and writes nothing", "[kernels][normalization]") {
  float mean[2] = {0, 0}, inv[2] = {0, 0}, scale = 1;
  LayerNormF32(nullptr, &scale, nullptr, nullptr, mean, inv, 2, 0, 1e-5f);
  CHECK(std::isnan(mean[1]));
  CHECK(std::isnan(inv[0]));
}

// BatchNormalization in double over [batch, channels, inner].
struct BatchNormParams {
  std::vector<float> scale, bias, mean, var;
};
BatchNormParams RandomParams(int64_t channels, uint32_t seed) {
  return {test::RandomFloats(channels, seed, -2.0f, 2.0f), test::RandomFloats(channels, seed + 1, -1.0f, 1.0f),
          test::RandomFloats(channels, seed + 2, -3.0f, 3.0f), test::RandomFloats(channels, seed + 3, 0.01f, 4.0f)};
}
void BatchNormReference(const std::vector<float>& x, const BatchNormParams& p, Shape shape, float epsilon,
                        std::vector<double>& y, std::vector<double>& size) {
  const int64_t channels = shape[1], inner = ElementCount(shape) / std::max<int64_t>(1, shape[0] * channels);
  y.clear(), size.clear();
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto c = static_cast<std::size_t>((static_cast<int64_t>(i) / inner) % channels);
    const double n = (x[i] - static_cast<double>(p.mean[c])) / std::sqrt(p.var[c] + static_cast<double>(epsilon)) * p.scale[c];
    y.push_back(n + p.bias[c]);
    size.push_back(std::fabs(n) + std::fabs(p.bias[c]));
  }
}

TEST_CASE("BatchNorm matches a double reference on every target and layout", "[kernels][normalization]") {
  for (const Shape& shape : {Shape{4, 3}, Shape{2, 37}, Shape{2, 3, 7}, Shape{3, 5, 33}, Shape{2, 4, 10, 100}, Shape{0, 3, 2}}) {
    const int64_t channels = shape[1], inner = ElementCount(shape) / std::max<int64_t>(1, shape[0] * channels);
    const std::vector<float> x = test::RandomFloats(ElementCount(shape), 91, -4.0f, 4.0f);
    const BatchNormParams p = RandomParams(channels, 92);
    const float epsilon = 1e-5f;
    std::vector<double> ref, size;
    BatchNormReference(x, p, shape, epsilon, ref, size);
    std::vector<float> scale(static_cast<std::size_t>(channels));
    BatchNormScale(p.scale.data(), p.var.data(), epsilon, scale.data(), channels);
    test::ForEachTarget([&](const char* target) {
      INFO(target << " " << ShapeToString(shape));
      std::vector<float> y(x.size() + 1, -3.0f);
      BatchNormF32(x.data(), y.data(), p.mean.data(), scale.data(), p.bias.data(), shape[0], channels, inner);
      for (std::size_t i = 0; i < x.size(); ++i) CHECK(Near(y[i], ref[i], size[i]));
      CHECK(y.back() == -3.0f);
      std::vector<float> in_place = x;
      BatchNormF32(in_place.data(), in_place.data(), p.mean.data(), scale.data(), p.bias.data(), shape[0], channels, inner);
      CHECK((x.empty() || std::memcmp(in_place.data(), y.data(), x.size() * sizeof(float)) == 0));
    });
  }
}

TEST_CASE("BatchNorm keeps a channel whose mean dwarfs its spread accurate", "[kernels][normalization]") {
  // x ~ 1000 +- 0.1 with var 0.01: folded into x * a + b, both terms are ~1e4 and their
  // difference ~1, so 4 of the float's 7 digits would be lost.
  const int64_t channels = 2, inner = 500;
  std::vector<float> x(static_cast<std::size_t>(channels * inner));
  std::mt19937 rng(93);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  for (float& v : x) v = 1000.0f + u(rng);
  const BatchNormParams p{{1.5f, -0.5f}, {0.25f, 2.0f}, {1000.0f, 1000.01f}, {0.01f, 0.004f}};
  std::vector<double> ref, size;
  BatchNormReference(x, p, {1, channels, inner}, 1e-5f, ref, size);
  float scale[2];
  BatchNormScale(p.scale.data(), p.var.data(), 1e-5f, scale, channels);
  test::ForEachTarget([&](const char* target) {
    std::vector<float> y(x.size());
    BatchNormF32(x.data(), y.data(), p.mean.data(), scale, p.bias.data(), 1, channels, inner);
    double worst = 0;
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(y[i] - ref[i]) / size[i]);
    INFO(target << " worst error " << worst << " of |y| terms");
    CHECK(worst < 8 * 0x1p-24);
  });
}

TEST_CASE("LayerNormalization kernel reads axis, epsilon, optional B, Mean and InvStdDev",
          "[kernels][normalization][kernel:LayerNormalization]") {
  const Shape shape = {2, 3, 4};
  const std::vector<float> xv = test::RandomFloats(24, 94, -2.0f, 2.0f);
  const Tensor x = Tensor::FromVector(xv, shape);
  struct Case {
    int64_t axis;
    Shape scale_shape;  // broadcast to the normalized dims when smaller
    bool bias;
  };
  for (const Case& c : {Case{-1, {4}, true}, Case{1, {3, 4}, true}, Case{1, {4}, false}, Case{1, {3, 1}, true},
                        Case{0, {1}, true}}) {
    for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {
      INFO("axis " << c.axis << " Scale " << ShapeToString(c.scale_shape) << (c.bias ? " with B" : "")
                   << (constants == test::Constants::kAll ? " constants" : " fed"));
      const int64_t axis = c.axis < 0 ? c.axis + 3 : c.axis;
      int64_t rows = 1, cols = 1;
      for (int64_t k = 0; k < 3; ++k) (k < axis ? rows : cols) *= shape[k];
      const std::vector<float> sv = test::RandomFloats(ElementCount(c.scale_shape), 95, 0.5f, 2.0f);
      const std::vector<float> bv = test::RandomFloats(ElementCount(c.scale_shape), 96, -1.0f, 1.0f);
      const Tensor scale = Tensor::FromVector(sv, c.scale_shape), bias = Tensor::FromVector(bv, c.scale_shape);
      // The test's own broadcast of the parameter to cols values (right-aligned, as numpy).
      auto expand = [&](const std::vector<float>& v) {
        std::vector<float> out(static_cast<std::size_t>(cols));
        const Shape norm(shape.begin() + axis, shape.end());
        for (int64_t i = 0; i < cols; ++i) {
          int64_t rest = i, offset = 0, stride = 1;
          for (std::size_t k = norm.size(); k-- > 0;) {
            const int64_t index = rest % norm[k];
            rest /= norm[k];
            const std::size_t pk = k + c.scale_shape.size() - norm.size();
            if (k + c.scale_shape.size() >= norm.size() && c.scale_shape[pk] != 1) offset += index * stride;
            if (k + c.scale_shape.size() >= norm.size()) stride *= c.scale_shape[pk];
          }
          out[static_cast<std::size_t>(i)] = v[static_cast<std::size_t>(offset)];
        }
        return out;
      };
      const std::vector<float> full_scale = expand(sv), full_bias = expand(bv);
      const LayerNormRef ref = LayerNormReference(xv, full_scale, c.bias ? &full_bias : nullptr, rows, cols, 1e-3f);
      Shape stats_shape = shape;
      for (int64_t k = axis; k < 3; ++k) stats_shape[k] = 1;
      Tensor y = Tensor::Zeros(DType::kF32, shape), mean = Tensor::Zeros(DType::kF32, stats_shape),
             inv = Tensor::Zeros(DType::kF32, stats_shape);
      std::vector<const Tensor*> inputs = {&x, &scale};
      if (c.bias) inputs.push_back(&bias);
      test::RunKernel("LayerNormalization", inputs, {&y, &mean, &inv},
                      {{"axis", Attribute(c.axis)}, {"epsilon", Attribute(1e-3f)}}, constants);
      const std::vector<float> got = y.ToFloatVector(), m = mean.ToFloatVector(), s = inv.ToFloatVector();
      for (std::size_t i = 0; i < got.size(); ++i) CHECK(Near(got[i], ref.y[i], ref.size[i]));
      for (int64_t r = 0; r < rows; ++r) {
        CHECK(m[r] == Approx(ref.mean[r]).margin(1e-6));
        CHECK(s[r] == Approx(ref.inv_std[r]).epsilon(1e-6));
      }
      // Y alone (the statistics' outputs left off).
      Tensor y_only = Tensor::Zeros(DType::kF32, shape);
      test::RunKernel("LayerNormalization", inputs, {&y_only}, {{"axis", Attribute(c.axis)}, {"epsilon", Attribute(1e-3f)}},
                      constants);
      CHECK(y_only.ToFloatVector() == got);
    }
  }
}

TEST_CASE("BatchNormalization kernel folds constant statistics once, or uses fed ones",
          "[kernels][normalization][kernel:BatchNormalization]") {
  for (const Shape& shape : {Shape{2, 3, 4, 5}, Shape{5, 3}, Shape{1, 3, 1}}) {
    const std::vector<float> xv = test::RandomFloats(ElementCount(shape), 97, -3.0f, 3.0f);
    const BatchNormParams p = RandomParams(3, 98);
    std::vector<double> ref, size;
    BatchNormReference(xv, p, shape, 1e-3f, ref, size);
    const Tensor x = Tensor::FromVector(xv, shape), scale = Tensor::FromVector(p.scale, {3}),
                 bias = Tensor::FromVector(p.bias, {3}), mean = Tensor::FromVector(p.mean, {3}),
                 var = Tensor::FromVector(p.var, {3});
    for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {
      INFO(ShapeToString(shape) << (constants == test::Constants::kAll ? " folded" : " fed"));
      Tensor y = Tensor::Zeros(DType::kF32, shape);
      test::RunKernel("BatchNormalization", {&x, &scale, &bias, &mean, &var}, {&y},
                      {{"epsilon", Attribute(1e-3f)}, {"momentum", Attribute(0.99f)}}, constants);
      const std::vector<float> got = y.ToFloatVector();
      for (std::size_t i = 0; i < got.size(); ++i) CHECK(Near(got[i], ref[i], size[i]));
    }
  }
}

TEST_CASE("BatchNormalization statistics that are parameters are folded again when they change",
          "[kernels][normalization]") {
  const BatchNormParams p = RandomParams(4, 102);
  graph::GraphBuilder b("bn");
  auto x = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("n"), 4, 3}));
  b.Output(b.Op("BatchNormalization", {x, b.Weight("scale", Tensor::FromVector(p.scale, {4})),
                                       b.Weight("bias", Tensor::FromVector(p.bias, {4})),
                                       b.Weight("mean", Tensor::FromVector(p.mean, {4})),
                                       b.Weight("var", Tensor::FromVector(p.var, {4}))}),
           "y");
  runtime::ExecutorOptions options;
  options.parameters = {"var", "mean"};
  runtime::Executor executor(b.Build(), options);
  const std::vector<float> xv = test::RandomFloats(24, 103, -2.0f, 2.0f);
  const std::vector<Tensor> inputs = {Tensor::FromVector(xv, {2, 4, 3})};
  auto check = [&](const BatchNormParams& now) {
    std::vector<double> ref, size;
    BatchNormReference(xv, now, {2, 4, 3}, 1e-5f, ref, size);
    const std::vector<float> y = executor.Run(*executor.PlanFor(inputs), inputs)[0].ToFloatVector();
    for (std::size_t i = 0; i < y.size(); ++i) CHECK(Near(y[i], ref[i], size[i]));
  };
  check(p);
  BatchNormParams changed = p;
  changed.var = {0.5f, 1.0f, 2.0f, 4.0f};
  changed.mean = {1.0f, -1.0f, 0.5f, 0.0f};
  executor.SetParameter("var", Tensor::FromVector(changed.var, {4}));
  executor.SetParameter("mean", Tensor::FromVector(changed.mean, {4}));
  check(changed);
}

}  // namespace
}  // namespace axon::kernels

namespace axon::kernels {
namespace {

// `axon_tests "[.report]" -s` prints the measured accuracy (not run by default): the worst error
// of each element relative to the scale of its terms (see LayerNormRef), in units of 2^-24.
TEST_CASE("normalization accuracy report", "[.report]") {
  struct Row {
    float mean, spread;
  };
  for (const Row r : {Row{0.0f, 1.0f}, Row{1e4f, 1e-2f}, Row{-3e3f, 1e-3f}}) {
    const int64_t rows = 64, cols = 768;
    std::mt19937 rng(99);
    std::normal_distribution<float> noise(0.0f, r.spread);
    std::vector<float> x(static_cast<std::size_t>(rows * cols));
    for (float& v : x) v = r.mean + noise(rng);
    const std::vector<float> scale = test::RandomFloats(cols, 100, -2.0f, 2.0f), bias = test::RandomFloats(cols, 101, -1.0f, 1.0f);
    const LayerNormRef ref = LayerNormReference(x, scale, &bias, rows, cols, 1e-5f);
    test::ForEachTarget([&](const char* target) {
      std::vector<float> y(x.size());
      LayerNormF32(x.data(), scale.data(), bias.data(), y.data(), nullptr, nullptr, rows, cols, 1e-5f);
      double worst = 0;
      for (std::size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::fabs(y[i] - ref.y[i]) / ref.size[i]);
      std::printf("LayerNorm [64,768] mean %-6g spread %-6g %-6s worst %.2f ulps\n", r.mean, r.spread, target,
                  worst / 0x1p-24);
    });
  }
}

}  // namespace
}  // namespace axon::kernels
