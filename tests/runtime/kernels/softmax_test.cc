#include "runtime/kernels/softmax.h"

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
#include "graph/shape.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Shape = std::vector<int64_t>;

std::vector<float> Random(int64_t n, uint32_t seed, float lo = -10.0f, float hi = 10.0f) {
  return test::RandomFloats(n, seed, lo, hi);
}

// [outer, axis_len, inner] of a shape around an axis, the test's own reference view.
struct AxisView {
  int64_t outer, axis_len, inner;
};
AxisView ViewAroundAxis(const Shape& shape, int64_t axis) {
  const auto rank = static_cast<int64_t>(shape.size());
  if (rank == 0) return {1, 1, 1};
  if (axis < 0) axis += rank;
  AxisView v{1, shape[axis], 1};
  for (int64_t i = 0; i < axis; ++i) v.outer *= shape[i];
  for (int64_t i = axis + 1; i < rank; ++i) v.inner *= shape[i];
  return v;
}

std::vector<double> Reference(const std::vector<float>& x, AxisView v, bool log) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < v.outer; ++o) {
    for (int64_t j = 0; j < v.inner; ++j) {
      auto at = [&](int64_t a) { return (o * v.axis_len + a) * v.inner + j; };
      double max = -INFINITY;
      for (int64_t a = 0; a < v.axis_len; ++a) max = std::max(max, double(x[at(a)]));
      double sum = 0;
      for (int64_t a = 0; a < v.axis_len; ++a) sum += std::exp(double(x[at(a)]) - max);
      for (int64_t a = 0; a < v.axis_len; ++a)
        y[at(a)] = log ? double(x[at(a)]) - max - std::log(sum) : std::exp(double(x[at(a)]) - max) / sum;
    }
  }
  return y;
}

// Float rounding of x - max (up to |x - max| * 2^-24 relative through exp), the 1-ulp exp, a
// sum over up to 1000 terms and the final scaling stay well inside these bounds for inputs in
// [-10, 10]; a missing term or a wrong axis is off by orders of magnitude more.
bool Close(float y, double r, bool log) {
  return log ? std::fabs(y - r) <= 1e-5 * std::max(1.0, std::fabs(r)) : std::fabs(y - r) <= 1e-5 * r + 1e-12;
}

struct Case {
  Shape shape;
  int64_t axis;
};

const Case kCases[] = {
    {{0}, -1},        {{1}, 0},          {{7}, -1},         {{33}, 0},         {{1000}, -1},
    {{}, -1},         {{3, 0}, 0},       {{0, 5}, 1},       {{7, 33}, 1},      {{7, 33}, -1},
    {{7, 33}, 0},     {{33, 7}, -2},     {{2, 3, 4, 5}, 1}, {{2, 3, 4, 5}, 2}, {{2, 3, 4, 5}, 0},
    {{3, 1000}, 1},   {{1000, 3}, 0},    {{5, 300, 40}, 1},  // 40 columns: vectors plus partial ones
    {{2, 1, 700}, 1}, {{1, 7, 1}, 1},    {{4, 1000}, 0},
};

TEST_CASE("Softmax and LogSoftmax match double references on every target and layout", "[kernels][softmax]") {
  for (const Case& c : kCases) {
    const AxisView v = ViewAroundAxis(c.shape, c.axis);
    const std::vector<float> x = Random(ElementCount(c.shape), 11);
    for (bool log : {false, true}) {
      const std::vector<double> expected = Reference(x, v, log);
      test::ForEachTarget([&](const char*) {
        INFO((log ? "LogSoftmax " : "Softmax ") << ShapeToString(c.shape) << " axis " << c.axis);
        std::vector<float> y(x.size() + 1, -3.0f);
        (log ? LogSoftmaxF32 : SoftmaxF32)(x.data(), y.data(), v.outer, v.axis_len, v.inner);
        std::size_t bad = 0, first = 0;
        for (std::size_t i = 0; i < x.size(); ++i)
          if (!Close(y[i], expected[i], log) && bad++ == 0) first = i;
        INFO("first bad element " << first << ": " << (bad ? y[first] : 0.0f) << " vs "
                                  << (bad ? expected[first] : 0.0));
        CHECK(bad == 0);
        CHECK(y.back() == -3.0f);

        std::vector<float> in_place = x;
        (log ? LogSoftmaxF32 : SoftmaxF32)(in_place.data(), in_place.data(), v.outer, v.axis_len, v.inner);
        CHECK((x.empty() || std::memcmp(in_place.data(), y.data(), x.size() * sizeof(float)) == 0));
      });
    }
  }
}

