#include "runtime/kernels/unary.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "graph/builder.h"
#include "runtime/executor.h"
#include "runtime/kernels/activation.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Fn = void (*)(const float*, float*, int64_t);
using RefFn = double (*)(double);

// The ONNX defaults of the ops with attributes, as the float attributes a model carries.
constexpr float kLeakyAlpha = 0.01f;
constexpr float kEluAlpha = 1.0f;
constexpr float kSeluAlpha = 1.67326319217681884765625f;
constexpr float kSeluGamma = 1.05070102214813232421875f;
constexpr float kHardSigmoidAlpha = 0.2f;
constexpr float kHardSigmoidBeta = 0.5f;

// Double-precision references: the ONNX formula, with the float parameters the kernel gets, and
// with expm1/log1p where the formula would cancel in double too.
double RefLog(double x) { return std::log(x); }
double RefSqrt(double x) { return std::sqrt(x); }
double RefNeg(double x) { return -x; }
double RefAbs(double x) { return std::fabs(x); }
double RefErf(double x) { return std::erf(x); }
double RefReciprocal(double x) { return 1.0 / x; }
double RefSoftplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
double RefHardSwish(double x) {
  if (std::isnan(x)) return x;
  return x * std::max(0.0, std::min(1.0, x / 6 + 0.5));
}
double RefLeakyRelu(double x) { return x < 0 ? double{kLeakyAlpha} * x : x; }
double RefElu(double x) { return x < 0 ? double{kEluAlpha} * std::expm1(x) : x; }
double RefSelu(double x) {
  return x > 0 ? double{kSeluGamma} * x : double{kSeluGamma} * double{kSeluAlpha} * std::expm1(x);
}
double RefHardSigmoid(double x) {
  const double t = double{kHardSigmoidAlpha} * x + double{kHardSigmoidBeta};
  return std::isnan(t) ? t : std::max(0.0, std::min(1.0, t));
}

void LeakyReluDefault(const float* x, float* y, int64_t n) { LeakyRelu(x, y, n, kLeakyAlpha); }
void EluDefault(const float* x, float* y, int64_t n) { Elu(x, y, n, kEluAlpha); }
void SeluDefault(const float* x, float* y, int64_t n) { Selu(x, y, n, kSeluAlpha, kSeluGamma); }
void HardSigmoidDefault(const float* x, float* y, int64_t n) { HardSigmoid(x, y, n, kHardSigmoidAlpha, kHardSigmoidBeta); }

// Absolute slack on top of the relative bound: only HardSigmoid needs one (its multiply-add
// cancels near its kink; see unary.h).
double NoSlack(double) { return 0; }
double HardSigmoidSlack(double x) { return 0x1p-23 * std::fabs(double{kHardSigmoidAlpha} * x); }

struct Function {
  const char* name;
  Fn fn;
  RefFn ref;
  double max_rel;  // the contract of unary.h; 0: exact, bit for bit with the rounded reference
  double (*slack)(double) = NoSlack;
};
const Function kFunctions[] = {
    {"Log", Log, RefLog, 1.5e-7},
    {"Sqrt", Sqrt, RefSqrt, 0},
    {"Neg", Neg, RefNeg, 0},
    {"Abs", Abs, RefAbs, 0},
    {"Erf", Erf, RefErf, 8e-7},
    {"Reciprocal", Reciprocal, RefReciprocal, 0},
    {"Softplus", Softplus, RefSoftplus, 5e-7},
    {"HardSwish", HardSwish, RefHardSwish, 2.5e-7},
    {"LeakyRelu", LeakyReluDefault, RefLeakyRelu, 0},
    {"Elu", EluDefault, RefElu, 2e-7},
    {"Selu", SeluDefault, RefSelu, 3e-7},
    {"HardSigmoid", HardSigmoidDefault, RefHardSigmoid, 1e-7, HardSigmoidSlack},
};

constexpr double kMaxSubnormalAbsErr = 1e-37;

