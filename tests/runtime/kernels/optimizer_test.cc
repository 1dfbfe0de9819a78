// The SGD and Adam/AdamW ops (runtime/kernels/optimizer.h) against hand-computed updates and
// against the textbook formulas evaluated in double over several steps, through the ops'
// adapters; the kernels on every SIMD target, in place, and at 1 and 2 threads.
#include "runtime/kernels/optimizer.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <hwy/targets.h>
#include <tbb/task_arena.h>

#include "axon/tensor.h"
#include "runtime/kernels/flat_blocks.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/optimizer_torch_reference.h"

namespace axon::kernels {
namespace {

using graph::Attribute;
using Attrs = std::map<std::string, Attribute>;

// ---- references: the update rules as torch.optim's documentation writes them, in double ----

struct SgdCase {
  const char* name;
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
};

// One step of torch.optim.SGD's documented algorithm; buf is the momentum buffer.
void SgdReference(const SgdCase& c, int64_t step, std::vector<double>& x, const std::vector<double>& g,
                  std::vector<double>& buf) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    double d = g[i] + c.weight_decay * x[i];
    if (c.momentum != 0) {
      buf[i] = step == 1 ? d : c.momentum * buf[i] + (1 - c.dampening) * d;
      d = c.nesterov ? d + c.momentum * buf[i] : buf[i];
    }
    x[i] -= c.lr * d;
  }
}

struct AdamCase {
  const char* name;
  double lr, beta1, beta2, epsilon, weight_decay;
  bool decoupled;
};

// One step of Adam (Kingma & Ba, with L2 added to the gradient) or AdamW (Loshchilov & Hutter,
// decay applied to the parameter), in the bias-corrected form m_hat / (sqrt(v_hat) + eps).
void AdamReference(const AdamCase& c, int64_t step, std::vector<double>& x, const std::vector<double>& g,
                   std::vector<double>& m, std::vector<double>& v) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    double grad = g[i];
    if (c.decoupled) x[i] *= 1 - c.lr * c.weight_decay;
    else grad += c.weight_decay * x[i];
    m[i] = c.beta1 * m[i] + (1 - c.beta1) * grad;
    v[i] = c.beta2 * v[i] + (1 - c.beta2) * grad * grad;
    const double m_hat = m[i] / (1 - std::pow(c.beta1, static_cast<double>(step)));
    const double v_hat = v[i] / (1 - std::pow(c.beta2, static_cast<double>(step)));
    x[i] -= c.lr * m_hat / (std::sqrt(v_hat) + c.epsilon);
  }
}

// ---- running the ops through their adapters ----

Tensor Vec(const std::vector<float>& v) { return Tensor::FromVector(v, {static_cast<int64_t>(v.size())}); }
Tensor Lr(double lr) { return Tensor::FromVector(std::vector<float>{static_cast<float>(lr)}, {}); }
Tensor StepTensor(int64_t step) { return Tensor::FromVector(std::vector<int64_t>{step}, {}); }

Attrs SgdAttrs(const SgdCase& c) {
  return {{"momentum", static_cast<float>(c.momentum)},
          {"dampening", static_cast<float>(c.dampening)},
          {"weight_decay", static_cast<float>(c.weight_decay)},
          {"nesterov", int64_t{c.nesterov}}};
}

// One SGD step through the op: x (and v, with momentum) replaced by the new values.
void RunSgd(const SgdCase& c, int64_t step, std::vector<float>& x, const std::vector<float>& g, std::vector<float>& v) {
  const Tensor xt = Vec(x), gt = Vec(g), lr = Lr(c.lr), st = StepTensor(step), vt = Vec(v);
  Tensor x_new = Tensor::Zeros(DType::kF32, xt.shape()), v_new = Tensor::Zeros(DType::kF32, xt.shape());
  if (c.momentum != 0) {
    test::RunKernel("SGD", {&xt, &gt, &lr, &st, &vt}, {&x_new, &v_new}, SgdAttrs(c));
    v = v_new.ToFloatVector();
  } else {
    test::RunKernel("SGD", {&xt, &gt, &lr, &st}, {&x_new}, SgdAttrs(c));
  }
  x = x_new.ToFloatVector();
}

