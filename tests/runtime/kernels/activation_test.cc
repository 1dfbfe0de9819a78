#include "runtime/kernels/activation.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Fn = void (*)(const float*, float*, int64_t);
using RefFn = double (*)(double);

double RefRelu(double x) { return x < 0 ? 0.0 : x; }
double RefSigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double RefTanh(double x) { return std::tanh(x); }
double RefExp(double x) { return std::exp(x); }

struct Activation {
  const char* name;
  Fn fn;
  RefFn ref;
};
const Activation kActivations[] = {
    {"Relu", Relu, RefRelu}, {"Sigmoid", Sigmoid, RefSigmoid}, {"Tanh", Tanh, RefTanh}, {"Exp", Exp, RefExp}};

// The contract of activation.h: relative error where the exact result is a normal float,
// absolute error where it is subnormal (precision below FLT_MIN is absolute by nature), exact
// +-inf where the exact result overflows float, NaN for NaN.
constexpr double kMaxRelErr = 1e-6;
constexpr double kMaxSubnormalAbsErr = 1e-37;

struct ErrorStats {
  double max_rel = 0, worst_rel_x = 0;
  double max_abs_subnormal = 0;
  int64_t wrong_special = 0;  // NaN / inf / overflow cases that did not match exactly
  float first_wrong_special_x = 0;
  int64_t count = 0;
};

ErrorStats Measure(const Activation& a, const std::vector<float>& xs) {
  std::vector<float> y(xs.size());
  a.fn(xs.data(), y.data(), static_cast<int64_t>(xs.size()));
  ErrorStats s;
  s.count = static_cast<int64_t>(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double r = a.ref(xs[i]);
    const float rf = static_cast<float>(r);
    bool ok = true;
    if (std::isnan(r)) {
      ok = std::isnan(y[i]);
    } else if (std::isinf(rf)) {
      ok = y[i] == rf;
    } else if (std::fabs(r) >= FLT_MIN) {
      const double rel = std::fabs(y[i] - r) / std::fabs(r);
      if (!(rel <= s.max_rel)) {  // also catches a NaN result
        s.max_rel = std::isnan(rel) ? INFINITY : rel;
        s.worst_rel_x = xs[i];
      }
    } else {
      const double abs = std::fabs(y[i] - r);
      if (!(abs <= s.max_abs_subnormal)) s.max_abs_subnormal = std::isnan(abs) ? INFINITY : abs;
    }
    if (!ok && s.wrong_special++ == 0) s.first_wrong_special_x = xs[i];
  }
  return s;
}

void Linear(std::vector<float>& xs, double lo, double hi, double step) {
  for (double x = lo; x <= hi; x += step) xs.push_back(static_cast<float>(x));
}

// +-10^e for e in [e_lo, e_hi]: the small-|x| region where tanh and sigmoid lose precision if
// computed as 1 - something.
void LogSpaced(std::vector<float>& xs, double e_lo, double e_hi, double step) {
  for (double e = e_lo; e <= e_hi; e += step) {
    xs.push_back(static_cast<float>(std::pow(10.0, e)));
    xs.push_back(-static_cast<float>(std::pow(10.0, e)));
  }
}

std::vector<float> Specials() {
  const float inf = std::numeric_limits<float>::infinity();
  return {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
          FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, std::numeric_limits<float>::denorm_min(), 88.72f, 88.73f, 89.0f,
          100.0f, 104.0f, 105.0f, 1e10f, -87.5f, -103.9f, -104.0f, -104.1f, -1e10f};
}

// Dense sweeps over the range each function is used in, plus the extremes.
std::vector<float> SweepFor(const std::string& name) {
  std::vector<float> xs = Specials();
  const double step = 1.0 / 1024;  // 2^-10: every sweep point is an exact float
  if (name == "Tanh") {
    Linear(xs, -20, 20, step);
    LogSpaced(xs, -40, 1.3, 1e-3);
    Linear(xs, -100, 100, 0.25);
  } else if (name == "Exp") {
    Linear(xs, -110, 90, step);
    LogSpaced(xs, 1.9, 38.5, 1e-3);  // +-80 .. +-FLT_MAX: overflow to inf, underflow to 0
  } else {
    Linear(xs, -80, 80, step);
    Linear(xs, -120, 120, 1.0 / 64);
    LogSpaced(xs, -40, 1.3, 1e-3);
  }
  return xs;
}