struct ErrorStats {
  double max_rel = 0, worst_rel_x = 0;
  double max_abs_subnormal = 0;
  int64_t wrong = 0;  // NaN / inf cases that did not match, and exact functions off by any bit
  float first_wrong_x = 0;
  int64_t count = 0;
};

ErrorStats Measure(const Function& f, const std::vector<float>& xs) {
  std::vector<float> y(xs.size());
  f.fn(xs.data(), y.data(), static_cast<int64_t>(xs.size()));
  ErrorStats s;
  s.count = static_cast<int64_t>(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double r = f.ref(xs[i]);
    const float rf = static_cast<float>(r);
    bool ok = true;
    if (std::isnan(r)) {
      ok = std::isnan(y[i]);
    } else if (std::isinf(rf) || f.max_rel == 0) {
      ok = y[i] == rf;
    } else if (std::fabs(r) >= FLT_MIN || f.slack(xs[i]) > 0) {
      const double err = std::fabs(y[i] - r);
      const double excess = err > f.slack(xs[i]) ? err - f.slack(xs[i]) : (std::isnan(err) ? err : 0.0);
      const double rel = excess == 0 ? 0 : excess / std::fabs(r);
      if (!(rel <= s.max_rel)) {  // also catches a NaN result
        s.max_rel = std::isnan(rel) ? INFINITY : rel;
        s.worst_rel_x = xs[i];
      }
    } else {
      const double abs = std::fabs(y[i] - r);
      if (!(abs <= s.max_abs_subnormal)) s.max_abs_subnormal = std::isnan(abs) ? INFINITY : abs;
    }
    if (!ok && s.wrong++ == 0) s.first_wrong_x = xs[i];
  }
  return s;
}

void Linear(std::vector<float>& xs, double lo, double hi, double step) {
  for (double x = lo; x <= hi; x += step) xs.push_back(static_cast<float>(x));
}

// ±10^e for e in [e_lo, e_hi].
void LogSpaced(std::vector<float>& xs, double e_lo, double e_hi, double step) {
  for (double e = e_lo; e <= e_hi; e += step) {
    xs.push_back(static_cast<float>(std::pow(10.0, e)));
    xs.push_back(-static_cast<float>(std::pow(10.0, e)));
  }
}

// Every float between lo and hi (both > 0) whose bit pattern is a multiple of `stride`: dense,
// uniform in ulps, over whole binades.
void ByBits(std::vector<float>& xs, float lo, float hi, uint32_t stride) {
  uint32_t b, e;
  std::memcpy(&b, &lo, 4);
  std::memcpy(&e, &hi, 4);
  for (; b <= e; b += stride) {
    float x;
    std::memcpy(&x, &b, 4);
    xs.push_back(x);
    xs.push_back(-x);
  }
}

std::vector<float> Specials() {
  const float inf = std::numeric_limits<float>::infinity();
  const float denorm = std::numeric_limits<float>::denorm_min();
  return {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
          FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, denorm, -denorm, 1e-40f, -1e-40f, 1.0f, -1.0f, 3.0f, -3.0f,
          2.5f, -2.5f, 3.92f, -3.92f, 88.72f, 89.0f, 104.0f, 105.0f, -87.5f, -103.9f, -104.0f, -104.1f, 1e10f,
          -1e10f, 1e30f, -1e30f};
}

// Every function: the specials, all binades from the smallest subnormal to FLT_MAX (sparse), and
// the region each function bends in (dense).
std::vector<float> SweepFor(const std::string& name) {
  std::vector<float> xs = Specials();
  ByBits(xs, std::numeric_limits<float>::denorm_min(), FLT_MAX, 4099);
  const double step = 1.0 / 1024;  // 2^-10: every sweep point is an exact float
  Linear(xs, -20, 20, step);
  Linear(xs, -120, 120, 1.0 / 64);
  LogSpaced(xs, -40, 38, 1e-3);
  if (name == "Log") ByBits(xs, 0.5f, 2.0f, 31);  // around 1, where log(x) -> 0
  if (name == "Erf") ByBits(xs, 0.5f, 4.0f, 17);  // where the rational nears 1
  if (name == "HardSwish") Linear(xs, -3.01, -2.99, 1.0 / (1 << 22));
  if (name == "HardSigmoid") Linear(xs, -2.51, -2.49, 1.0 / (1 << 22));
  return xs;
}

