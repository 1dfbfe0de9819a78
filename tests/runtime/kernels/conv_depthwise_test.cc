// The depthwise driver (DepthwiseConvF32: direct kernel for 2-D stride 1/2, padded-plane kernel
// otherwise) against a double-precision depthwise convolution written from the definition, with
// its fused epilogue (bias, residual, ReLU / ReLU6), on every Highway target; the shapes put
// vectors across row ends, windows at the plane's top and bottom, and lanes in the padding.
#include "runtime/kernels/conv_depthwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "runtime/kernels/depthwise_direct.h"
#include "runtime/parallel.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

struct Case {
  int64_t batch, channels, h, w, kh, kw, stride, dilation, pad_top, pad_left, pad_bottom, pad_right;
};

WindowGeometry Geometry(const Case& c) {
  WindowGeometry g;
  const int64_t oh = (c.h + c.pad_top + c.pad_bottom - (c.kh - 1) * c.dilation - 1) / c.stride + 1;
  const int64_t ow = (c.w + c.pad_left + c.pad_right - (c.kw - 1) * c.dilation - 1) / c.stride + 1;
  g.in = {1, c.h, c.w}, g.out = {1, oh, ow}, g.kernel = {1, c.kh, c.kw};
  g.stride = {1, c.stride, c.stride}, g.dilation = {1, c.dilation, c.dilation}, g.pad = {0, c.pad_top, c.pad_left};
  return g;
}

std::string Describe(const Case& c) {
  return std::to_string(c.batch) + "x" + std::to_string(c.channels) + "x" + std::to_string(c.h) + "x" + std::to_string(c.w) +
         " kernel " + std::to_string(c.kh) + "x" + std::to_string(c.kw) + " stride " + std::to_string(c.stride) +
         " dilation " + std::to_string(c.dilation) + " pads " + std::to_string(c.pad_top) + "," + std::to_string(c.pad_left) +
         "," + std::to_string(c.pad_bottom) + "," + std::to_string(c.pad_right);
}

// X, W, bias and a residual for case c, from seeds after `seed` (advanced). X in [-4, 4), so
// that sums cross both 0 and 6.
struct Data {
  std::vector<float> x, w, b, r;
};
Data Operands(const Case& c, const WindowGeometry& g, uint32_t& seed) {
  const int64_t planes = c.batch * c.channels;
  Data d;
  d.x = test::RandomFloats(planes * c.h * c.w, ++seed, -4, 4);
  d.w = test::RandomFloats(c.channels * c.kh * c.kw, ++seed, -1, 1);
  d.b = test::RandomFloats(c.channels, ++seed, -1, 1);
  d.r = test::RandomFloats(planes * g.OutVolume(), ++seed, -2, 2);
  return d;
}

double Act(double v, Activation act) {
  if (std::isnan(v)) return v;
  switch (act) {
    case Activation::kRelu: return std::max(v, 0.0);
    case Activation::kRelu6: return std::min(std::max(v, 0.0), 6.0);
    case Activation::kSigmoid: return 1 / (1 + std::exp(-v));
    default: return v;
  }
}

// y[t, oh, ow] = act(b[c] + r[t, oh, ow] + sum over taps inside the image of w[c, kh, kw] ·
// x[t, oh·s + kh·d - pad_top, ow·s + kw·d - pad_left]), c = t % channels, in double. The bound
// 2 (K + 3) u (sum |w x| + |b| + |r|) holds for any summation order; ReLU and ReLU6 only shrink
// the error, Sigmoid (slope <= 1/4) too, plus its own relative error (1e-6, activation.h).
void Check(const Case& c, const WindowGeometry& g, const std::vector<float>& x, const std::vector<float>& w,
           const std::vector<float>& b, const std::vector<float>& r, Activation act, const std::vector<float>& got) {
  const double u = std::ldexp(1.0, -24);
  const int64_t planes = c.batch * c.channels, oh = g.out[1], ow = g.out[2];
  int64_t bad = 0;
  std::string first;
  for (int64_t t = 0; t < planes; ++t)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t ch = t % c.channels, at = (t * oh + i) * ow + j;
        double sum = b[ch] + (r.empty() ? 0.0 : r[at]), abs = std::fabs(b[ch]) + (r.empty() ? 0.0 : std::fabs(r[at]));
        for (int64_t kh = 0; kh < c.kh; ++kh)
          for (int64_t kw = 0; kw < c.kw; ++kw) {
            const int64_t ih = i * c.stride + kh * c.dilation - c.pad_top, iw = j * c.stride + kw * c.dilation - c.pad_left;
            if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
            const double p = double(w[(ch * c.kh + kh) * c.kw + kw]) * x[(t * c.h + ih) * c.w + iw];
            sum += p;
            abs += std::fabs(p);
          }
        const double want = Act(sum, act);
        const double tol = 2 * (c.kh * c.kw + 3) * u * abs + 1e-30 + (act == Activation::kSigmoid ? 1e-6 * std::fabs(want) : 0.0);
        if (!(std::fabs(got[at] - want) <= tol) && bad++ == 0)
          first = "plane " + std::to_string(t) + " (" + std::to_string(i) + ", " + std::to_string(j) + "): got " +
                  std::to_string(got[at]) + " want " + std::to_string(want);
  }
  INFO("first bad: " << first);
  CHECK(bad == 0);
}