Attrs AdamAttrs(const AdamCase& c) {
  return {{"beta1", static_cast<float>(c.beta1)},
          {"beta2", static_cast<float>(c.beta2)},
          {"epsilon", static_cast<float>(c.epsilon)},
          {"weight_decay", static_cast<float>(c.weight_decay)},
          {"decoupled", int64_t{c.decoupled}}};
}

void RunAdam(const AdamCase& c, int64_t step, std::vector<float>& x, const std::vector<float>& g, std::vector<float>& m,
             std::vector<float>& v) {
  const Tensor xt = Vec(x), gt = Vec(g), lr = Lr(c.lr), st = StepTensor(step), mt = Vec(m), vt = Vec(v);
  Tensor x_new = Tensor::Zeros(DType::kF32, xt.shape()), m_new = Tensor::Zeros(DType::kF32, xt.shape()),
         v_new = Tensor::Zeros(DType::kF32, xt.shape());
  test::RunKernel("Adam", {&xt, &gt, &lr, &st, &mt, &vt}, {&x_new, &m_new, &v_new}, AdamAttrs(c));
  x = x_new.ToFloatVector();
  m = m_new.ToFloatVector();
  v = v_new.ToFloatVector();
}

std::vector<double> Widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// Each step rounds a handful of float operations of values near 1 (2^-24 each), and the float
// state carries them forward: 1e-6 over a few steps is ~20 ulps, and far below any error in the
// rule (a wrong coefficient moves x by ~lr * 0.1).
void CheckNear(const std::vector<float>& got, const std::vector<double>& want, double tol = 1e-6) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": " << got[i] << " vs " << want[i]);
    CHECK(std::fabs(got[i] - want[i]) <= tol * (1 + std::fabs(want[i])));
  }
}

const SgdCase kSgdCases[] = {
    {"plain", 0.1, 0, 0, 0, false},
    {"weight decay", 0.05, 0, 0, 0.01, false},
    {"momentum", 0.1, 0.9, 0, 0, false},
    {"momentum, dampening", 0.1, 0.9, 0.3, 0, false},
    {"momentum, dampening, weight decay", 0.02, 0.5, 0.1, 0.1, false},
    {"nesterov", 0.1, 0.9, 0, 0, true},
    {"nesterov, weight decay", 0.01, 0.8, 0, 0.05, true},
};

const AdamCase kAdamCases[] = {
    {"Adam", 0.01, 0.9, 0.999, 1e-8, 0, false},
    {"Adam, L2 weight decay", 0.01, 0.9, 0.999, 1e-8, 0.1, false},
    {"Adam, other betas", 0.003, 0.8, 0.99, 1e-6, 0, false},
    {"AdamW, default weight decay", 0.01, 0.9, 0.999, 1e-8, 0.01, true},
    {"AdamW, strong decay", 0.05, 0.9, 0.999, 1e-8, 0.5, true},
};

}  // namespace

// ---- hand-computed updates ----

