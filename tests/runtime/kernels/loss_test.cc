// Loss ops and their gradient ops: hand-worked values, double-precision references of PyTorch's
// and ONNX's formulas (every Highway target, both class-loss layouts), and every gradient op
// against central finite differences of that double reference of its forward loss.
#include "runtime/kernels/loss.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "axon/tensor.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/loss_reference.h"

namespace axon::kernels {
namespace {

using test::ClassDims;
using test::ClassLossRef;
using test::DimsOf;
using test::NumericGrad;
using test::PointwiseLossRef;

using Attrs = std::map<std::string, graph::Attribute>;

Attrs WithReduction(const std::string& r, Attrs a = {}) {
  a["reduction"] = r;
  return a;
}

std::vector<float> Values(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.size()}; }

// Runs a one-output op (through its adapter) and returns its output.
Tensor Run1(const std::string& op, std::vector<const Tensor*> inputs, std::vector<int64_t> out_shape,
            const Attrs& attrs = {}) {
  Tensor y = Tensor::Zeros(DType::kF32, std::move(out_shape));
  test::RunKernel(op, std::move(inputs), {&y}, attrs);
  return y;
}

struct ClassCase {
  std::vector<int64_t> shape;  // scores [N, C, d...]
  bool weights = false;
  std::optional<int64_t> ignore;
  std::string reduction = "mean";
};

void CheckClose(const std::vector<float>& got, const std::vector<double>& want, double rel, double abs) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": " << got[i] << " vs " << want[i]);
    CHECK(std::fabs(got[i] - want[i]) <= abs + rel * std::fabs(want[i]));
  }
}

std::vector<double> ToDouble(const std::vector<float>& v) { return {v.begin(), v.end()}; }

const char* PointwiseName(PointwiseLoss loss) {
  switch (loss) {
    case PointwiseLoss::kMSE: return "MSELoss";
    case PointwiseLoss::kBCE: return "BCELoss";
    case PointwiseLoss::kBCEWithLogits: return "BCEWithLogitsLoss";
  }
  return "";
}

// Inputs in each loss's domain: probabilities for BCE (kept off 0 and 1, where the finite
// differences would cross the clamp), anything for the others; soft targets in [0, 1].
std::vector<float> PointwiseInputs(PointwiseLoss loss, int64_t n, uint32_t seed) {
  return loss == PointwiseLoss::kBCE ? test::RandomFloats(n, seed, 0.05f, 0.95f) : test::RandomFloats(n, seed, -4, 4);
}

// --- pointwise losses ----------------------------------------------------------------------------

TEST_CASE("MSELoss and its gradient by hand", "[kernels][loss][kernel:MSELoss][kernel:MSELossGrad]") {
  const Tensor x = Tensor::FromVector<float>({1, 2, 3}, {3});
  const Tensor t = Tensor::FromVector<float>({1, 0, 5}, {3});
  // Squared errors 0, 4, 4: mean 8/3, sum 8.
  CHECK(Values(Run1("MSELoss", {&x, &t}, {})) == std::vector<float>{8.0f / 3});
  CHECK(Values(Run1("MSELoss", {&x, &t}, {}, WithReduction("sum"))) == std::vector<float>{8});
  CHECK(Values(Run1("MSELoss", {&x, &t}, {3}, WithReduction("none"))) == std::vector<float>{0, 4, 4});
  // d/dx mean((x - t)^2) = 2(x - t)/3 = 0, 4/3, -4/3; times dLoss = 1.5: 0, 2, -2.
  const Tensor g = Tensor::FromVector<float>({1.5f}, {});
  const std::vector<float> dx = Values(Run1("MSELossGrad", {&g, &x, &t}, {3}));
  CHECK(dx[0] == 0.0f);
  CHECK(dx[1] == Approx(2.0f));
  CHECK(dx[2] == Approx(-2.0f));
  CHECK(Values(Run1("MSELossGrad", {&g, &x, &t}, {3}, WithReduction("sum"))) == std::vector<float>{0, 6, -6});
  // With reduction none, dLoss per element: 2(x - t)·g = 0·1, 4·2, -4·3.
  const Tensor gs = Tensor::FromVector<float>({1, 2, 3}, {3});
  CHECK(Values(Run1("MSELossGrad", {&gs, &x, &t}, {3}, WithReduction("none"))) == std::vector<float>{0, 8, -12});
}