TEST_CASE("unary math meets its accuracy contract on every target", "[kernels][unary]") {
  for (const Function& f : kFunctions) {
    const std::vector<float> xs = SweepFor(f.name);
    test::ForEachTarget([&](const char*) {
      INFO(f.name);
      const ErrorStats s = Measure(f, xs);
      INFO("worst relative error at x = " << s.worst_rel_x);
      CHECK(s.max_rel <= f.max_rel);
      CHECK(s.max_abs_subnormal <= kMaxSubnormalAbsErr);
      INFO("first wrong special case at x = " << s.first_wrong_x);
      CHECK(s.wrong == 0);
    });
  }
}

bool SameBits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

float Apply(Fn fn, float x) {
  float y;
  fn(&x, &y, 1);
  return y;
}

TEST_CASE("unary math gives IEEE's special values and signed zeros on every target", "[kernels][unary]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct Case {
    Fn fn;
    const char* name;
    float x, y;  // y compared bit for bit (NaN: any NaN)
  };
  const Case cases[] = {
      {Log, "Log", 0.0f, -inf},         {Log, "Log", -0.0f, -inf},         {Log, "Log", inf, inf},
      {Log, "Log", -1.0f, nan},         {Log, "Log", -inf, nan},           {Log, "Log", 1.0f, 0.0f},
      {Sqrt, "Sqrt", -0.0f, -0.0f},     {Sqrt, "Sqrt", -1e-40f, nan},      {Sqrt, "Sqrt", inf, inf},
      {Neg, "Neg", 0.0f, -0.0f},        {Neg, "Neg", -inf, inf},           {Abs, "Abs", -0.0f, 0.0f},
      {Abs, "Abs", -inf, inf},          {Erf, "Erf", -0.0f, -0.0f},        {Erf, "Erf", inf, 1.0f},
      {Erf, "Erf", -inf, -1.0f},        {Erf, "Erf", 4.1f, 1.0f},          {Erf, "Erf", -10.0f, -1.0f},
      {Reciprocal, "Reciprocal", -0.0f, -inf}, {Reciprocal, "Reciprocal", inf, 0.0f},
      {Reciprocal, "Reciprocal", -inf, -0.0f},
      {Softplus, "Softplus", inf, inf}, {Softplus, "Softplus", -inf, 0.0f}, {Softplus, "Softplus", 1e30f, 1e30f},
      {HardSwish, "HardSwish", inf, inf}, {HardSwish, "HardSwish", -inf, nan},  // -inf·0, as ONNX's formula
      {HardSwish, "HardSwish", 3.0f, 3.0f}, {HardSwish, "HardSwish", -3.0f, -0.0f},
      {LeakyReluDefault, "LeakyRelu", -inf, -inf}, {LeakyReluDefault, "LeakyRelu", -0.0f, -0.0f},
      {EluDefault, "Elu", -inf, -1.0f}, {EluDefault, "Elu", inf, inf}, {EluDefault, "Elu", -0.0f, -0.0f},
      {SeluDefault, "Selu", -inf, -kSeluGamma * kSeluAlpha}, {SeluDefault, "Selu", inf, inf},
      {HardSigmoidDefault, "HardSigmoid", -inf, 0.0f}, {HardSigmoidDefault, "HardSigmoid", inf, 1.0f},
  };
  test::ForEachTarget([&](const char*) {
    for (const Case& c : cases) {
      INFO(c.name << "(" << c.x << ")");
      const float y = Apply(c.fn, c.x);
      if (std::isnan(c.y)) {
        CHECK(std::isnan(y));
      } else {
        CHECK(SameBits(y, c.y));
      }
    }
    for (const Function& f : kFunctions) {  // and NaN in, NaN out, for every function
      INFO(f.name);
      CHECK(std::isnan(Apply(f.fn, nan)));
      CHECK(std::isnan(Apply(f.fn, -nan)));
    }
  });
}