TEST_CASE("activations meet their accuracy contract on every target", "[kernels][activation]") {
  for (const Activation& a : kActivations) {
    const std::vector<float> xs = SweepFor(a.name);
    test::ForEachTarget([&](const char*) {
      INFO(a.name);
      const ErrorStats s = Measure(a, xs);
      INFO("worst relative error at x = " << s.worst_rel_x);
      CHECK(s.max_rel <= kMaxRelErr);
      CHECK(s.max_abs_subnormal <= kMaxSubnormalAbsErr);
      INFO("first wrong special case at x = " << s.first_wrong_special_x);
      CHECK(s.wrong_special == 0);
    });
  }
}

TEST_CASE("Relu is exact and keeps NaN", "[kernels][activation]") {
  const std::vector<float> xs = SweepFor("Relu");
  test::ForEachTarget([&](const char*) {
    std::vector<float> y(xs.size());
    Relu(xs.data(), y.data(), static_cast<int64_t>(xs.size()));
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (std::isnan(xs[i])) {
        CHECK(std::isnan(y[i]));
      } else {
        CHECK(y[i] == static_cast<float>(RefRelu(xs[i])));
      }
    }
  });
}

TEST_CASE("activations handle every size and tail, in place too, without writing past n",
          "[kernels][activation]") {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-12.0f, 12.0f);
  constexpr float kSentinel = -12345.0f;
  constexpr int kGuard = 17;  // longer than any vector, so an over-long tail store is caught
  for (int64_t n : {0, 1, 7, 15, 16, 17, 33, 1000, 40000}) {
    std::vector<float> x(n);
    for (float& v : x) v = dist(rng);
    for (const Activation& a : kActivations) {
      test::ForEachTarget([&](const char*) {
        INFO(a.name << " n = " << n);
        std::vector<float> y(n + kGuard, kSentinel);
        a.fn(x.data(), y.data(), n);
        std::vector<float> in_place = x;
        a.fn(in_place.data(), in_place.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          const double r = a.ref(x[i]);
          CHECK(std::fabs(y[i] - r) <= kMaxRelErr * std::fabs(r));
          CHECK(in_place[i] == y[i]);
        }
        for (int64_t i = n; i < n + kGuard; ++i) CHECK(y[i] == kSentinel);
      });
    }
  }
}

TEST_CASE("activation results do not depend on the thread count", "[kernels][activation]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-30.0f, 30.0f);
  std::vector<float> x(100003);  // several parallel blocks plus a tail
  for (float& v : x) v = dist(rng);
  for (const Activation& a : kActivations) {
    std::vector<float> y1(x.size()), y2(x.size());
    tbb::task_arena one(1), two(2);
    one.execute([&] { a.fn(x.data(), y1.data(), static_cast<int64_t>(x.size())); });
    two.execute([&] { a.fn(x.data(), y2.data(), static_cast<int64_t>(x.size())); });
    INFO(a.name);
    CHECK(std::memcmp(y1.data(), y2.data(), x.size() * sizeof(float)) == 0);
  }
}

// Exp and Sigmoid take a slower path for a whole vector when one lane is out of the short range
// (|x| >= 87, inf, NaN); the other lanes must get the same bits as they would without that
// neighbour, or a result would depend on where an array starts or how a tile is cut.
TEST_CASE("an activation's result for x does not depend on the other lanes of its vector", "[kernels][activation]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float wide[] = {100.0f, -100.0f, 88.5f, -87.5f, inf, -inf, std::numeric_limits<float>::quiet_NaN()};
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-86.0f, 86.0f);
  std::vector<float> plain(4096);
  for (float& v : plain) v = dist(rng);
  std::vector<float> mixed = plain;
  for (std::size_t i = 0; i < mixed.size(); i += 5) mixed[i] = wide[i % 7];  // one in 5: in most vectors
  for (const Activation& a : kActivations) {
    test::ForEachTarget([&](const char*) {
      INFO(a.name);
      std::vector<float> y_plain(plain.size()), y_mixed(mixed.size());
      a.fn(plain.data(), y_plain.data(), static_cast<int64_t>(plain.size()));
      a.fn(mixed.data(), y_mixed.data(), static_cast<int64_t>(mixed.size()));
      int64_t differ = 0;
      for (std::size_t i = 0; i < plain.size(); ++i)
        if (i % 5 != 0 && std::memcmp(&y_plain[i], &y_mixed[i], sizeof(float)) != 0) ++differ;
      CHECK(differ == 0);
    });
  }
}