TEST_CASE("BCELoss clamps log at -100 and its gradient's divisor at 1e-12, as PyTorch",
          "[kernels][loss][kernel:BCELoss][kernel:BCELossGrad]") {
  const Tensor x = Tensor::FromVector<float>({0.5f, 0.9f, 0.0f, 0.0f, 1.0f}, {5});
  const Tensor t = Tensor::FromVector<float>({1, 0, 0, 1, 0}, {5});
  // -log 0.5 = 0.6931472; -log(1 - 0.9) = 2.3025851; x = 0, t = 0: 0; x = 0, t = 1: -max(log 0,
  // -100) = 100; x = 1, t = 0: likewise 100.
  const std::vector<float> none = Values(Run1("BCELoss", {&x, &t}, {5}, WithReduction("none")));
  CHECK(none[0] == Approx(0.6931472f).epsilon(1e-6));
  CHECK(none[1] == Approx(2.3025851f).epsilon(1e-5));  // 1 - 0.9f is 0.099999964
  CHECK(none[2] == 0.0f);
  CHECK(none[3] == 100.0f);
  CHECK(none[4] == 100.0f);
  CHECK(Values(Run1("BCELoss", {&x, &t}, {}))[0] == Approx((0.6931472 + 2.3025851 + 200) / 5).epsilon(1e-6));
  // (x - t) / max((1 - x)x, 1e-12) / 5: 0.5 → -0.5/0.25/5 = -0.4; 0.9 → 0.9/0.09/5 = 2; x = 0,
  // t = 0 → 0; x = 0, t = 1 → -1e12/5; x = 1 → 1e12/5.
  const Tensor g = Tensor::FromVector<float>({1.0f}, {});
  const std::vector<float> dx = Values(Run1("BCELossGrad", {&g, &x, &t}, {5}));
  CHECK(dx[0] == Approx(-0.4f).epsilon(1e-6));
  CHECK(dx[1] == Approx(2.0f).epsilon(1e-5));
  CHECK(dx[2] == 0.0f);
  CHECK(dx[3] == Approx(-2e11f).epsilon(1e-6));
  CHECK(dx[4] == Approx(2e11f).epsilon(1e-6));
  // Outside [0, 1] there is no loss: PyTorch refuses such input, and so does the op; the kernel
  // itself gives NaN.
  const std::vector<float> outside = {0.5f, 1.5f, -0.5f, std::numeric_limits<float>::quiet_NaN()};
  const Tensor bt = Tensor::FromVector<float>({0, 0}, {2});
  for (int64_t at : {1, 2, 3}) {
    INFO("element " << at);
    const Tensor bad = Tensor::FromVector<float>({outside[0], outside[static_cast<std::size_t>(at)]}, {2});
    CHECK_THROWS_WITH(Run1("BCELoss", {&bad, &bt}, {}),
                      Catch::Contains("BCELoss") && Catch::Contains("input element 1 is ") &&
                          Catch::Contains("takes probabilities in [0, 1]"));
  }
  CHECK(FindNonProbability(outside.data(), 1) == -1);
  std::vector<float> many(5000, 1.0f);
  CHECK(FindNonProbability(many.data(), 5000) == -1);
  many[4321] = 1.0000001f;
  CHECK(FindNonProbability(many.data(), 5000) == 4321);
  test::ForEachTarget([&](const char*) {
    float y[2];
    PointwiseLossF32(PointwiseLoss::kBCE, LossReduction::kNone, outside.data() + 1, bt.data<float>(), 2, y, nullptr);
    CHECK(std::isnan(y[0]));
    CHECK(std::isnan(y[1]));
  });
}