TEST_CASE("LeakyRelu, Elu, Selu and HardSigmoid use their parameters", "[kernels][unary]") {
  const std::vector<float> x = {-3.0f, -1.0f, -0.25f, 0.0f, 0.5f, 2.0f};
  std::vector<float> y(x.size());
  test::ForEachTarget([&](const char*) {
    LeakyRelu(x.data(), y.data(), 6, -2.0f);  // any alpha, negative too
    CHECK(y == std::vector<float>{6.0f, 2.0f, 0.5f, 0.0f, 0.5f, 2.0f});
    Elu(x.data(), y.data(), 6, 2.0f);
    for (std::size_t i = 0; i < x.size(); ++i)
      CHECK(y[i] == Approx(x[i] < 0 ? 2.0 * std::expm1(double{x[i]}) : x[i]).epsilon(1e-6));
    Selu(x.data(), y.data(), 6, 2.0f, 3.0f);
    for (std::size_t i = 0; i < x.size(); ++i)
      CHECK(y[i] == Approx(x[i] > 0 ? 3.0 * x[i] : 6.0 * std::expm1(double{x[i]})).epsilon(1e-6));
    HardSigmoid(x.data(), y.data(), 6, 0.25f, 0.25f);
    CHECK(y == std::vector<float>{0.0f, 0.0f, 0.1875f, 0.25f, 0.375f, 0.75f});
  });
}

TEST_CASE("Clip bounds, omitted bounds, crossed bounds and NaN", "[kernels][unary]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {-inf, -2.0f, -0.0f, 0.5f, 2.0f, inf, nan};
  std::vector<float> y(x.size());
  test::ForEachTarget([&](const char*) {
    Clip(x.data(), y.data(), 7, -1.0f, 1.0f);
    CHECK(std::vector<float>(y.begin(), y.end() - 1) == std::vector<float>{-1.0f, -1.0f, 0.0f, 0.5f, 1.0f, 1.0f});
    CHECK(std::isnan(y.back()));  // NaN propagates
    Clip(x.data(), y.data(), 7, -inf, 1.0f);  // no lower bound
    CHECK(std::vector<float>(y.begin(), y.end() - 1) == std::vector<float>{-inf, -2.0f, 0.0f, 0.5f, 1.0f, 1.0f});
    Clip(x.data(), y.data(), 7, 0.0f, inf);  // no upper bound
    CHECK(std::vector<float>(y.begin(), y.end() - 1) == std::vector<float>{0.0f, 0.0f, 0.0f, 0.5f, 2.0f, inf});
    CHECK(SameBits(y[2], -0.0f));  // -0 is not below 0: kept
    Clip(x.data(), y.data(), 7, 1.0f, -1.0f);  // crossed: max everywhere, as numpy
    CHECK(std::vector<float>(y.begin(), y.end() - 1) == std::vector<float>(6, -1.0f));
    CHECK(std::isnan(y.back()));
    for (auto [lo, hi] : {std::pair{nan, 1.0f}, std::pair{-1.0f, nan}}) {  // a NaN bound: NaN everywhere, as numpy
      Clip(x.data(), y.data(), 7, lo, hi);
      for (float v : y) CHECK(std::isnan(v));
    }
  });
}