// tanh(±0) = ±0, as IEEE and PyTorch give (the last step ors in the sign of x).
TEST_CASE("Tanh keeps the sign of zero", "[kernels][activation]") {
  const float x[2] = {0.0f, -0.0f};
  test::ForEachTarget([&](const char*) {
    float y[2] = {1.0f, 1.0f};
    Tanh(x, y, 2);
    CHECK(y[0] == 0.0f);
    CHECK_FALSE(std::signbit(y[0]));
    CHECK(y[1] == 0.0f);
    CHECK(std::signbit(y[1]));
  });
}

// The rational saturates at exactly ±1 from |x| >= 9.2 (the clamp) to ±inf, and never exceeds 1 in
// magnitude on the way there, where its float rounding alone would (activation-inl.h). Tiny and
// subnormal x come back exactly (P(0) = Q(0), and x² underflows to 0).
TEST_CASE("Tanh saturates at exactly +-1 and never exceeds it", "[kernels][activation]") {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> xs;
  for (float x = 6.0f; x <= 9.5f; x = std::nextafter(x, inf)) {  // every float: 3.7M
    xs.push_back(x);
    xs.push_back(-x);
  }
  const std::vector<float> flat = {9.2f, 9.21f, 10.0f, 88.0f, 1e10f, FLT_MAX, inf};
  const std::vector<float> tiny = {1e-20f, 1e-30f, FLT_MIN, 1e-40f, std::numeric_limits<float>::denorm_min()};
  test::ForEachTarget([&](const char*) {
    std::vector<float> y(xs.size());
    Tanh(xs.data(), y.data(), static_cast<int64_t>(xs.size()));
    float max_abs = 0;
    for (float v : y) max_abs = std::max(max_abs, std::fabs(v));
    CHECK(max_abs <= 1.0f);
    for (float x : flat) {
      for (float sx : {x, -x}) {
        float r;
        Tanh(&sx, &r, 1);
        INFO("tanh(" << sx << ") = " << r);
        CHECK(r == std::copysign(1.0f, sx));
      }
    }
    for (float x : tiny) {
      for (float sx : {x, -x}) {
        float r;
        Tanh(&sx, &r, 1);
        INFO("tanh(" << sx << ") = " << r);
        CHECK(r == sx);
      }
    }
  });
}

TEST_CASE("Relu, Sigmoid and Tanh kernels are registered and map input 0 to output 0", "[kernels][activation][kernel:Relu][kernel:Sigmoid][kernel:Tanh]") {
  const std::vector<int64_t> shape = {2, 3, 5};
  std::vector<float> values(30);
  for (int i = 0; i < 30; ++i) values[i] = (i - 15) * 0.37f;
  const Tensor x = Tensor::FromVector(values, shape);
  for (const Activation& a : kActivations) {
    if (std::string(a.name) == "Exp") continue;  // the Exp op is tested with the other math ops (unary_test.cc)
    INFO(a.name);
    Tensor y = Tensor::Zeros(DType::kF32, shape);
    test::RunKernel(a.name, {&x}, {&y});
    std::vector<float> expected(30);
    a.fn(values.data(), expected.data(), 30);
    CHECK(y.ToFloatVector() == expected);

    Tensor wrong = Tensor::Zeros(DType::kF32, {30});
    CHECK_THROWS_AS(test::RunKernel(a.name, {&x}, {&wrong}), Error);
  }
}

// `axon_tests "[.report]" -s` prints the measured accuracy table (not run by default).
TEST_CASE("activation accuracy report", "[.report]") {
  for (const Activation& a : kActivations) {
    const std::vector<float> xs = SweepFor(a.name);
    test::ForEachTarget([&](const char* target) {
      const ErrorStats s = Measure(a, xs);
      std::printf("%-8s %-7s points=%-7lld max_rel=%.3g (x=%.9g) max_abs_subnormal=%.3g wrong_special=%lld\n",
                  a.name, target, static_cast<long long>(s.count), s.max_rel, s.worst_rel_x, s.max_abs_subnormal,
                  static_cast<long long>(s.wrong_special));
    });
  }
}

}  // namespace
}  // namespace axon::kernels