TEST_CASE("SGD's first steps match updates computed by hand", "[kernels][optimizer][kernel:SGD]") {
  std::vector<float> x = {1, -2, 0.5f, 3}, none;
  RunSgd({"plain", 0.1, 0, 0, 0, false}, 1, x, {0.1f, 0.2f, -0.3f, 0}, none);
  CheckNear(x, {0.99, -2.02, 0.53, 3}, 1e-7);

  x = {1};  // d = g + 0.1 * x = 1.1
  RunSgd({"weight decay", 0.1, 0, 0, 0.1, false}, 1, x, {1}, none);
  CheckNear(x, {0.89}, 1e-7);

  // Gradients 1 then 0.5 from x = 1, lr 0.1, momentum 0.9.
  struct Hand {
    SgdCase c;
    double x1, buf1, x2, buf2;
  };
  for (const Hand& h : {
           // buf = 1; x = 0.9. buf = 0.9 + 0.5 = 1.4; x = 0.9 - 0.14.
           Hand{{"momentum", 0.1, 0.9, 0, 0, false}, 0.9, 1, 0.76, 1.4},
           // Step 1 is undamped: buf = 1. Then buf = 0.9 + 0.5 * 0.5 = 1.15; x = 0.9 - 0.115.
           Hand{{"dampening", 0.1, 0.9, 0.5, 0, false}, 0.9, 1, 0.785, 1.15},
           // d = 1 + 0.9 * 1 = 1.9; x = 0.81. buf = 1.4, d = 0.5 + 1.26 = 1.76; x = 0.81 - 0.176.
           Hand{{"nesterov", 0.1, 0.9, 0, 0, true}, 0.81, 1, 0.634, 1.4},
       }) {
    INFO(h.c.name);
    // The buffer before step 1 is never read: NaN there must not leak into the update.
    std::vector<float> xs = {1}, v = {std::numeric_limits<float>::quiet_NaN()};
    RunSgd(h.c, 1, xs, {1}, v);
    CheckNear(xs, {h.x1}, 1e-7);
    CheckNear(v, {h.buf1}, 1e-7);
    RunSgd(h.c, 2, xs, {0.5f}, v);
    CheckNear(xs, {h.x2}, 1e-7);
    CheckNear(v, {h.buf2}, 1e-7);
  }
}

TEST_CASE("Adam's and AdamW's first steps match updates computed by hand", "[kernels][optimizer][kernel:Adam]") {
  // Step 1 from zero moments: m = 0.1 g, v = 0.001 g^2, and the bias corrections make the update
  // lr * g / (|g| + eps): x = 1 - 0.1 * 0.5 / (0.5 + 1e-8).
  const AdamCase adam{"Adam", 0.1, 0.9, 0.999, 1e-8, 0, false};
  std::vector<float> x = {1}, m = {0}, v = {0};
  RunAdam(adam, 1, x, {0.5f}, m, v);
  CheckNear(x, {1 - 0.05 / (0.5 + 1e-8)}, 1e-7);
  CheckNear(m, {0.05}, 1e-7);
  CheckNear(v, {0.00025}, 1e-7);
  // Step 2 with g = -0.5: m = 0.045 - 0.05 = -0.005, v = 0.00024975 + 0.00025 = 0.00049975;
  // m_hat = -0.005 / 0.19, v_hat = 0.00049975 / 0.001999 = 0.25 exactly, so
  // x = 0.9 + 0.1 * (0.005 / 0.19) / 0.5 (eps shifts it by 2e-9).
  RunAdam(adam, 2, x, {-0.5f}, m, v);
  CheckNear(x, {0.9 + 0.1 * (0.005 / 0.19) / 0.5}, 1e-7);
  CheckNear(m, {-0.005}, 1e-7);
  CheckNear(v, {0.00049975}, 1e-7);

  // Adam's L2: g = 0.5 + 0.1 * 1 = 0.6, so m = 0.06, v = 0.00036, and x = 1 - 0.1 (sign of g).
  x = {1}, m = {0}, v = {0};
  RunAdam({"Adam L2", 0.1, 0.9, 0.999, 1e-8, 0.1, false}, 1, x, {0.5f}, m, v);
  CheckNear(x, {0.9}, 1e-7);
  CheckNear(m, {0.06}, 1e-7);
  CheckNear(v, {0.00036}, 1e-7);

  // AdamW (weight decay 0.01, PyTorch's default): x = 1 * (1 - 0.1 * 0.01) = 0.999 first, the
  // gradient itself untouched (m = 0.05), then x = 0.999 - 0.1.
  x = {1}, m = {0}, v = {0};
  RunAdam({"AdamW", 0.1, 0.9, 0.999, 1e-8, 0.01, true}, 1, x, {0.5f}, m, v);
  CheckNear(x, {0.899}, 1e-7);
  CheckNear(m, {0.05}, 1e-7);
  CheckNear(v, {0.00025}, 1e-7);
}

// ---- several steps against the double-precision rules ----