TEST_CASE("unary math handles every size and tail, in place too, without writing past n", "[kernels][unary]") {
  constexpr float kSentinel = -12345.0f;
  constexpr int kGuard = 17;  // longer than any vector, so an over-long tail store is caught
  auto clip = [](const float* x, float* y, int64_t n) { Clip(x, y, n, -0.5f, 0.75f); };
  std::vector<std::pair<const char*, Fn>> fns;
  for (const Function& f : kFunctions) fns.emplace_back(f.name, f.fn);
  fns.emplace_back("Clip", clip);
  for (int64_t n : {0, 1, 7, 15, 16, 17, 33, 1000, 40000}) {
    const std::vector<float> x = test::RandomFloats(n, 42, 0.001f, 12.0f);  // positive: Log and Sqrt are defined
    std::vector<float> mixed = x;
    for (std::size_t i = 0; i < mixed.size(); i += 2) mixed[i] = -mixed[i];
    for (const auto& [name, fn] : fns) {
      const std::vector<float>& in = std::string(name) == "Log" || std::string(name) == "Sqrt" ? x : mixed;
      test::ForEachTarget([&](const char*) {
        INFO(name << " n = " << n);
        std::vector<float> y(n + kGuard, kSentinel);
        fn(in.data(), y.data(), n);
        std::vector<float> in_place = in;
        fn(in_place.data(), in_place.data(), n);
        std::size_t mismatches = 0;
        for (int64_t i = 0; i < n; ++i) {
          float one;  // the same element alone: a tail or a body lane must not change it
          fn(&in[i], &one, 1);
          if (!SameBits(y[i], one) || !SameBits(in_place[i], y[i])) ++mismatches;
        }
        CHECK(mismatches == 0);
        for (int64_t i = n; i < n + kGuard; ++i) CHECK(y[i] == kSentinel);
      });
    }
  }
}

TEST_CASE("unary math results do not depend on the thread count", "[kernels][unary]") {
  const std::vector<float> x = test::RandomFloats(100003, 7, -30.0f, 30.0f);  // several blocks plus a tail
  for (const Function& f : kFunctions) {
    std::vector<float> y1(x.size()), y2(x.size());
    tbb::task_arena one(1), two(2);
    one.execute([&] { f.fn(x.data(), y1.data(), static_cast<int64_t>(x.size())); });
    two.execute([&] { f.fn(x.data(), y2.data(), static_cast<int64_t>(x.size())); });
    INFO(f.name);
    CHECK(std::memcmp(y1.data(), y2.data(), x.size() * sizeof(float)) == 0);
  }
}

// Through the ops: a one-node graph per op, bound by its adapter, with attributes set and defaulted.
TEST_CASE("the elementwise math ops are registered, read their attributes and run their kernels",
          "[kernels][unary][kernel:Exp][kernel:Log][kernel:Sqrt][kernel:Neg][kernel:Abs][kernel:Erf]"
          "[kernel:Reciprocal][kernel:Softplus][kernel:HardSwish][kernel:LeakyRelu][kernel:Elu][kernel:Selu]"
          "[kernel:HardSigmoid]") {
  const std::vector<int64_t> shape = {2, 3, 5};
  std::vector<float> values(30);
  for (int i = 0; i < 30; ++i) values[i] = (i - 15) * 0.37f;
  std::vector<float> positive(30);
  for (int i = 0; i < 30; ++i) positive[i] = (i + 1) * 0.37f;
  using Attrs = std::map<std::string, graph::Attribute>;
  struct Case {
    const char* op;
    Attrs attrs;
    std::function<void(const float*, float*, int64_t)> kernel;
  };
  const Case cases[] = {
      {"Exp", {}, Exp},
      {"Log", {}, Log},
      {"Sqrt", {}, Sqrt},
      {"Neg", {}, Neg},
      {"Abs", {}, Abs},
      {"Erf", {}, Erf},
      {"Reciprocal", {}, Reciprocal},
      {"Softplus", {}, Softplus},
      {"HardSwish", {}, HardSwish},
      {"LeakyRelu", {}, LeakyReluDefault},
      {"LeakyRelu", {{"alpha", 0.5f}}, [](const float* x, float* y, int64_t n) { LeakyRelu(x, y, n, 0.5f); }},
      {"Elu", {}, EluDefault},
      {"Elu", {{"alpha", 0.25f}}, [](const float* x, float* y, int64_t n) { Elu(x, y, n, 0.25f); }},
      {"Selu", {}, SeluDefault},
      {"Selu", {{"gamma", 2.0f}}, [](const float* x, float* y, int64_t n) { Selu(x, y, n, kSeluAlpha, 2.0f); }},
      {"HardSigmoid", {}, HardSigmoidDefault},
      {"HardSigmoid", {{"alpha", 0.5f}, {"beta", 0.25f}},
       [](const float* x, float* y, int64_t n) { HardSigmoid(x, y, n, 0.5f, 0.25f); }},
  };
  for (const Case& c : cases) {
    INFO(c.op << " with " << c.attrs.size() << " attributes set");
    const std::vector<float>& in = std::string(c.op) == "Log" || std::string(c.op) == "Sqrt" ? positive : values;
    const Tensor x = Tensor::FromVector(in, shape);
    Tensor y = Tensor::Zeros(DType::kF32, shape);
    test::RunKernel(c.op, {&x}, {&y}, c.attrs);
    std::vector<float> expected(30);
    c.kernel(in.data(), expected.data(), 30);
    CHECK(y.ToFloatVector() == expected);

    Tensor wrong = Tensor::Zeros(DType::kF32, {30});
    CHECK_THROWS_AS(test::RunKernel(c.op, {&x}, {&wrong}, c.attrs), Error);
  }
}