ConvLayout Layout(const Case& c, Activation act, int threads) {
  ConvShape s;
  s.batch = c.batch, s.in_channels = c.channels, s.out_channels = c.channels, s.group = c.channels, s.window = Geometry(c);
  ConvLayout l = MakeConvLayout(s, threads);
  l.activation = act;
  return l;
}

const Case kCases[] = {
    {1, 5, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1},        // MobileNet's last planes: 4 vectors across row ends
    {1, 3, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1},      // one row a vector; top and bottom windows
    {2, 3, 14, 14, 3, 3, 2, 1, 1, 1, 1, 1},      // stride 2 to 7x7
    {1, 2, 29, 31, 3, 3, 1, 1, 1, 1, 1, 1},      // odd sizes, interior vectors read the image
    {1, 2, 29, 31, 3, 3, 2, 1, 1, 1, 1, 1},      // stride 2, odd sizes (last column's right tap in the padding)
    {1, 2, 30, 56, 3, 3, 2, 1, 1, 1, 1, 1},      // stride 2, rows of 28 (partial last vectors)
    {1, 2, 20, 70, 3, 3, 1, 1, 1, 1, 1, 1},      // long rows
    {1, 2, 12, 13, 5, 5, 1, 1, 2, 2, 2, 2},      // 5x5 same
    {1, 2, 15, 16, 5, 5, 2, 1, 2, 2, 2, 2},      // 5x5 stride 2
    {1, 2, 11, 12, 3, 3, 1, 2, 2, 2, 2, 2},      // dilation 2, same
    {1, 2, 11, 12, 3, 3, 1, 1, 0, 0, 0, 0},      // no padding: output rows narrower than input rows
    {1, 2, 9, 10, 3, 3, 1, 1, 2, 0, 1, 3},       // asymmetric pads
    {1, 2, 9, 10, 3, 3, 2, 1, 0, 2, 2, 1},       // asymmetric pads, stride 2
    {1, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1},        // plane smaller than a vector
    {1, 2, 1, 9, 1, 3, 1, 1, 0, 1, 0, 1},        // 1-D (one row)
    {1, 2, 5, 4, 5, 3, 1, 1, 2, 1, 2, 1},        // kernel taller than wide
    {1, 2, 2, 2, 3, 3, 1, 1, 3, 3, 3, 3},        // windows mostly in the padding
    {1, 2, 9, 9, 3, 3, 3, 1, 1, 1, 1, 1},        // stride 3: the padded-plane kernel
    {1, 2, 9, 9, 3, 7, 1, 1, 1, 3, 1, 3},        // 7 wide: the padded-plane kernel
};

TEST_CASE("Depthwise conv with fused epilogue matches a double reference on every target", "[kernels][conv][kernel:Conv]") {
  uint32_t seed = 7100;
  for (const Case& c : kCases) {
    INFO(Describe(c));
    const WindowGeometry g = Geometry(c);
    const int64_t planes = c.batch * c.channels;
    const auto [x, w, b, r] = Operands(c, g, seed);
    for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kRelu6, Activation::kSigmoid}) {
      for (bool residual : {false, true}) {
        INFO("activation " << static_cast<int>(act) << (residual ? " residual" : ""));
        const ConvLayout l = Layout(c, act, runtime::MaxThreads());
        REQUIRE(l.path == ConvPath::kDepthwise);
        test::ForEachTarget([&](const char*) {
          std::vector<float> y(static_cast<std::size_t>(planes * g.OutVolume()), std::numeric_limits<float>::quiet_NaN());
          DepthwiseConvF32(l, x.data(), w.data(), b.data(), y.data(), nullptr, 0, 0, residual ? r.data() : nullptr);
          Check(c, g, x, w, b, residual ? r : std::vector<float>{}, act, y);
        });
      }
    }
  }
}

