// Dropout through its adapter: the mask's statistics (keep fraction, independence between draws),
// the scaling, the vector paths against the scalar reference on every Highway target, and
// determinism across thread counts.
#include "runtime/kernels/dropout.h"

#include <cmath>
#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include "axon/axon.h"
#include "graph/builder.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

Tensor Seed(int64_t seed, int64_t counter) { return Tensor::FromVector(std::vector<int64_t>{seed, counter}, {2}); }

std::vector<float> RunDropout(const std::vector<float>& x, float ratio, const Tensor* seed, int64_t stream = 0) {
  const Tensor in = Tensor::FromVector(x, {static_cast<int64_t>(x.size())});
  Tensor out = Tensor::Zeros(DType::kF32, {static_cast<int64_t>(x.size())});
  test::RunKernel("Dropout", {&in, seed}, {&out}, {{"ratio", ratio}, {"stream", stream}});
  return out.ToFloatVector();
}

}  // namespace

TEST_CASE("Dropout keeps 1 - ratio of the elements, scaled by 1 / (1 - ratio), others zero", "[kernel:Dropout]") {
  const int64_t n = 100003;  // several blocks and a tail
  const std::vector<float> x = test::RandomFloats(n, 7, -3.0f, 3.0f);
  for (float ratio : {0.1f, 0.3f, 0.5f, 0.9f}) {
    INFO("ratio " << ratio);
    const Tensor seed = Seed(42, 3);
    const std::vector<float> y = RunDropout(x, ratio, &seed);
    const float scale = 1.0f / static_cast<float>(1.0 - static_cast<double>(ratio));
    int64_t kept = 0;
    bool exact = true, as_reference = true;
    for (int64_t i = 0; i < n; ++i) {
      const bool keep = DropoutKeeps({42, 3, 0}, static_cast<uint64_t>(i), ratio);
      as_reference = as_reference && (keep ? y[i] == x[i] * scale : y[i] == 0.0f);
      if (y[i] != 0.0f) {
        ++kept;
        exact = exact && y[i] == x[i] * scale;
      }
    }
    CHECK(as_reference);
    CHECK(exact);
    // Bernoulli(1 - ratio) over n draws: 5 standard deviations either way.
    const double p = 1.0 - ratio, sd = std::sqrt(p * (1 - p) / static_cast<double>(n));
    CHECK(std::fabs(static_cast<double>(kept) / static_cast<double>(n) - p) < 5 * sd);
    // The inverted scaling keeps the expectation: mean(y) ≈ mean(x) within the sampling spread.
    double sx = 0, sy = 0;
    for (int64_t i = 0; i < n; ++i) sx += x[i], sy += y[i];
    CHECK(std::fabs(sy - sx) / static_cast<double>(n) < 5 * 3.0 * std::sqrt((1 - p) / p / static_cast<double>(n)));
  }
}

TEST_CASE("Dropout's masks: a new counter or stream draws an independent one, the same key the same", "[kernel:Dropout]") {
  const int64_t n = 40000;
  const std::vector<float> ones(static_cast<std::size_t>(n), 1.0f);
  const float ratio = 0.5f;
  const Tensor a = Seed(1, 0), b = Seed(1, 1), c = Seed(2, 0);
  const std::vector<float> ya = RunDropout(ones, ratio, &a), yb = RunDropout(ones, ratio, &b),
                           yc = RunDropout(ones, ratio, &c), ys = RunDropout(ones, ratio, &a, 1);
  CHECK(RunDropout(ones, ratio, &a) == ya);
  // Independent masks with keep probability 1/2 agree on half the elements (±5 sd).
  for (const std::vector<float>* other : {&yb, &yc, &ys}) {
    int64_t same = 0;
    for (int64_t i = 0; i < n; ++i) same += (ya[i] != 0) == ((*other)[i] != 0);
    CHECK(std::fabs(static_cast<double>(same) / static_cast<double>(n) - 0.5) < 5 * 0.5 / std::sqrt(static_cast<double>(n)));
  }
  // Neighbouring elements are not correlated: the keep bits of i and i + 1 agree half the time.
  int64_t neighbours = 0;
  for (int64_t i = 0; i + 1 < n; ++i) neighbours += (ya[i] != 0) == (ya[i + 1] != 0);
  CHECK(std::fabs(static_cast<double>(neighbours) / static_cast<double>(n - 1) - 0.5) < 5 * 0.5 / std::sqrt(static_cast<double>(n)));
}

TEST_CASE("Dropout: ratio 0 and no Seed are the identity, and every target draws the scalar reference's mask",
          "[kernel:Dropout]") {
  const std::vector<float> x = test::RandomFloats(1037, 3, -2.0f, 2.0f);
  const Tensor seed = Seed(-5, 9);  // any i64 pair is a key
  CHECK(RunDropout(x, 0.0f, &seed) == x);
  CHECK(RunDropout(x, 0.7f, nullptr) == x);
  test::ForEachTarget([&](const char*) {
    for (int64_t n : {1, 5, 16, 17, 1037}) {
      INFO("n " << n);
      std::vector<float> y(static_cast<std::size_t>(n));
      DropoutF32(x.data(), y.data(), n, 0.25f, {static_cast<uint64_t>(-5), 9, 2});
      bool same = true;
      for (int64_t i = 0; i < n; ++i)
        same = same && y[i] == (DropoutKeeps({static_cast<uint64_t>(-5), 9, 2}, static_cast<uint64_t>(i), 0.25f)
                                    ? x[i] * (1.0f / 0.75f)
                                    : 0.0f);
      CHECK(same);
    }
  });
}

TEST_CASE("Dropout's mask does not depend on the thread count", "[kernel:Dropout]") {
  const int64_t n = 5 * 16384 + 11;
  graph::GraphBuilder b("dropout");
  auto x = b.Input("x", DType::kF32, graph::Shape({n}));
  auto s = b.Input("seed", DType::kI64, graph::Shape({2}));
  b.Output(b.Op("Dropout", {x, s}, {{"ratio", 0.4f}}), "y");
  graph::Model m;
  m.graph = b.Build();
  const std::vector<float> xs = test::RandomFloats(n, 11, -1.0f, 1.0f);
  const Tensor seed = Seed(123, 456);
  std::vector<std::vector<float>> outs;
  for (int threads : {1, 2, 4}) {
    Session session = detail::SessionFactory::FromModel(m, {.threads = threads}, "dropout");
    outs.push_back(session.Run({{"x", Tensor::View(xs.data(), {n})}, {"seed", seed}})[0].ToFloatVector());
  }
  CHECK(outs[0] == outs[1]);
  CHECK(outs[0] == outs[2]);
}

}  // namespace axon::kernels