TEST_CASE("Clip's bounds may be constants or inputs, [] or [1], or omitted", "[kernels][unary][kernel:Clip]") {
  const std::vector<float> values = {-3.0f, -1.5f, -0.5f, 0.0f, 0.5f, 1.5f};
  const Tensor x = Tensor::FromVector(values, {2, 3});
  const Tensor lo = Tensor::FromVector(std::vector<float>{-1.0f}, {}), hi = Tensor::FromVector(std::vector<float>{1.0f}, {1});
  for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {
    INFO((constants == test::Constants::kAll ? "constants" : "inputs"));
    Tensor y = Tensor::Zeros(DType::kF32, {2, 3});
    test::RunKernel("Clip", {&x, &lo, &hi}, {&y}, {}, constants);
    CHECK(y.ToFloatVector() == std::vector<float>{-1.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f});
    test::RunKernel("Clip", {&x, &lo}, {&y}, {}, constants);  // max omitted
    CHECK(y.ToFloatVector() == std::vector<float>{-1.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.5f});
    test::RunKernel("Clip", {&x}, {&y}, {}, constants);  // neither: a copy
    CHECK(y.ToFloatVector() == values);
  }
  // min omitted but max given: the node names "" for min.
  graph::Model model;
  model.graph.name = "clip";
  model.graph.inputs.push_back({"x", DType::kF32, graph::Shape::FromValues({2, 3})});
  model.graph.initializers["hi"] = hi;
  model.graph.nodes.push_back(graph::Node{"clip", "Clip", {"x", "", "hi"}, {"y"}, {}});
  model.graph.outputs.push_back({"y", DType::kUndefined, graph::Shape()});
  Session session = detail::SessionFactory::FromModel(std::move(model), {}, "clip");
  const std::vector<Tensor> out = session.Run({{"x", x}});
  CHECK(out[0].ToFloatVector() == std::vector<float>{-3.0f, -1.5f, -0.5f, 0.0f, 0.5f, 1.0f});

  const Tensor two = Tensor::FromVector(std::vector<float>{0.0f, 1.0f}, {2});
  Tensor y = Tensor::Zeros(DType::kF32, {2, 3});
  CHECK_THROWS_WITH(test::RunKernel("Clip", {&x, &two}, {&y}), Catch::Contains("must be a scalar"));
}

template <class T>
std::vector<T> IntValues(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.size());
}