// The direct kernel's rows mode computes a row's last vector whole, its spare lanes spilling into
// the next row: over planes with rows narrower than a vector (every width up to past one AVX-512
// vector), no store may leave the output, nor the workspace the layout asked for: both sit
// between guard floats (test::GuardedFloats). One thread, so the workspace is the only scratch.
TEST_CASE("Depthwise conv writes its output and nothing around it on every target", "[kernels][conv][kernel:Conv]") {
  uint32_t seed = 8300;
  tbb::task_arena arena(1);
  for (int64_t k : {3, 5})
    for (int64_t stride : {1, 2})
      for (int64_t pad : {int64_t{0}, k / 2})
        for (int64_t h = 1; h <= 9; ++h)
          for (int64_t w = 1; w <= 20; ++w) {
            if (h + 2 * pad < k || w + 2 * pad < k) continue;
            const Case c{1, 2, h, w, k, k, stride, 1, pad, pad, pad, pad};
            INFO(Describe(c));
            const WindowGeometry g = Geometry(c);
            REQUIRE(depthwise_direct::Applies(g));
            const int64_t planes = c.batch * c.channels;
            const auto n = static_cast<std::size_t>(planes * g.OutVolume());
            const std::vector<float> x = test::RandomFloats(planes * h * w, ++seed, -4, 4);
            const std::vector<float> wt = test::RandomFloats(c.channels * k * k, ++seed, -1, 1);
            const std::vector<float> b = test::RandomFloats(c.channels, ++seed, -1, 1);
            const std::vector<float> r = test::RandomFloats(static_cast<int64_t>(n), ++seed, -2, 2);
            arena.execute([&] {
              const int slots = runtime::ArenaSlots();
              const ConvLayout l = Layout(c, Activation::kRelu6, slots);
              REQUIRE(l.path == ConvPath::kDepthwise);
              const std::size_t floats = ConvWorkspaceBytes(l, slots) / sizeof(float);
              test::ForEachTarget([&](const char*) {
                test::GuardedFloats y(n), workspace(floats);
                DepthwiseConvF32(l, x.data(), wt.data(), b.data(), y.data(), workspace.data(), floats, slots, r.data());
                CHECK(y.TouchedGuards() == 0);
                CHECK(workspace.TouchedGuards() == 0);
                Check(c, g, x, wt, b, r, Activation::kRelu6, y.values());
              });
            });
          }
}

TEST_CASE("The direct depthwise kernel takes MobileNet's shapes", "[kernels][conv]") {
  CHECK(depthwise_direct::Applies(Geometry({1, 1, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1})));
  CHECK(depthwise_direct::Applies(Geometry({1, 1, 112, 112, 3, 3, 2, 1, 0, 0, 1, 1})));
  CHECK(depthwise_direct::Applies(Geometry({1, 1, 14, 14, 5, 5, 1, 1, 2, 2, 2, 2})));
  CHECK_FALSE(depthwise_direct::Applies(Geometry({1, 1, 9, 9, 3, 3, 3, 1, 1, 1, 1, 1})));
  // Flattened vectors when output rows are input rows.
  CHECK(depthwise_direct::MakePlan(Geometry({1, 1, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1}), 16).vectors == 4);
  CHECK(depthwise_direct::MakePlan(Geometry({1, 1, 14, 14, 3, 3, 2, 1, 1, 1, 1, 1}), 16).vectors == 7);
}

TEST_CASE("Depthwise conv results do not depend on the thread count", "[kernels][conv]") {
  const Case cases[] = {{2, 24, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1}, {2, 24, 17, 19, 3, 3, 2, 1, 1, 1, 1, 1}, {1, 16, 9, 9, 3, 3, 3, 1, 1, 1, 1, 1}};
  uint32_t seed = 7900;
  for (const Case& c : cases) {
    INFO(Describe(c));
    const WindowGeometry g = Geometry(c);
    const int64_t planes = c.batch * c.channels;
    const auto [x, w, b, r] = Operands(c, g, seed);
    auto run = [&](int threads) {
      std::vector<float> y(static_cast<std::size_t>(planes * g.OutVolume()));
      tbb::task_arena arena(threads);
      arena.execute([&] {
        const int slots = runtime::ArenaSlots();
        const ConvLayout l = Layout(c, Activation::kRelu6, slots);
        const std::size_t floats = ConvWorkspaceBytes(l, slots) / sizeof(float);
        std::vector<float> workspace(floats + 16);
        auto* aligned = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(workspace.data()) + 63) / 64 * 64);
        DepthwiseConvF32(l, x.data(), w.data(), b.data(), y.data(), aligned, floats, slots, r.data());
      });
      return y;
    };
    const std::vector<float> one = run(1), two = run(2), three = run(3);
    CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(one.data(), three.data(), one.size() * sizeof(float)) == 0);
    Check(c, g, x, w, b, r, Activation::kRelu6, one);
  }
}

}  // namespace
}  // namespace axon::kernels