TEST_CASE("BCEWithLogitsLoss is stable for large logits", "[kernels][loss][kernel:BCEWithLogitsLoss]"
          "[kernel:BCEWithLogitsLossGrad]") {
  const Tensor x = Tensor::FromVector<float>({0, 2, -3, 100, -100, 100}, {6});
  const Tensor t = Tensor::FromVector<float>({0, 1, 0.5f, 0, 1, 1}, {6});
  // softplus(x) - x·t: ln 2 = 0.6931472; softplus(2) - 2 = 0.1269280; softplus(-3) + 1.5 =
  // 0.0485874 + 1.5; 100 - 0 = 100 (exp(100) would overflow a float); 0 + 100; 100 - 100 + e^-100.
  const std::vector<float> none = Values(Run1("BCEWithLogitsLoss", {&x, &t}, {6}, WithReduction("none")));
  CHECK(none[0] == Approx(0.6931472f).epsilon(1e-6));
  CHECK(none[1] == Approx(0.1269280f).epsilon(1e-5));
  CHECK(none[2] == Approx(1.5485874f).epsilon(1e-6));
  CHECK(none[3] == 100.0f);
  CHECK(none[4] == 100.0f);
  CHECK(none[5] == 0.0f);
  // sigmoid(x) - t, times dLoss: 0.5, 0.8807971 - 1, 0.0474259 - 0.5, 1, -1, 0.
  const Tensor g = Tensor::FromVector<float>({2, 2, 2, 2, 2, 2}, {6});
  const std::vector<float> dx = Values(Run1("BCEWithLogitsLossGrad", {&g, &x, &t}, {6}, WithReduction("none")));
  CHECK(dx[0] == Approx(1.0f));
  CHECK(dx[1] == Approx(2 * (0.8807971f - 1)).epsilon(1e-5));
  CHECK(dx[2] == Approx(2 * (0.0474259f - 0.5f)).epsilon(1e-5));
  CHECK(dx[3] == 2.0f);
  CHECK(dx[4] == -2.0f);
  CHECK(dx[5] == 0.0f);
}

TEST_CASE("pointwise losses match double references on every target, in every reduction",
          "[kernels][loss][kernel:MSELoss][kernel:BCELoss][kernel:BCEWithLogitsLoss]") {
  for (PointwiseLoss loss : {PointwiseLoss::kMSE, PointwiseLoss::kBCE, PointwiseLoss::kBCEWithLogits}) {
    for (int64_t n : {0, 1, 7, 33, 1000, 40000}) {  // 40000: several parallel blocks
      const std::vector<float> x = PointwiseInputs(loss, n, 3);
      const std::vector<float> t = test::RandomFloats(n, 4, 0, 1);
      for (LossReduction r : {LossReduction::kNone, LossReduction::kSum, LossReduction::kMean}) {
        const char* name = r == LossReduction::kNone ? "none" : r == LossReduction::kSum ? "sum" : "mean";
        const std::vector<double> want = PointwiseLossRef(loss, ToDouble(x), t, name);
        test::ForEachTarget([&](const char*) {
          INFO(PointwiseName(loss) << " n " << n << " " << name);
          std::vector<float> y(want.size());
          std::vector<std::byte> ws(PointwiseLossWorkspaceBytes(n, r) + 64);
          void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(ws.data()) + 63) / 64 * 64);
          PointwiseLossF32(loss, r, x.data(), t.data(), n, y.data(), aligned);
          if (n == 0 && r == LossReduction::kMean) {
            CHECK(std::isnan(y[0]));  // PyTorch: the mean of nothing is NaN
          } else {
            CheckClose(y, want, 2e-6, 1e-6);
          }
        });
      }
    }
  }
}

TEST_CASE("pointwise loss gradients match central differences of the double reference",
          "[kernels][loss][kernel:MSELossGrad][kernel:BCELossGrad][kernel:BCEWithLogitsLossGrad]") {
  for (PointwiseLoss loss : {PointwiseLoss::kMSE, PointwiseLoss::kBCE, PointwiseLoss::kBCEWithLogits}) {
    const std::string op = std::string(PointwiseName(loss)) + "Grad";
    const int64_t n = 37;
    const Tensor x = Tensor::FromVector(PointwiseInputs(loss, n, 5), {n});
    const Tensor t = Tensor::FromVector(test::RandomFloats(n, 6, 0, 1), {n});
    for (const char* r : {"mean", "sum", "none"}) {
      INFO(op << " " << r);
      const bool none = std::string(r) == "none";
      const Tensor g = none ? Tensor::FromVector(test::RandomFloats(n, 7, -2, 2), {n})
                            : Tensor::FromVector<float>({0.75f}, {});
      const std::vector<double> want = NumericGrad(
          [&](const std::vector<double>& at) { return PointwiseLossRef(loss, at, Values(t), r); }, Values(x),
          Values(g), 1e-6);
      test::ForEachTarget([&](const char*) {
        CheckClose(Values(Run1(op, {&g, &x, &t}, {n}, WithReduction(r))), want, 1e-5, 1e-6);
      });
    }
  }
}

