// Kernels of the backward helper ops through their adapters, on every Highway target, against
// double-precision references written from docs/training.md's formulas.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon {
namespace {

Tensor RandomTensor(std::vector<int64_t> shape, uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return Tensor::FromVector(test::RandomFloats(n, seed, lo, hi), shape);
}

// Sizes around vector widths and the 16K flat block, so bodies, tails and blocks all run.
const int64_t kSizes[] = {0, 1, 7, 16, 33, 1000, 16384 + 19};

}  // namespace

TEST_CASE("pointwise activation gradients match their formulas",
          "[kernels][backward][kernel:ReluGrad][kernel:LeakyReluGrad][kernel:SigmoidGrad][kernel:TanhGrad]") {
  test::ForEachTarget([](const char*) {
    for (int64_t n : kSizes) {
      const Tensor dy = RandomTensor({n}, 1), x = RandomTensor({n}, 2), y = RandomTensor({n}, 3, 0.0f, 1.0f);
      const float* g = dy.data<float>();
      Tensor out = Tensor::Zeros(DType::kF32, {n});
      test::RunKernel("ReluGrad", {&dy, &x}, {&out});
      for (int64_t i = 0; i < n; ++i) CHECK(out.data<float>()[i] == (x.data<float>()[i] > 0 ? g[i] : 0.0f));
      test::RunKernel("LeakyReluGrad", {&dy, &x}, {&out}, {{"alpha", 0.2f}});
      for (int64_t i = 0; i < n; ++i) CHECK(out.data<float>()[i] == (x.data<float>()[i] > 0 ? g[i] : g[i] * 0.2f));
      test::RunKernel("SigmoidGrad", {&dy, &y}, {&out});
      for (int64_t i = 0; i < n; ++i) {
        const double yi = y.data<float>()[i], r = g[i] * yi * (1 - yi);
        CHECK(std::fabs(out.data<float>()[i] - r) <= 1e-6 * (std::fabs(r) + 1e-6));
      }
      test::RunKernel("TanhGrad", {&dy, &y}, {&out});
      for (int64_t i = 0; i < n; ++i) {
        const double yi = y.data<float>()[i], r = g[i] * (1 - yi * yi);
        // y² rounds to half an ulp of 1 (6e-8) before 1 − y² cancels (unless the target fuses it):
        // that error is absolute, relative to dy.
        CHECK(std::fabs(out.data<float>()[i] - r) <= 1e-6 * std::fabs(r) + 2e-7 * std::fabs(g[i]));
      }
    }
  });
}

TEST_CASE("SoftmaxGrad and LogSoftmaxGrad match their formulas along every axis",
          "[kernels][backward][kernel:SoftmaxGrad][kernel:LogSoftmaxGrad]") {
  struct Case {
    std::vector<int64_t> shape;
    int64_t axis;
  };
  const Case cases[] = {{{3, 7}, -1}, {{2, 33}, 1}, {{4, 5}, 0}, {{2, 3, 20}, 1}, {{2, 300, 3}, 1}, {{1000}, 0},
                        {{2, 3, 4, 5}, 2}, {{3, 0}, 0}};
  test::ForEachTarget([&](const char*) {
    for (const Case& c : cases) {
      INFO("shape " << ShapeToString(c.shape) << " axis " << c.axis);
      const Tensor dy = RandomTensor(c.shape, 4), y = RandomTensor(c.shape, 5, 0.0f, 1.0f),
                   logy = RandomTensor(c.shape, 6, -4.0f, 0.0f);
      const int64_t rank = static_cast<int64_t>(c.shape.size()), axis = c.axis < 0 ? c.axis + rank : c.axis;
      int64_t outer = 1, inner = 1;
      const int64_t len = c.shape[axis];
      for (int64_t i = 0; i < axis; ++i) outer *= c.shape[i];
      for (int64_t i = axis + 1; i < rank; ++i) inner *= c.shape[i];
      Tensor out = Tensor::Zeros(DType::kF32, c.shape), out_log = Tensor::Zeros(DType::kF32, c.shape);
      test::RunKernel("SoftmaxGrad", {&dy, &y}, {&out}, {{"axis", c.axis}});
      test::RunKernel("LogSoftmaxGrad", {&dy, &logy}, {&out_log}, {{"axis", c.axis}});
      const float *g = dy.data<float>(), *p = y.data<float>(), *l = logy.data<float>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < inner; ++j) {
          auto at = [&](int64_t a) { return (o * len + a) * inner + j; };
          double s = 0, s_log = 0, mag = 0;
          for (int64_t a = 0; a < len; ++a) {
            s += double{g[at(a)]} * p[at(a)];
            s_log += g[at(a)];
            mag += std::fabs(g[at(a)]);
          }
          for (int64_t a = 0; a < len; ++a) {
            const double r = p[at(a)] * (g[at(a)] - s), r_log = g[at(a)] - std::exp(double{l[at(a)]}) * s_log;
            // The sums are rounded in f32: their error scales with Σ|dY|.
            CHECK(std::fabs(out.data<float>()[at(a)] - r) <= 1e-6 * (mag + 1));
            CHECK(std::fabs(out_log.data<float>()[at(a)] - r_log) <= 1e-6 * (mag + 1));
          }
        }
    }
  });
}