TEST_CASE("SGD in every variant follows the double-precision rule over several steps", "[kernels][optimizer][kernel:SGD]") {
  const int64_t n = 37;  // a few vectors and a tail on every target
  for (const SgdCase& c : kSgdCases) {
    INFO(c.name);
    std::vector<float> x = test::RandomFloats(n, 1, -1, 1), v(n, 0.0f);
    std::vector<double> xr = Widen(x), buf(n, 0.0);
    for (int64_t step = 1; step <= 6; ++step) {
      INFO("step " << step);
      const std::vector<float> g = test::RandomFloats(n, 100 + static_cast<uint32_t>(step), -1, 1);
      RunSgd(c, step, x, g, v);
      SgdReference(c, step, xr, Widen(g), buf);
      CheckNear(x, xr);
      if (c.momentum != 0) CheckNear(v, buf);
    }
  }
}

TEST_CASE("Adam and AdamW follow the double-precision rule over several steps", "[kernels][optimizer][kernel:Adam]") {
  const int64_t n = 37;
  for (const AdamCase& c : kAdamCases) {
    INFO(c.name);
    std::vector<float> x = test::RandomFloats(n, 2, -1, 1), m(n, 0.0f), v(n, 0.0f);
    std::vector<double> xr = Widen(x), mr(n, 0.0), vr(n, 0.0);
    for (int64_t step = 1; step <= 6; ++step) {
      INFO("step " << step);
      const std::vector<float> g = test::RandomFloats(n, 200 + static_cast<uint32_t>(step), -1, 1);
      RunAdam(c, step, x, g, m, v);
      AdamReference(c, step, xr, Widen(g), mr, vr);
      CheckNear(x, xr);
      CheckNear(m, mr);
      CheckNear(v, vr);
    }
  }
}

TEST_CASE("the optimizer ops refuse a step number below 1", "[kernels][optimizer][kernel:SGD][kernel:Adam]") {
  const Tensor x = Vec({1, 2}), lr = Lr(0.1), step0 = StepTensor(0);
  Tensor out = Tensor::Zeros(DType::kF32, {2}), m_out = Tensor::Zeros(DType::kF32, {2}),
         v_out = Tensor::Zeros(DType::kF32, {2});
  CHECK_THROWS_WITH(test::RunKernel("SGD", {&x, &x, &lr, &step0}, {&out}),
                    Catch::Contains("(SGD)") && Catch::Contains("Step must be >= 1") && Catch::Contains("got 0"));
  CHECK_THROWS_WITH(test::RunKernel("Adam", {&x, &x, &lr, &step0, &x, &x}, {&out, &m_out, &v_out}),
                    Catch::Contains("(Adam)") && Catch::Contains("Step must be >= 1"));
}

// ---- PyTorch's own trajectories (generated once by tests/data/optimizer_reference.py) ----

TEST_CASE("SGD, Adam and AdamW follow torch.optim's trajectories of PyTorch 1.13",
          "[kernels][optimizer][kernel:SGD][kernel:Adam]") {
  namespace ref = torch_reference;
  // With FMA (AVX2 and AVX-512, what ATen's AVX2 build uses too) every rounding is ATen's, so the
  // trajectory is PyTorch's bit for bit; without it, a multiply-add rounds twice in both.
  const bool fma = (hwy::SupportedTargets() & (HWY_AVX2 | HWY_AVX3)) != 0;
  const std::vector<float> x0(std::begin(ref::kX0), std::end(ref::kX0));
  for (const ref::Case& t : ref::kCases) {
    INFO(t.name);
    const bool sgd = std::string(t.op) == "SGD";
    const SgdCase s{t.name, t.lr, t.momentum, t.dampening, t.weight_decay, t.nesterov};
    const AdamCase a{t.name, t.lr, t.beta1, t.beta2, t.epsilon, t.weight_decay, t.decoupled};
    std::vector<float> x = x0, m(ref::kN, 0.0f), v(ref::kN, 0.0f);
    for (int step = 1; step <= ref::kSteps; ++step) {
      INFO("step " << step);
      const std::vector<float> g(std::begin(ref::kGrads[step - 1]), std::end(ref::kGrads[step - 1]));
      if (sgd) RunSgd(s, step, x, g, v);
      else RunAdam(a, step, x, g, m, v);
      const std::vector<float> want(std::begin(t.x[step - 1]), std::end(t.x[step - 1]));
      if (fma) {
        for (int i = 0; i < ref::kN; ++i) {
          INFO("element " << i << ": " << x[i] << " vs PyTorch's " << want[i]);
          CHECK(x[i] == want[i]);
        }
      } else {
        CheckNear(x, Widen(want));
      }
    }
  }
}