// --- class losses ------------------------------------------------------------------------------

TEST_CASE("SoftmaxCrossEntropyLoss and its gradient by hand",
          "[kernels][loss][kernel:SoftmaxCrossEntropyLoss][kernel:SoftmaxCrossEntropyLossGrad]") {
  const Tensor scores = Tensor::FromVector<float>({1, 2, 3, 0, 0, 0}, {2, 3});
  const Tensor labels = Tensor::FromVector<int64_t>({2, 0}, {2});
  // Row 0: logsumexp = 3 + log(1 + e^-1 + e^-2) = 3.4076059, loss 0.4076059; row 1: log 3 =
  // 1.0986123. Mean 0.7531091.
  CHECK(Values(Run1("SoftmaxCrossEntropyLoss", {&scores, &labels}, {}))[0] == Approx(0.7531091f).epsilon(1e-6));
  const std::vector<float> none =
      Values(Run1("SoftmaxCrossEntropyLoss", {&scores, &labels}, {2}, WithReduction("none")));
  CHECK(none[0] == Approx(0.4076059f).epsilon(1e-6));
  CHECK(none[1] == Approx(1.0986123f).epsilon(1e-6));
  // Weights [1, 2, 0.5]: row 0 weighs 0.5, row 1 weighs 1: (0.2038030 + 1.0986123) / 1.5.
  const Tensor w = Tensor::FromVector<float>({1, 2, 0.5f}, {3});
  CHECK(Values(Run1("SoftmaxCrossEntropyLoss", {&scores, &labels, &w}, {}))[0] ==
        Approx(0.8682769f).epsilon(1e-6));
  CHECK(Values(Run1("SoftmaxCrossEntropyLoss", {&scores, &labels, &w}, {}, WithReduction("sum")))[0] ==
        Approx(1.3024153f).epsilon(1e-6));
  // ignore_index 0 drops row 1: the mean is row 0's loss alone.
  CHECK(Values(Run1("SoftmaxCrossEntropyLoss", {&scores, &labels}, {}, {{"ignore_index", int64_t{0}}}))[0] ==
        Approx(0.4076059f).epsilon(1e-6));
  // i32 labels read the same.
  const Tensor labels32 = Tensor::FromVector<int32_t>({2, 0}, {2});
  CHECK(Values(Run1("SoftmaxCrossEntropyLoss", {&scores, &labels32}, {}))[0] == Approx(0.7531091f).epsilon(1e-6));

  // The optional log_prob output is log_softmax: row 0 is x - 3.4076059.
  Tensor loss = Tensor::Zeros(DType::kF32, {}), log_prob = Tensor::Zeros(DType::kF32, {2, 3});
  test::RunKernel("SoftmaxCrossEntropyLoss", {&scores, &labels}, {&loss, &log_prob});
  CHECK(log_prob.data<float>()[0] == Approx(-2.4076059f).epsilon(1e-6));
  CHECK(log_prob.data<float>()[2] == Approx(-0.4076059f).epsilon(1e-6));
  CHECK(log_prob.data<float>()[4] == Approx(-1.0986123f).epsilon(1e-6));

  // (softmax - onehot) / 2: softmax of row 0 is [0.0900306, 0.2447285, 0.6652410], of row 1 a third each.
  const Tensor g = Tensor::FromVector<float>({1.0f}, {});
  const std::vector<float> dx = Values(Run1("SoftmaxCrossEntropyLossGrad", {&g, &scores, &labels}, {2, 3}));
  const std::vector<double> want = {0.0450153, 0.1223642, -0.1673795, -1.0 / 3, 1.0 / 6, 1.0 / 6};
  CheckClose(dx, want, 1e-5, 1e-7);
  // Ignored samples get no gradient.
  const std::vector<float> ignored =
      Values(Run1("SoftmaxCrossEntropyLossGrad", {&g, &scores, &labels}, {2, 3}, {{"ignore_index", int64_t{2}}}));
  CHECK(ignored[0] == 0.0f);
  CHECK(ignored[2] == 0.0f);
  CHECK(ignored[3] == Approx(-2.0f / 3));  // row 1 alone: the divisor is 1
}

