// A Conv whose large constant W every plan reads transposed and packed (kernels::
// TransposedWeightsReplaceW): the session releases W itself after the first plan, and later plans
// of other image sizes (one column block or several, fewer positions than a tile has rows) still
// compute the convolution, from the packed copy alone.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "graph/builder.h"
#include "runtime/executor.h"
#include "runtime/kernels/conv.h"
#include "tests/runtime/passes/pass_test_util.h"

using namespace axon;
using graph::Dim;
using graph::Shape;

namespace {

Tensor RandomTensor(std::vector<int64_t> shape, uint32_t seed) { return testing::RandomTensor(std::move(shape), seed, -1.0f, 1.0f); }

constexpr int64_t kC = 128, kM = 256;  // K = 1152, M = 256: large enough (and stride 2: not Winograd)

// y = relu(conv(x, w, stride 2, pad 1) + b) in double, and a bound on float's rounding of it.
void CheckConv(const std::vector<float>& y, const Tensor& x, const Tensor& w, const Tensor& b) {
  const int64_t h = x.shape()[2], wd = x.shape()[3], oh = (h + 1) / 2, ow = (wd + 1) / 2;
  REQUIRE(y.size() == static_cast<std::size_t>(kM * oh * ow));
  const float* xv = x.data<float>();
  const float* wv = w.data<float>();
  int64_t bad = 0;
  for (int64_t m = 0; m < kM; ++m)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double sum = b.data<float>()[m], abs = std::fabs(sum);
        for (int64_t c = 0; c < kC; ++c)
          for (int64_t ki = 0; ki < 3; ++ki)
            for (int64_t kj = 0; kj < 3; ++kj) {
              const int64_t ih = 2 * i + ki - 1, iw = 2 * j + kj - 1;
              if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
              const double t = double(wv[((m * kC + c) * 3 + ki) * 3 + kj]) * xv[(c * h + ih) * wd + iw];
              sum += t, abs += std::fabs(t);
            }
        const double want = std::max(0.0, sum);
        bad += !(std::fabs(y[(m * oh + i) * ow + j] - want) <= 2 * (kC * 9 + 2) * std::ldexp(abs, -24) + 1e-30);
      }
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("a Conv's large W read only transposed is released, and every image size still runs", "[runtime][plan][conv]") {
  kernels::ConvShape shape;
  shape.batch = 1, shape.in_channels = kC, shape.out_channels = kM;
  shape.window.kernel = {1, 3, 3}, shape.window.stride = {1, 2, 2}, shape.window.pad = {0, 1, 1};
  shape.window.in = {1, 14, 14}, shape.window.out = {1, 7, 7};
  REQUIRE(kernels::TransposedWeightsReplaceW(shape));

  const Tensor w = RandomTensor({kM, kC, 3, 3}, 7), bias = RandomTensor({kM}, 8);
  graph::GraphBuilder b("conv");
  auto x = b.Input("x", DType::kF32, Shape({1, kC, Dim::Symbol("h"), Dim::Symbol("w")}));
  auto y = b.Op("Conv", {x, b.Weight("w", w), b.Weight("b", bias)},
                {{"strides", std::vector<int64_t>{2, 2}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  b.Output(b.Op("Relu", {y}), "y");
  runtime::Executor executor(b.Build(), {});
  CHECK(executor.graph().initializers.at("w").defined());
  // 7×7 (one block, the swap that pays), then 15×17 positions, 32×32 (several column blocks) and
  // 2×2 (fewer positions than a tile's rows): plans made after W's bytes were released.
  for (const auto& [h, wd] : std::vector<std::pair<int64_t, int64_t>>{{14, 14}, {30, 33}, {64, 64}, {4, 3}}) {
    INFO(h << "x" << wd);
    const std::vector<Tensor> in = {RandomTensor({1, kC, h, wd}, static_cast<uint32_t>(h * 100 + wd))};
    const std::vector<float> out = executor.Run(*executor.PlanFor(in), in)[0].ToFloatVector();
    CHECK_FALSE(executor.graph().initializers.at("w").defined());
    CHECK(executor.graph().initializers.at("b").defined());  // read as is
    CheckConv(out, in[0], w, bias);
  }
}