TEMPLATE_TEST_CASE("Clip on integers: both bounds, one, none, and lo > hi (hand-computed)", "[kernels][unary][kernel:Clip]",
                   int8_t, uint8_t, int32_t, int64_t) {
  using T = TestType;
  constexpr T kMin = std::numeric_limits<T>::min(), kMax = std::numeric_limits<T>::max();
  const std::vector<T> values = {kMin, T(2), T(3), T(5), T(9), kMax};
  const Tensor x = Tensor::FromVector(values, {2, 3});
  const Tensor lo = Tensor::FromVector(std::vector<T>{T(3)}, {}), hi = Tensor::FromVector(std::vector<T>{T(8)}, {1});
  const DType t = x.dtype();
  for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {
    INFO((constants == test::Constants::kAll ? "constants" : "inputs"));
    Tensor y = Tensor::Zeros(t, {2, 3});
    test::RunKernel("Clip", {&x, &lo, &hi}, {&y}, {}, constants);
    CHECK(IntValues<T>(y) == std::vector<T>{T(3), T(3), T(3), T(5), T(8), T(8)});
    test::RunKernel("Clip", {&x, &lo}, {&y}, {}, constants);  // max omitted: no upper bound
    CHECK(IntValues<T>(y) == std::vector<T>{T(3), T(3), T(3), T(5), T(9), kMax});
    test::RunKernel("Clip", {&x}, {&y}, {}, constants);  // neither: a copy
    CHECK(IntValues<T>(y) == values);
    test::RunKernel("Clip", {&x, &hi, &lo}, {&y}, {}, constants);  // lo 8 > hi 3: hi everywhere, as numpy
    CHECK(IntValues<T>(y) == std::vector<T>(6, T(3)));
  }
  const Tensor f = Tensor::FromVector(std::vector<float>{3.0f}, {});
  Tensor y = Tensor::Zeros(t, {2, 3});
  CHECK_THROWS_WITH(test::RunKernel("Clip", {&x, &f}, {&y}), Catch::Contains("must have the input's dtype"));
}

TEST_CASE("Clip on i8 keeps only the max bound when min is omitted", "[kernels][unary][kernel:Clip]") {
  graph::Model model;
  model.graph.name = "clip";
  model.graph.inputs.push_back({"x", DType::kI8, graph::Shape::FromValues({4})});
  model.graph.initializers["hi"] = Tensor::FromVector(std::vector<int8_t>{-1}, {});
  model.graph.nodes.push_back(graph::Node{"clip", "Clip", {"x", "", "hi"}, {"y"}, {}});
  model.graph.outputs.push_back({"y", DType::kUndefined, graph::Shape()});
  Session session = detail::SessionFactory::FromModel(std::move(model), {}, "clip");
  const Tensor x = Tensor::FromVector(std::vector<int8_t>{-128, -2, 0, 127}, {4});
  const std::vector<Tensor> out = session.Run({{"x", x}});
  CHECK(IntValues<int8_t>(out[0]) == std::vector<int8_t>{-128, -2, -1, -1});
}