TEST_CASE("SoftmaxCrossEntropyLoss is stable for huge scores", "[kernels][loss][kernel:SoftmaxCrossEntropyLoss]") {
  // exp(1000) overflows a float; the loss subtracts the max first. Row: log(1 + e^-1 + e^-2000).
  const Tensor scores = Tensor::FromVector<float>({1000, 999, -1000}, {1, 3});
  const Tensor labels = Tensor::FromVector<int64_t>({1}, {1});
  CHECK(Values(Run1("SoftmaxCrossEntropyLoss", {&scores, &labels}, {}))[0] ==
        Approx(1 + std::log1p(std::exp(-1.0))).epsilon(1e-6));
}

TEST_CASE("NegativeLogLikelihoodLoss and its gradient by hand",
          "[kernels][loss][kernel:NegativeLogLikelihoodLoss][kernel:NegativeLogLikelihoodLossGrad]") {
  const Tensor input = Tensor::FromVector<float>({-1, -2, -0.5f, -3}, {2, 2});
  const Tensor target = Tensor::FromVector<int64_t>({1, 0}, {2});
  // Picks -(-2) and -(-0.5): mean 1.25, sum 2.5.
  CHECK(Values(Run1("NegativeLogLikelihoodLoss", {&input, &target}, {})) == std::vector<float>{1.25f});
  CHECK(Values(Run1("NegativeLogLikelihoodLoss", {&input, &target}, {}, WithReduction("sum"))) ==
        std::vector<float>{2.5f});
  // Weights [2, 1]: (1·2 + 2·0.5) / (1 + 2) = 1.
  const Tensor w = Tensor::FromVector<float>({2, 1}, {2});
  CHECK(Values(Run1("NegativeLogLikelihoodLoss", {&input, &target, &w}, {})) == std::vector<float>{1.0f});
  CHECK(Values(Run1("NegativeLogLikelihoodLoss", {&input, &target, &w}, {2}, WithReduction("none"))) ==
        std::vector<float>{2.0f, 1.0f});
  // d mean / d input = -w/3 at each label: [0, -1/3, -2/3, 0] with weights.
  const Tensor g = Tensor::FromVector<float>({1.0f}, {});
  const std::vector<float> dx = Values(Run1("NegativeLogLikelihoodLossGrad", {&g, &input, &target, &w}, {2, 2}));
  CHECK(dx[0] == 0.0f);
  CHECK(dx[1] == Approx(-1.0f / 3));
  CHECK(dx[2] == Approx(-2.0f / 3));
  CHECK(dx[3] == 0.0f);
}