TEST_CASE("SumTo sums over the dims along which Like was broadcast", "[kernels][backward][kernel:SumTo]") {
  struct Case {
    std::vector<int64_t> x, like;
  };
  const Case cases[] = {{{2, 3, 4}, {4}},    {{2, 3, 4}, {3, 1}}, {{2, 3, 4}, {1, 3, 4}}, {{2, 3, 4}, {}},
                        {{2, 3, 4}, {2, 3, 4}}, {{5, 1, 7}, {1, 1}}, {{300, 70}, {70}},   {{70, 300}, {70, 1}}};
  for (const Case& c : cases) {
    INFO("X " << ShapeToString(c.x) << " Like " << ShapeToString(c.like));
    const Tensor x = RandomTensor(c.x, 7);
    const Tensor like = Tensor::Zeros(DType::kF32, c.like);
    Tensor out = Tensor::Zeros(DType::kF32, c.like);
    test::RunKernel("SumTo", {&x, &like}, {&out});
    // Reference: each x element added to the Like element it broadcasts from.
    std::vector<double> ref(static_cast<std::size_t>(out.size()), 0.0);
    const std::size_t off = c.x.size() - c.like.size();
    std::vector<int64_t> idx(c.x.size(), 0);
    for (int64_t k = 0; k < x.size(); ++k) {
      int64_t o = 0;
      for (std::size_t i = 0; i < c.like.size(); ++i) o = o * c.like[i] + (c.like[i] == 1 ? 0 : idx[off + i]);
      ref[static_cast<std::size_t>(o)] += x.data<float>()[k];
      for (int64_t d = static_cast<int64_t>(c.x.size()) - 1; d >= 0; --d) {
        if (++idx[d] < c.x[d]) break;
        idx[d] = 0;
      }
    }
    for (std::size_t i = 0; i < ref.size(); ++i) CHECK(std::fabs(out.data<float>()[i] - ref[i]) <= 1e-5 * (std::fabs(ref[i]) + 1));
  }
  const Tensor x = RandomTensor({2, 3}, 8), like = Tensor::Zeros(DType::kF32, {2, 2});
  Tensor out = Tensor::Zeros(DType::kF32, {2, 2});
  CHECK_THROWS_WITH(test::RunKernel("SumTo", {&x, &like}, {&out}), Catch::Contains("does not broadcast"));
}

}  // namespace axon