TEST_CASE("Softmax is stable for huge inputs and handles -inf", "[kernels][softmax]") {
  const float inf = std::numeric_limits<float>::infinity();
  test::ForEachTarget([&](const char*) {
    // Without subtracting the max, exp(1000) overflows and every output is NaN.
    const std::vector<float> big = {1000.0f, 1001.0f, 999.0f, -1000.0f, 1001.0f};
    const double e = std::exp(1.0), s = 1 / e + 2 + 1 / (e * e);  // relative to exp(1001)
    std::vector<float> y(big.size());
    SoftmaxF32(big.data(), y.data(), 1, 5, 1);
    CHECK(y[0] == Approx(1 / e / s).epsilon(1e-6));
    CHECK(y[1] == Approx(1 / s).epsilon(1e-6));
    CHECK(y[3] == 0.0f);
    LogSoftmaxF32(big.data(), y.data(), 1, 5, 1);
    CHECK(y[1] == Approx(-std::log(s)).epsilon(1e-6));
    CHECK(y[3] == Approx(-2001 - std::log(s)).epsilon(1e-6));

    const std::vector<float> with_inf = {-inf, 0.0f, 0.0f, -inf};
    SoftmaxF32(with_inf.data(), y.data(), 1, 4, 1);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == 0.5f);
    // Strided: columns {-inf, 0} and {0, -inf} along an axis of length 2.
    SoftmaxF32(with_inf.data(), y.data(), 1, 2, 2);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == 1.0f);
    CHECK(y[2] == 1.0f);
    CHECK(y[3] == 0.0f);
    LogSoftmaxF32(with_inf.data(), y.data(), 1, 4, 1);
    CHECK(y[0] == -inf);
    CHECK(y[1] == Approx(-std::log(2.0)).epsilon(1e-6));

    const std::vector<float> all_inf = {-inf, -inf, -inf};  // documented: no distribution exists
    SoftmaxF32(all_inf.data(), y.data(), 1, 3, 1);
    CHECK(std::isnan(y[0]));
  });
}

TEST_CASE("A NaN anywhere in a row makes the whole row NaN, on every target", "[kernels][softmax]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  test::ForEachTarget([&](const char*) {
    for (int64_t len : {3, 17, 40}) {  // shorter than, and spanning, a vector
      for (int64_t at : {int64_t{0}, len / 2, len - 1}) {
        std::vector<float> x = Random(len * 2, 21);
        x[at] = nan;  // row 0 only; row 1 stays finite
        for (bool log : {false, true}) {
          INFO("len=" << len << " NaN at " << at << (log ? " LogSoftmax" : " Softmax"));
          std::vector<float> y(x.size());
          (log ? LogSoftmaxF32 : SoftmaxF32)(x.data(), y.data(), 2, len, 1);
          for (int64_t i = 0; i < len; ++i) CHECK(std::isnan(y[i]));
          for (int64_t i = len; i < 2 * len; ++i) CHECK(std::isfinite(y[i]));
          // Strided layout: the same values with the axis outermost (outer 1, inner 2).
          std::vector<float> xt(x.size()), yt(x.size());
          for (int64_t i = 0; i < len; ++i) xt[i * 2] = x[i], xt[i * 2 + 1] = x[len + i];
          (log ? LogSoftmaxF32 : SoftmaxF32)(xt.data(), yt.data(), 1, len, 2);
          for (int64_t i = 0; i < len; ++i) {
            CHECK(std::isnan(yt[i * 2]));
            CHECK(std::isfinite(yt[i * 2 + 1]));
          }
        }
      }
    }
  });
}