TEST_CASE("class losses refuse labels outside the classes, naming the op and the label",
          "[kernels][loss][kernel:SoftmaxCrossEntropyLoss][kernel:NegativeLogLikelihoodLoss]"
          "[kernel:SoftmaxCrossEntropyLossGrad][kernel:NegativeLogLikelihoodLossGrad]") {
  const Tensor scores = Tensor::FromVector<float>({1, 2, 3, 0, 0, 0}, {2, 3});
  const Tensor g = Tensor::FromVector<float>({1.0f}, {});
  for (int64_t bad : {int64_t{3}, int64_t{-1}, int64_t{1} << 40, std::numeric_limits<int64_t>::min()}) {
    INFO("label " << bad);
    const Tensor labels = Tensor::FromVector<int64_t>({0, bad}, {2});
    for (const char* op : {"SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss"}) {
      CHECK_THROWS_WITH(Run1(op, {&scores, &labels}, {}),
                        Catch::Contains(op) && Catch::Contains("label " + std::to_string(bad) + " (labels element 1)") &&
                            Catch::Contains("valid are 0 to 2"));
      CHECK_THROWS_WITH(Run1(std::string(op) + "Grad", {&g, &scores, &labels}, {2, 3}),
                        Catch::Contains(std::string(op) + "Grad") && Catch::Contains("label " + std::to_string(bad)));
    }
  }
  // A label equal to ignore_index is fine wherever it lies.
  const Tensor labels = Tensor::FromVector<int64_t>({0, -100}, {2});
  CHECK(Values(Run1("SoftmaxCrossEntropyLoss", {&scores, &labels}, {}, {{"ignore_index", int64_t{-100}}}))[0] ==
        Approx(2.4076059f).epsilon(1e-6));
  const Tensor labels32 = Tensor::FromVector<int32_t>({7, 0}, {2});
  CHECK_THROWS_WITH(Run1("NegativeLogLikelihoodLoss", {&scores, &labels32}, {}, {{"ignore_index", int64_t{-1}}}),
                    Catch::Contains("label 7 (labels element 0)") && Catch::Contains("and ignore_index -1"));
}

const ClassCase kClassCases[] = {
    {{5, 7}, false, std::nullopt, "mean"},
    {{5, 7}, true, std::nullopt, "sum"},
    {{6, 40}, true, 3, "mean"},
    {{6, 40}, false, -1, "none"},
    {{3, 5, 2}, false, std::nullopt, "mean"},
    {{3, 5, 2}, true, 4, "none"},
    {{2, 4, 3, 37}, true, 0, "mean"},  // 111 samples along inner: whole vectors and a partial one
    {{2, 3, 300}, false, 1, "sum"},    // more than one 256-sample work item per batch entry
    {{2, 1, 4}, false, std::nullopt, "mean"},
    {{0, 3}, false, std::nullopt, "sum"},
    {{70, 1000}, false, std::nullopt, "mean"},  // several parallel row blocks
};

// Labels in [0, C), with about a fifth set to ignore_index when there is one.
std::vector<int64_t> RandomLabels(const ClassCase& c, uint32_t seed) {
  const ClassDims d = DimsOf(c.shape);
  std::vector<int64_t> labels(static_cast<std::size_t>(d.n * d.inner));
  std::mt19937 rng(seed);
  for (int64_t& l : labels) {
    l = static_cast<int64_t>(rng() % static_cast<uint32_t>(d.c));
    if (c.ignore && rng() % 5 == 0) l = *c.ignore;
  }
  return labels;
}

int64_t Count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

ClassLossLayout LayoutOf(const ClassCase& c) {
  const ClassDims d = DimsOf(c.shape);
  ClassLossLayout l;
  l.batch = d.n;
  l.classes = d.c;
  l.inner = d.inner;
  l.has_ignore = c.ignore.has_value();
  l.ignore_index = c.ignore.value_or(0);
  l.reduction = c.reduction == "none" ? LossReduction::kNone : c.reduction == "sum" ? LossReduction::kSum
                                                                                    : LossReduction::kMean;
  return l;
}

std::string Describe(const ClassCase& c) {
  return ShapeToString(c.shape) + (c.weights ? " weighted" : "") +
         (c.ignore ? " ignore " + std::to_string(*c.ignore) : std::string()) + " " + c.reduction;
}