namespace axon {

TEST_CASE("GatherGrad adds rows back where they were gathered from", "[kernels][backward][kernel:GatherGrad]") {
  test::ForEachTarget([](const char*) {
    for (int64_t inner : {1, 5, 37}) {
      INFO("inner " << inner);
      const std::vector<int64_t> idx = {2, -1, 2, 0, 3, 3, 3};
      const Tensor indices = Tensor::FromVector(idx, {7});
      const Tensor dy = RandomTensor({2, 7, inner}, 9);
      const Tensor like = Tensor::Zeros(DType::kF32, {2, 4, inner});
      Tensor out = Tensor::Zeros(DType::kF32, {2, 4, inner});
      test::RunKernel("GatherGrad", {&dy, &indices, &like}, {&out}, {{"axis", int64_t{1}}});
      std::vector<double> ref(static_cast<std::size_t>(2 * 4 * inner), 0.0);
      for (int64_t o = 0; o < 2; ++o)
        for (int64_t j = 0; j < 7; ++j)
          for (int64_t k = 0; k < inner; ++k)
            ref[(o * 4 + (idx[j] + 4) % 4) * inner + k] += dy.data<float>()[(o * 7 + j) * inner + k];
      for (std::size_t i = 0; i < ref.size(); ++i) CHECK(std::fabs(out.data<float>()[i] - ref[i]) <= 1e-6 * (std::fabs(ref[i]) + 1));
      const Tensor bad = Tensor::FromVector(std::vector<int64_t>{0, 4, 0, 0, 0, 0, 0}, {7});
      CHECK_THROWS_WITH(test::RunKernel("GatherGrad", {&dy, &bad, &like}, {&out}, {{"axis", int64_t{1}}}),
                        Catch::Contains("index 4") && Catch::Contains("out of range"));
    }
  });
}

}  // namespace axon

namespace axon {

TEST_CASE("MaxPoolGrad routes dY to each window's maximum; AveragePoolGrad spreads it over the taps",
          "[kernels][backward][kernel:MaxPoolGrad][kernel:AveragePoolGrad]") {
  // x [1, 1, 3, 4], 2x2 windows with stride 2 and one row of end padding: windows {0,1,4,5} and
  // {2,3,6,7}, then the half-padded {8,9} and {10,11} (image row 2 and the padding row).
  const std::vector<float> xv = {1, 5, 2, 0,  //
                                 3, 4, 8, 8,  //
                                 9, 7, 6, 6.5f};
  const Tensor x = Tensor::FromVector(xv, {1, 1, 3, 4});
  const Tensor dy = Tensor::FromVector(std::vector<float>{10, 20, 30, 40}, {1, 1, 2, 2});
  const std::map<std::string, graph::Attribute> attrs = {{"kernel_shape", std::vector<int64_t>{2, 2}},
                                                         {"strides", std::vector<int64_t>{2, 2}},
                                                         {"pads", std::vector<int64_t>{0, 0, 1, 0}}};
  Tensor out = Tensor::Zeros(DType::kF32, {1, 1, 3, 4});
  test::RunKernel("MaxPoolGrad", {&dy, &x}, {&out}, attrs);
  // Maxima: 5 (index 1), the first 8 (index 6, a tie with index 7), 9 (index 8), 6.5 (index 11).
  CHECK(out.ToFloatVector() == std::vector<float>{0, 10, 0, 0, 0, 0, 20, 0, 30, 0, 0, 40});
  auto avg_attrs = attrs;
  test::RunKernel("AveragePoolGrad", {&dy, &x}, {&out}, avg_attrs);
  // Divisors exclude the padding: 4, 4, 2, 2.
  CHECK(out.ToFloatVector() == std::vector<float>{2.5f, 2.5f, 5, 5, 2.5f, 2.5f, 5, 5, 15, 15, 20, 20});
  avg_attrs["count_include_pad"] = int64_t{1};
  test::RunKernel("AveragePoolGrad", {&dy, &x}, {&out}, avg_attrs);
  CHECK(out.ToFloatVector() == std::vector<float>{2.5f, 2.5f, 5, 5, 2.5f, 2.5f, 5, 5, 7.5f, 7.5f, 10, 10});
}

}  // namespace axon