// Every adapter offers in-place: a chain of the ops over one tensor needs no intermediate buffer
// (each step writes over its dying input; the first writes into the output, never over x).
TEST_CASE("the elementwise ops run in place in a plan, f32 and integer", "[kernels][unary][runtime]") {
  using graph::Shape;
  {
    graph::GraphBuilder b("chain");
    auto h = b.Input("x", DType::kF32, Shape({4, 33}));
    const std::vector<std::string> ops = {"Neg", "Abs", "Sqrt", "Log", "Exp", "Erf", "Reciprocal", "Softplus",
                                          "HardSwish", "LeakyRelu", "Elu", "Selu", "HardSigmoid"};
    for (const std::string& op : ops) h = b.Op(op, {h});
    h = b.Op("Clip", {h, b.Weight("lo", Tensor::FromVector(std::vector<float>{0.55f}, {}))});
    h = b.Op("Pow", {h, b.Weight("e", Tensor::FromVector(std::vector<float>{1.5f}, {}))});
    h = b.Op("PRelu", {b.Op("Neg", {h}), b.Weight("slope", Tensor::FromVector(std::vector<float>{0.5f}, {1}))});
    b.Output(h, "y");
    runtime::Executor executor(b.Build(), {});
    const Tensor x = Tensor::FromVector(test::RandomFloats(4 * 33, 5, -3.0f, 3.0f), {4, 33});
    const std::vector<float> x_before = x.ToFloatVector();
    const std::vector<Tensor> inputs = {x};
    auto plan = executor.PlanFor(inputs);
    REQUIRE(plan->steps.size() == ops.size() + 4);
    CHECK(plan->arena_bytes - plan->buffers_offset == 0);  // no intermediate buffer at all
    const std::vector<float> y = executor.Run(*plan, inputs)[0].ToFloatVector();
    CHECK(x.ToFloatVector() == x_before);
    std::vector<float> expected = x_before;  // the same kernels, one after another, in place
    float* e = expected.data();
    const int64_t n = static_cast<int64_t>(expected.size());
    for (Fn fn : {Neg, Abs, Sqrt, Log, Exp, Erf, Reciprocal, Softplus, HardSwish, LeakyReluDefault, EluDefault,
                  SeluDefault, HardSigmoidDefault})
      fn(e, e, n);
    Clip(e, e, n, 0.55f, std::numeric_limits<float>::infinity());
    for (float& v : expected) v = -static_cast<float>(std::pow(double{v}, 1.5)) * 0.5f;
    for (std::size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(expected[i]).epsilon(1e-6));
  }
  {
    graph::GraphBuilder b("int_chain");
    auto h = b.Input("x", DType::kI64, Shape({3, 5}));
    h = b.Op("Add", {h, b.Weight("a", Tensor::FromVector(std::vector<int64_t>{100}, {}))});
    h = b.Op("Mul", {h, b.Weight("m", Tensor::FromVector(std::vector<int64_t>{1, -2, 3, -4, 5}, {5}))});
    h = b.Op("Div", {h, b.Weight("d", Tensor::FromVector(std::vector<int64_t>{7, 0, -7}, {3, 1}))});
    b.Output(b.Op("Sub", {h, b.Weight("s", Tensor::FromVector(std::vector<int64_t>{1}, {1}))}), "y");
    runtime::Executor executor(b.Build(), {});
    std::vector<int64_t> xv(15);
    for (int i = 0; i < 15; ++i) xv[i] = i * 11 - 80;
    const std::vector<Tensor> inputs = {Tensor::FromVector(xv, {3, 5})};
    auto plan = executor.PlanFor(inputs);
    CHECK(plan->arena_bytes - plan->buffers_offset == 0);
    const Tensor y = executor.Run(*plan, inputs)[0];
    REQUIRE(y.dtype() == DType::kI64);
    const int64_t m[] = {1, -2, 3, -4, 5}, d[] = {7, 0, -7};
    for (int i = 0; i < 15; ++i) {
      const int64_t t = (xv[i] + 100) * m[i % 5];
      CHECK(y.data<int64_t>()[i] == (d[i / 5] == 0 ? 0 : t / d[i / 5]) - 1);
    }
  }
}

// `axon_tests "[.report]" -s` prints the measured accuracy table (not run by default).
TEST_CASE("unary math accuracy report", "[.report]") {
  for (const Function& f : kFunctions) {
    const std::vector<float> xs = SweepFor(f.name);
    test::ForEachTarget([&](const char* target) {
      const ErrorStats s = Measure(f, xs);
      std::printf("%-11s %-7s points=%-8lld max_rel=%.3g (x=%.9g) max_abs_subnormal=%.3g wrong=%lld\n", f.name, target,
                  static_cast<long long>(s.count), s.max_rel, s.worst_rel_x, s.max_abs_subnormal,
                  static_cast<long long>(s.wrong));
    });
  }
}

}  // namespace
}  // namespace axon::kernels