TEST_CASE("class losses match ONNX's reference on every target and layout",
          "[kernels][loss][kernel:SoftmaxCrossEntropyLoss][kernel:NegativeLogLikelihoodLoss]") {
  for (const ClassCase& c : kClassCases) {
    const ClassDims d = DimsOf(c.shape);
    const std::vector<float> scores = test::RandomFloats(Count(c.shape), 8, -10, 10);
    const std::vector<int64_t> labels = RandomLabels(c, 9);
    const std::vector<float> weights = c.weights ? test::RandomFloats(d.c, 10, 0.1f, 2) : std::vector<float>{};
    const ClassLossLayout l = LayoutOf(c);
    std::vector<std::byte> ws(ClassLossWorkspaceBytes(l) + 64);
    void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(ws.data()) + 63) / 64 * 64);
    for (bool softmax : {true, false}) {
      std::vector<double> want_log_prob;
      const std::vector<double> want = ClassLossRef(softmax, ToDouble(scores), c.shape, labels, weights, c.ignore,
                                                    c.reduction, &want_log_prob);
      test::ForEachTarget([&](const char*) {
        INFO((softmax ? "SoftmaxCrossEntropyLoss " : "NegativeLogLikelihoodLoss ") << Describe(c));
        std::vector<float> loss(want.size()), log_prob(scores.size());
        if (softmax) {
          SoftmaxCrossEntropyF32(l, scores.data(), labels.data(), c.weights ? weights.data() : nullptr, loss.data(),
                                 log_prob.data(), aligned);
          CheckClose(log_prob, want_log_prob, 1e-5, 1e-5);
        } else {
          NegativeLogLikelihoodF32(l, scores.data(), labels.data(), c.weights ? weights.data() : nullptr, loss.data(),
                                   aligned);
        }
        CheckClose(loss, want, 1e-5, 1e-5);
      });
    }
  }
}

TEST_CASE("class loss gradients match central differences of the double reference",
          "[kernels][loss][kernel:SoftmaxCrossEntropyLossGrad][kernel:NegativeLogLikelihoodLossGrad]") {
  for (const ClassCase& c : kClassCases) {
    if (Count(c.shape) > 2000) continue;  // the differences cost a forward pass per element
    const ClassDims d = DimsOf(c.shape);
    const Tensor scores = Tensor::FromVector(test::RandomFloats(Count(c.shape), 11, -3, 3), c.shape);
    const std::vector<int64_t> label_values = RandomLabels(c, 12);
    std::vector<int64_t> sample_shape = c.shape;
    sample_shape.erase(sample_shape.begin() + 1);
    const Tensor labels = Tensor::FromVector(label_values, sample_shape);
    const Tensor weights = Tensor::FromVector(test::RandomFloats(d.c, 13, 0.1f, 2), {d.c});
    const bool none = c.reduction == "none";
    const Tensor g = none ? Tensor::FromVector(test::RandomFloats(d.n * d.inner, 14, -2, 2), sample_shape)
                          : Tensor::FromVector<float>({1.25f}, {});
    Attrs attrs = WithReduction(c.reduction);
    if (c.ignore) attrs["ignore_index"] = *c.ignore;
    const std::vector<float> w = c.weights ? Values(weights) : std::vector<float>{};
    for (bool softmax : {true, false}) {
      const std::string op = softmax ? "SoftmaxCrossEntropyLossGrad" : "NegativeLogLikelihoodLossGrad";
      INFO(op << " " << Describe(c));
      const std::vector<double> want = NumericGrad(
          [&](const std::vector<double>& at) {
            return ClassLossRef(softmax, at, c.shape, label_values, w, c.ignore, c.reduction);
          },
          Values(scores), Values(g), 1e-5);
      std::vector<const Tensor*> inputs = {&g, &scores, &labels};
      if (c.weights) inputs.push_back(&weights);
      test::ForEachTarget([&](const char*) { CheckClose(Values(Run1(op, inputs, c.shape, attrs)), want, 1e-4, 1e-6); });
    }
  }
}