TEST_CASE("Softmax results do not depend on the thread count", "[kernels][softmax]") {
  const std::vector<float> x = Random(200 * 1000, 12);
  for (AxisView v : {AxisView{200, 1000, 1}, AxisView{2, 100, 1000}}) {
    std::vector<float> y1(x.size()), y2(x.size());
    tbb::task_arena one(1), two(2);
    one.execute([&] { SoftmaxF32(x.data(), y1.data(), v.outer, v.axis_len, v.inner); });
    two.execute([&] { SoftmaxF32(x.data(), y2.data(), v.outer, v.axis_len, v.inner); });
    CHECK(std::memcmp(y1.data(), y2.data(), x.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("NormalizeAxis, the one axis rule, counts negative axes from the back and rejects bad ones",
          "[kernels][softmax]") {
  CHECK(graph::NormalizeAxis(-2, 4) == 2);
  CHECK(graph::NormalizeAxis(0, 2) == 0);
  CHECK(graph::NormalizeAxis(-1, 0) == 0);  // a scalar: one row of length 1
  CHECK_FALSE(graph::NormalizeAxis(2, 2));
  CHECK_FALSE(graph::NormalizeAxis(-3, 2));
  // And the ops refuse such an axis before any kernel runs.
  const Tensor x = Tensor::Zeros(DType::kF32, {2, 3});
  Tensor y = Tensor::Zeros(DType::kF32, {2, 3});
  CHECK_THROWS_AS(test::RunKernel("Softmax", {&x}, {&y}, {{"axis", graph::Attribute(int64_t{2})}}), Error);
  CHECK_THROWS_AS(test::RunKernel("LogSoftmax", {&x}, {&y}, {{"axis", graph::Attribute(int64_t{-3})}}), Error);
}

TEST_CASE("Softmax and LogSoftmax kernels read axis, default -1", "[kernels][softmax][kernel:Softmax][kernel:LogSoftmax]") {
  const Shape shape = {3, 4, 5};
  const std::vector<float> xv = Random(60, 13);
  const Tensor x = Tensor::FromVector(xv, shape);
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    const bool log = std::string(op) == "LogSoftmax";
    for (int64_t axis : {-1, 0, 1, 2, -3}) {
      INFO(op << " axis " << axis);
      Tensor y = Tensor::Zeros(DType::kF32, shape);
      test::RunKernel(op, {&x}, {&y}, {{"axis", graph::Attribute(axis)}});
      const std::vector<double> expected = Reference(xv, ViewAroundAxis(shape, axis), log);
      const std::vector<float> got = y.ToFloatVector();
      for (std::size_t i = 0; i < got.size(); ++i) CHECK(Close(got[i], expected[i], log));
    }
    Tensor y = Tensor::Zeros(DType::kF32, shape);
    test::RunKernel(op, {&x}, {&y}, {});  // no attribute: the last axis
    const std::vector<double> expected = Reference(xv, ViewAroundAxis(shape, -1), log);
    const std::vector<float> got = y.ToFloatVector();
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(Close(got[i], expected[i], log));
  }
}

}  // namespace
}  // namespace axon::kernels

namespace axon::kernels {
namespace {

// `axon_tests "[.report]" -s` prints the measured accuracy (not run by default).
TEST_CASE("softmax accuracy report", "[.report]") {
  const std::vector<float> x = Random(64 * 1000, 21);
  for (AxisView v : {AxisView{64, 1000, 1}, AxisView{8, 1000, 8}}) {
    for (bool log : {false, true}) {
      const std::vector<double> expected = Reference(x, v, log);
      test::ForEachTarget([&](const char* target) {
        std::vector<float> y(x.size());
        (log ? LogSoftmaxF32 : SoftmaxF32)(x.data(), y.data(), v.outer, v.axis_len, v.inner);
        double max_rel = 0, max_abs = 0;
        for (std::size_t i = 0; i < y.size(); ++i) {
          max_rel = std::max(max_rel, std::fabs(y[i] - expected[i]) / std::fabs(expected[i]));
          max_abs = std::max(max_abs, std::fabs(y[i] - expected[i]));
        }
        std::printf("%-10s [%lld,%lld,%lld] %-7s max_rel=%.3g max_abs=%.3g\n", log ? "LogSoftmax" : "Softmax",
                    static_cast<long long>(v.outer), static_cast<long long>(v.axis_len),
                    static_cast<long long>(v.inner), target, max_rel, max_abs);
      });
    }
  }
}

}  // namespace
}  // namespace axon::kernels