// ---- the kernels themselves: every target, in place, any thread count ----

TEST_CASE("the optimizer kernels are the same in place, on every target and at any thread count",
          "[kernels][optimizer]") {
  const int64_t n = 2 * kFlatBlock + 13;  // several parallel blocks and a tail
  const std::vector<float> x0 = test::RandomFloats(n, 3, -1, 1), g = test::RandomFloats(n, 4, -1, 1),
                           m0 = test::RandomFloats(n, 5, -0.1f, 0.1f), v0 = test::RandomFloats(n, 6, 0, 0.01f);
  const SgdConfig sgd{.momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01, .nesterov = false};
  const AdamConfig adam{.beta1 = 0.9, .beta2 = 0.999, .epsilon = 1e-8, .weight_decay = 0.01, .decoupled = true};
  test::ForEachTarget([&](const char* target) {
    INFO(target);
    // Out of place, one thread: the reference for the others.
    std::vector<float> xs(n), vs(n), xa(n), ma(n), va(n);
    tbb::task_arena one(1), two(2);
    one.execute([&] {
      SgdF32(sgd, 0.1, 3, x0.data(), g.data(), v0.data(), xs.data(), vs.data(), n);
      AdamF32(adam, 0.01, 3, x0.data(), g.data(), m0.data(), v0.data(), xa.data(), ma.data(), va.data(), n);
    });
    // The step-3 rule, checked on a few elements in double.
    for (int64_t i : {int64_t{0}, n / 2, n - 1}) {
      const double d = g[i] + 0.01 * x0[i], buf = 0.9 * v0[i] + 0.9 * d;
      CHECK(xs[i] == Approx(x0[i] - 0.1 * buf).epsilon(1e-6));
    }
    // In place, two threads: bit for bit the same.
    std::vector<float> x = x0, v = v0;
    two.execute([&] { SgdF32(sgd, 0.1, 3, x.data(), g.data(), v.data(), x.data(), v.data(), n); });
    CHECK(std::memcmp(x.data(), xs.data(), n * sizeof(float)) == 0);
    CHECK(std::memcmp(v.data(), vs.data(), n * sizeof(float)) == 0);
    x = x0, v = v0;
    std::vector<float> m = m0;
    two.execute([&] {
      AdamF32(adam, 0.01, 3, x.data(), g.data(), m.data(), v.data(), x.data(), m.data(), v.data(), n);
    });
    CHECK(std::memcmp(x.data(), xa.data(), n * sizeof(float)) == 0);
    CHECK(std::memcmp(m.data(), ma.data(), n * sizeof(float)) == 0);
    CHECK(std::memcmp(v.data(), va.data(), n * sizeof(float)) == 0);
  });
}

TEST_CASE("hyperparameters stored as floats are read back as the decimals they were written as", "[kernels][optimizer]") {
  CHECK(DecimalValue(0.9f) == 0.9);
  CHECK(DecimalValue(0.999f) == 0.999);
  CHECK(DecimalValue(1e-8f) == 1e-8);
  CHECK(DecimalValue(0.01f) == 0.01);
  CHECK(DecimalValue(0.0f) == 0.0);
  CHECK(DecimalValue(3.0f) == 3.0);
  // Where 1 - beta1 is taken matters: from the float 0.9f it is not the float PyTorch uses.
  CHECK(static_cast<float>(1 - DecimalValue(0.9f)) == static_cast<float>(1 - 0.9));
  CHECK(static_cast<float>(1 - static_cast<double>(0.9f)) != static_cast<float>(1 - 0.9));
  CHECK(std::isinf(DecimalValue(std::numeric_limits<float>::infinity())));
}

}  // namespace axon::kernels