TEST_CASE("loss results do not depend on the thread count", "[kernels][loss]") {
  // Large enough for several parallel blocks (pointwise), row blocks and strided items, and a
  // chunked pairwise sum.
  const int64_t n = 300000;
  const std::vector<float> x = test::RandomFloats(n, 21, 0.01f, 0.99f), t = test::RandomFloats(n, 22, 0, 1);
  const std::vector<float> dy = test::RandomFloats(n, 23, -1, 1);
  for (PointwiseLoss loss : {PointwiseLoss::kMSE, PointwiseLoss::kBCE, PointwiseLoss::kBCEWithLogits}) {
    INFO(PointwiseName(loss));
    std::vector<std::byte> ws(PointwiseLossWorkspaceBytes(n, LossReduction::kMean) + 64);
    void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(ws.data()) + 63) / 64 * 64);
    float y1 = 0, y2 = 0;
    std::vector<float> g1(x.size()), g2(x.size());
    tbb::task_arena one(1), four(4);
    one.execute([&] {
      PointwiseLossF32(loss, LossReduction::kMean, x.data(), t.data(), n, &y1, aligned);
      PointwiseLossGradF32(loss, LossReduction::kNone, dy.data(), x.data(), t.data(), n, g1.data());
    });
    four.execute([&] {
      PointwiseLossF32(loss, LossReduction::kMean, x.data(), t.data(), n, &y2, aligned);
      PointwiseLossGradF32(loss, LossReduction::kNone, dy.data(), x.data(), t.data(), n, g2.data());
    });
    CHECK(y1 == y2);
    CHECK(g1 == g2);
  }
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{3000, 100}, std::vector<int64_t>{4, 10, 3000}}) {
    INFO(ShapeToString(shape));
    const ClassCase c{shape, true, 1, "mean"};
    const ClassLossLayout l = LayoutOf(c);
    const std::vector<float> scores = test::RandomFloats(Count(shape), 24, -5, 5);
    const std::vector<int64_t> labels = RandomLabels(c, 25);
    const std::vector<float> weights = test::RandomFloats(l.classes, 26, 0.5f, 2);
    std::vector<std::byte> ws(ClassLossWorkspaceBytes(l) + 64);
    void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(ws.data()) + 63) / 64 * 64);
    float y1 = 0, y2 = 0, dloss = 1;
    std::vector<float> g1(scores.size()), g2(scores.size());
    tbb::task_arena one(1), four(4);
    one.execute([&] {
      SoftmaxCrossEntropyF32(l, scores.data(), labels.data(), weights.data(), &y1, nullptr, aligned);
      SoftmaxCrossEntropyGradF32(l, &dloss, scores.data(), labels.data(), weights.data(), g1.data(), aligned);
    });
    four.execute([&] {
      SoftmaxCrossEntropyF32(l, scores.data(), labels.data(), weights.data(), &y2, nullptr, aligned);
      SoftmaxCrossEntropyGradF32(l, &dloss, scores.data(), labels.data(), weights.data(), g2.data(), aligned);
    });
    CHECK(y1 == y2);
    CHECK(g1 == g2);
  }
}

TEST_CASE("loss gradient kernels may write over their input", "[kernels][loss]") {
  test::ForEachTarget([&](const char*) {
    const int64_t n = 1001;
    const std::vector<float> x = test::RandomFloats(n, 31, 0.05f, 0.95f), t = test::RandomFloats(n, 32, 0, 1);
    for (PointwiseLoss loss : {PointwiseLoss::kMSE, PointwiseLoss::kBCE, PointwiseLoss::kBCEWithLogits}) {
      INFO(PointwiseName(loss));
      const float g = 0.5f;
      std::vector<float> apart(x.size()), in_place = x;
      PointwiseLossGradF32(loss, LossReduction::kSum, &g, x.data(), t.data(), n, apart.data());
      PointwiseLossGradF32(loss, LossReduction::kSum, &g, in_place.data(), t.data(), n, in_place.data());
      CHECK(apart == in_place);
    }
    for (const std::vector<int64_t>& shape : {std::vector<int64_t>{9, 37}, std::vector<int64_t>{2, 5, 37}}) {
      INFO(ShapeToString(shape));
      const ClassCase c{shape, false, 2, "mean"};
      const ClassLossLayout l = LayoutOf(c);
      const std::vector<float> scores = test::RandomFloats(Count(shape), 33, -5, 5);
      const std::vector<int64_t> labels = RandomLabels(c, 34);
      std::vector<std::byte> ws(ClassLossWorkspaceBytes(l) + 64);
      void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(ws.data()) + 63) / 64 * 64);
      const float dloss = 1;
      std::vector<float> apart(scores.size()), in_place = scores;
      SoftmaxCrossEntropyGradF32(l, &dloss, scores.data(), labels.data(), nullptr, apart.data(), aligned);
      SoftmaxCrossEntropyGradF32(l, &dloss, in_place.data(), labels.data(), nullptr, in_place.data(), aligned);
      CHECK(apart == in_place);
    }
  });
}

}  // namespace
}  // namespace axon::kernels