namespace axon {

TEST_CASE("ConvWeightGrad sums dY times the input under each tap", "[kernels][backward][kernel:ConvWeightGrad]") {
  // X [2, 2, 4, 5], W [3, 1, 2, 3] in 2 groups? No: group 1, C 2 -> W [3, 2, 2, 3], stride 1, pads
  // (1, 0, 0, 1): dW[m, c, kh, kw] = Σ_n,oh,ow dY[n, m, oh, ow] · X[n, c, oh + kh − 1, ow + kw].
  const int64_t N = 2, C = 2, H = 4, Wd = 5, M = 3, KH = 2, KW = 3;
  const int64_t OH = H + 1 - KH + 1, OW = Wd + 1 - KW + 1;
  const Tensor x = RandomTensor({N, C, H, Wd}, 11), dy = RandomTensor({N, M, OH, OW}, 12);
  const Tensor w = Tensor::Zeros(DType::kF32, {M, C, KH, KW});
  Tensor out = Tensor::Zeros(DType::kF32, {M, C, KH, KW});
  test::RunKernel("ConvWeightGrad", {&dy, &x, &w}, {&out}, {{"pads", std::vector<int64_t>{1, 0, 0, 1}}});
  for (int64_t m = 0; m < M; ++m)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw) {
          double r = 0;
          for (int64_t n = 0; n < N; ++n)
            for (int64_t oh = 0; oh < OH; ++oh)
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t ih = oh + kh - 1, iw = ow + kw;
                if (ih < 0 || ih >= H || iw >= Wd) continue;
                r += double{dy.data<float>()[((n * M + m) * OH + oh) * OW + ow]} * x.data<float>()[((n * C + c) * H + ih) * Wd + iw];
              }
          CHECK(std::fabs(out.data<float>()[((m * C + c) * KH + kh) * KW + kw] - r) <= 1e-5 * (std::fabs(r) + 1));
        }
}

}  // namespace axon

namespace axon {

TEST_CASE("SliceGrad puts dY back where Slice took it (steps of both signs), zeros elsewhere",
          "[kernels][backward][kernel:SliceGrad]") {
  // x [4, 6]: rows 1 and 3 (start 1, step 2); columns 5, 3, 1 (start 5, step -2).
  const Tensor dy = Tensor::FromVector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor like = Tensor::Zeros(DType::kF32, {4, 6});
  const Tensor starts = Tensor::FromVector(std::vector<int64_t>{1, 5}, {2});
  const Tensor ends = Tensor::FromVector(std::vector<int64_t>{4, 0}, {2});
  const Tensor axes = Tensor::FromVector(std::vector<int64_t>{0, 1}, {2});
  const Tensor steps = Tensor::FromVector(std::vector<int64_t>{2, -2}, {2});
  Tensor out = Tensor::FromVector(std::vector<float>(24, 7.0f), {4, 6});  // every element must be written
  test::RunKernel("SliceGrad", {&dy, &like, &starts, &ends, &axes, &steps}, {&out});
  CHECK(out.ToFloatVector() == std::vector<float>{0, 0, 0, 0, 0, 0,  //
                                                  0, 3, 0, 2, 0, 1,  //
                                                  0, 0, 0, 0, 0, 0,  //
                                                  0, 6, 0, 5, 0, 4});
  // Without axes and steps: the first dims, step 1.
  const Tensor dy2 = Tensor::FromVector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  const Tensor s2 = Tensor::FromVector(std::vector<int64_t>{2, -2}, {2});
  const Tensor e2 = Tensor::FromVector(std::vector<int64_t>{100, 100}, {2});
  test::RunKernel("SliceGrad", {&dy2, &like, &s2, &e2}, {&out});
  CHECK(out.ToFloatVector() == std::vector<float>{0, 0, 0, 0, 0, 0,  //
                                                  0, 0, 0, 0, 0, 0,  //
                                                  0, 0, 0, 0, 1, 2,  //
                                                  0, 0, 0, 0, 3, 4});
}

}  // namespace axon
