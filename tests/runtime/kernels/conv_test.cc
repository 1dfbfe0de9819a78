// Conv against a direct double-precision convolution: every path (im2col, pointwise, depthwise),
// 1-D to 3-D, odd sizes, padding, stride, dilation, groups, auto_pad, on every Highway target,
// through the kernel and through the op's adapter.
#include "runtime/kernels/conv.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "axon/tensor.h"
#include "runtime/parallel.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Ints = std::vector<int64_t>;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

struct ConvCase {
  ConvCase(Ints x, Ints w, int64_t group = 1, Ints pads = {}, Ints strides = {}, Ints dilations = {}, bool bias = false,
           std::string auto_pad = "NOTSET")
      : x(std::move(x)), w(std::move(w)), group(group), pads(std::move(pads)), strides(std::move(strides)),
        dilations(std::move(dilations)), bias(bias), auto_pad(std::move(auto_pad)) {}
  Ints x, w;
  int64_t group;
  Ints pads, strides, dilations;  // empty: the ONNX defaults
  bool bias;
  std::string auto_pad;
};

// The window of one case, resolved by the test's own reading of the ONNX spec.
struct Resolved {
  ConvShape shape;
  Ints y;
};
Resolved Resolve(const ConvCase& c) {
  const std::size_t n = c.x.size() - 2;
  Resolved r;
  r.shape.batch = c.x[0], r.shape.in_channels = c.x[1], r.shape.out_channels = c.w[0], r.shape.group = c.group;
  r.y = {c.x[0], c.w[0]};
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = 3 - n + i;
    const int64_t in = c.x[2 + i], k = c.w[2 + i];
    const int64_t s = c.strides.empty() ? 1 : c.strides[i], d = c.dilations.empty() ? 1 : c.dilations[i];
    int64_t begin = c.pads.empty() ? 0 : c.pads[i], end = c.pads.empty() ? 0 : c.pads[n + i];
    const int64_t span = (k - 1) * d + 1;
    int64_t out;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      out = (in + s - 1) / s;
      const int64_t needed = std::max<int64_t>(0, (out - 1) * s + span - in);
      begin = c.auto_pad == "SAME_UPPER" ? needed / 2 : needed - needed / 2;
    } else {
      if (c.auto_pad == "VALID") begin = end = 0;
      out = (in + begin + end - span) / s + 1;
    }
    WindowGeometry& g = r.shape.window;
    g.in[at] = in, g.out[at] = out, g.kernel[at] = k, g.stride[at] = s, g.dilation[at] = d, g.pad[at] = begin;
    r.y.push_back(out);
  }
  return r;
}

struct Expected {
  std::vector<double> value, bound;
};

// Straight from the definition, in double: y[n, m, o] = b[m] + sum over the group's channels and
// the taps inside the image of w[m, c, t] · x[n, c, o·stride + t·dilation - pad]. The bound
// 2 (K + 2) u (sum |w x| + |b|) holds for any summation order, with or without FMA.
Expected Reference(const Resolved& r, const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b) {
  const ConvShape& s = r.shape;
  const WindowGeometry& g = s.window;
  const int64_t cg = s.in_channels / s.group, mg = s.out_channels / s.group;
  const int64_t K = cg * g.KernelVolume() + 1;
  Expected e;
  const double u = std::ldexp(1.0, -24);
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t m = 0; m < s.out_channels; ++m)
      for (int64_t od = 0; od < g.out[0]; ++od)
        for (int64_t oh = 0; oh < g.out[1]; ++oh)
          for (int64_t ow = 0; ow < g.out[2]; ++ow) {
            double sum = b.empty() ? 0.0 : b[m], abs = std::fabs(sum);
            const int64_t grp = m / mg;
            for (int64_t c = 0; c < cg; ++c)
              for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
                for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
                  for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                    const int64_t id = od * g.stride[0] + kd * g.dilation[0] - g.pad[0];
                    const int64_t ih = oh * g.stride[1] + kh * g.dilation[1] - g.pad[1];
                    const int64_t iw = ow * g.stride[2] + kw * g.dilation[2] - g.pad[2];
                    if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1] || iw < 0 || iw >= g.in[2]) continue;
                    const double t = double(w[(((m * cg + c) * g.kernel[0] + kd) * g.kernel[1] + kh) * g.kernel[2] + kw]) *
                                     x[(((n * s.in_channels + grp * cg + c) * g.in[0] + id) * g.in[1] + ih) * g.in[2] + iw];
                    sum += t;
                    abs += std::fabs(t);
                  }
            e.value.push_back(sum);
            e.bound.push_back(2 * (K + 2) * u * abs + 1e-30);
          }
  return e;
}

const ConvCase kCases[] = {
    {{1, 3, 8, 8}, {4, 3, 3, 3}, 1, {1, 1, 1, 1}},
    {{2, 5, 9, 11}, {7, 5, 3, 3}, 1, {1, 0, 2, 1}, {2, 2}, {}, true},            // odd sizes, stride 2, asymmetric pads
    {{1, 4, 13, 12}, {6, 2, 3, 3}, 2, {2, 2, 2, 2}, {}, {2, 2}, true},           // groups 2, dilation 2
    {{1, 6, 10, 9}, {4, 3, 2, 4}, 2, {0, 1, 1, 2}, {3, 2}, {1, 2}},              // stride 3, mixed everything
    {{2, 8, 10, 9}, {8, 1, 3, 3}, 8, {1, 1, 1, 1}, {}, {}, true},                // depthwise
    {{1, 6, 11, 12}, {6, 1, 3, 3}, 6, {1, 1, 1, 1}, {2, 2}, {}, true},           // depthwise, stride 2
    {{1, 3, 15, 17}, {3, 1, 5, 3}, 3, {2, 0, 1, 3}, {3, 2}, {2, 3}, true},       // depthwise, stride 3/2, dilation
    {{1, 2, 5, 100}, {2, 1, 3, 5}, 2, {1, 2, 1, 2}, {}, {}, true},               // depthwise, long rows
    {{1, 4, 9, 70}, {4, 1, 3, 3}, 4, {1, 1, 1, 1}, {2, 2}, {}, true},            // depthwise, stride 2, long rows
    {{1, 3, 11, 70}, {4, 3, 3, 3}, 1, {1, 1, 1, 1}, {2, 2}, {}, true},           // im2col, stride 2, long rows
    {{1, 4, 7, 7}, {8, 1, 3, 3}, 4, {1, 1, 1, 1}, {}, {}, true},                 // channel multiplier 2 (im2col)
    {{2, 16, 7, 9}, {24, 16, 1, 1}, 1, {}, {}, {}, true},                        // 1x1 stride 1: plain GEMM
    {{1, 8, 5, 5}, {6, 4, 1, 1}, 2, {}, {}, {}, true},                           // 1x1 grouped
    {{1, 16, 8, 8}, {8, 16, 1, 1}, 1, {}, {2, 2}},                               // 1x1 stride 2 (im2col)
    {{1, 3, 8, 8}, {5, 3, 1, 1}, 1, {1, 0, 0, 1}, {}, {}, true},                 // 1x1 with padding (im2col)
    {{2, 3, 31}, {5, 3, 4}, 1, {1, 2}, {2}, {}, true},                           // 1-D
    {{1, 4, 20}, {4, 1, 3}, 4, {1, 1}, {2}, {2}, true},                          // 1-D depthwise
    {{1, 2, 5, 6, 7}, {3, 2, 3, 3, 3}, 1, {1, 1, 1, 1, 1, 1}, {1, 2, 1}, {}, true},  // 3-D
    {{1, 3, 5, 6, 7}, {3, 1, 2, 3, 3}, 3, {1, 1, 1, 1, 1, 1}, {2, 2, 2}},         // 3-D depthwise
    {{1, 64, 30, 30}, {8, 64, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true},             // several column blocks
    {{1, 16, 6, 6}, {1100, 16, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true},            // M large enough to pack B
    {{1, 2, 2, 3}, {3, 2, 3, 3}, 1, {1, 1, 1, 1}},                               // kernel larger than the image
    {{3, 3, 5, 5}, {2, 3, 5, 5}, 1, {}, {}, {}, true},                           // one output position
    {{1, 1, 1, 1}, {1, 1, 3, 3}, 1, {2, 2, 2, 2}, {}, {}, true},                 // windows entirely in padding
    {{1, 2, 1, 1}, {2, 2, 3, 3}, 1, {2, 2, 2, 2}, {}, {}, true},
    {{0, 3, 5, 5}, {2, 3, 3, 3}, 1, {}, {}, {}, true},                           // empty batch
    {{1, 3, 7, 8}, {4, 3, 3, 4}, 1, {}, {2, 3}, {}, true, "SAME_UPPER"},
    {{1, 3, 7, 8}, {4, 3, 3, 4}, 1, {}, {2, 3}, {}, true, "SAME_LOWER"},
    {{1, 3, 7, 8}, {4, 3, 3, 4}, 1, {}, {2, 1}, {2, 1}, false, "SAME_LOWER"},
    {{1, 4, 9, 9}, {4, 1, 3, 3}, 4, {}, {2, 2}, {}, true, "SAME_UPPER"},        // depthwise, SAME
    {{1, 3, 7, 8}, {4, 3, 3, 4}, 1, {}, {2, 3}, {}, true, "VALID"},
    {{1, 64, 9, 7}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true},             // Winograd with a constant W
    {{1, 130, 7, 7}, {64, 130, 1, 1}, 1, {}, {}, {}, true},                      // 7×7 pointwise: Wᵀ packed
    {{1, 16, 7, 7}, {80, 16, 3, 3}, 1, {1, 1, 1, 1}},                           // 7×7 im2col: Wᵀ packed
    {{2, 24, 14, 13}, {72, 24, 3, 3}, 1, {1, 1, 1, 1}, {2, 2}, {}, true},        // stride 2 to 7×7, batch 2
};

std::string Describe(const ConvCase& c) {
  return "x " + ShapeToString(c.x) + " w " + ShapeToString(c.w) + " group " + std::to_string(c.group) + " pads " +
         ShapeToString(c.pads) + " strides " + ShapeToString(c.strides) + " dilations " + ShapeToString(c.dilations) +
         " auto_pad " + c.auto_pad + (c.bias ? " bias" : "");
}

void CheckClose(const std::vector<float>& got, const Expected& e) {
  REQUIRE(got.size() == e.value.size());
  int64_t bad = 0, first = -1;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(got[i] - e.value[i]) <= e.bound[i]) && bad++ == 0) first = static_cast<int64_t>(i);
  INFO("first bad element " << first << (first >= 0 ? " got " + std::to_string(got[first]) + " want " + std::to_string(e.value[first]) : ""));
  CHECK(bad == 0);
}

std::map<std::string, graph::Attribute> AttrsOf(const ConvCase& c) {
  std::map<std::string, graph::Attribute> a = {{"group", c.group}};
  if (!c.pads.empty()) a["pads"] = c.pads;
  if (!c.strides.empty()) a["strides"] = c.strides;
  if (!c.dilations.empty()) a["dilations"] = c.dilations;
  if (c.auto_pad != "NOTSET") a["auto_pad"] = c.auto_pad;
  return a;
}

TEST_CASE("Conv matches a direct double convolution on every path and target", "[kernels][conv][kernel:Conv]") {
  uint32_t seed = 500;
  for (const ConvCase& c : kCases) {
    INFO(Describe(c));
    const Resolved r = Resolve(c);
    const std::vector<float> x = test::RandomFloats(ElementCount(c.x), ++seed, -1, 1);
    const std::vector<float> w = test::RandomFloats(ElementCount(c.w), ++seed, -1, 1);
    const std::vector<float> b = c.bias ? test::RandomFloats(c.w[0], ++seed, -1, 1) : std::vector<float>{};
    const Expected e = Reference(r, x, w, b);
    REQUIRE(static_cast<int64_t>(e.value.size()) == ElementCount(r.y));
    const ConvLayout layout = MakeConvLayout(r.shape, runtime::MaxThreads());
    test::ForEachTarget([&](const char*) {
      std::vector<float> y(e.value.size(), kNaN);
      ConvF32(layout, x.data(), w.data(), c.bias ? b.data() : nullptr, y.data());
      CheckClose(y, e);
      // W's transpose packed for this target: the GEMMs run as Yᵀ = colᵀ·Wᵀ, with the same bits.
      const ConvLayout transposed = MakeConvLayout(r.shape, runtime::MaxThreads(), false, true);
      if (!transposed.transposed_weights) return;
      const std::shared_ptr<const ConvWeightsT> wt = PackConvWeightsT(transposed, w.data());
      std::vector<float> yt(e.value.size(), kNaN);
      ConvF32(transposed, x.data(), w.data(), c.bias ? b.data() : nullptr, yt.data(), nullptr, 0, 0, nullptr, nullptr,
              wt.get());
      CheckClose(yt, e);
      CHECK(std::memcmp(y.data(), yt.data(), y.size() * sizeof(float)) == 0);
    });
    // Through the op's adapter, which reads the attributes (and resolves auto_pad) itself; with
    // the inputs fed at run time and as constants.
    for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {
      const Tensor xt = Tensor::FromVector(x, c.x), wt = Tensor::FromVector(w, c.w);
      const Tensor bt = c.bias ? Tensor::FromVector(b, {c.w[0]}) : Tensor();
      Tensor yt = Tensor::Zeros(DType::kF32, r.y);
      std::vector<const Tensor*> inputs = {&xt, &wt};
      if (c.bias) inputs.push_back(&bt);
      test::RunKernel("Conv", inputs, {&yt}, AttrsOf(c), constants);
      CheckClose(yt.ToFloatVector(), e);
    }
  }
}

TEST_CASE("Conv picks the path its shapes call for", "[kernels][conv]") {
  auto path = [](ConvCase c, bool winograd = false) { return MakeConvLayout(Resolve(c).shape, 2, winograd).path; };
  CHECK(path({{1, 64, 8, 8}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}}, true) == ConvPath::kWinograd);
  CHECK(path({{1, 64, 8, 8}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}}) == ConvPath::kIm2Col);  // no transformed W offered
  CHECK(path({{1, 64, 8, 8}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}, {2, 2}}, true) == ConvPath::kIm2Col);
  CHECK(path({{1, 64, 8, 8}, {64, 64, 3, 3}, 1, {2, 2, 2, 2}, {}, {2, 2}}, true) == ConvPath::kIm2Col);
  CHECK(path({{1, 64, 8, 8}, {64, 32, 3, 3}, 2, {1, 1, 1, 1}}, true) == ConvPath::kIm2Col);
  CHECK(path({{1, 32, 8, 8}, {64, 32, 3, 3}, 1, {1, 1, 1, 1}}, true) == ConvPath::kIm2Col);  // too few channels
  CHECK(path({{1, 64, 2, 3}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}}, true) == ConvPath::kWinograd);  // whatever the image
  CHECK(path({{1, 256, 8, 8}, {256, 256, 3, 3}, 1, {1, 1, 1, 1}}, true) == ConvPath::kWinograd);
  // W's packed transpose: for few positions and enough output channels, never for Winograd's shapes.
  auto transposed = [](const ConvCase& c) { return TransposedWeightsPay(Resolve(c).shape); };
  CHECK(transposed({{1, 256, 14, 14}, {512, 256, 3, 3}, 1, {1, 1, 1, 1}, {2, 2}}));  // ResNet-18's 7×7 stride 2
  CHECK_FALSE(transposed({{1, 512, 7, 7}, {512, 512, 3, 3}, 1, {1, 1, 1, 1}}));      // 9.4 MB: no second copy
  CHECK(transposed({{1, 160, 7, 7}, {960, 160, 1, 1}}));                      // MobileNetV2's 7×7 pointwise
  CHECK(transposed({{1, 256, 28, 28}, {512, 256, 3, 3}, 1, {1, 1, 1, 1}, {2, 2}}));  // 14×14 out
  CHECK(transposed({{1, 256, 14, 14}, {256, 256, 3, 3}, 1, {1, 1, 1, 1}}));          // Winograd, 49 tiles: U_ξᵀ
  CHECK_FALSE(transposed({{1, 64, 56, 56}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}}));       // Winograd, blocks of 112 tiles
  CHECK_FALSE(transposed({{1, 64, 14, 14}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}}));       // Winograd, K 64
  CHECK_FALSE(transposed({{1, 64, 28, 28}, {128, 64, 1, 1}}));                       // 784 positions
  CHECK_FALSE(transposed({{1, 960, 7, 7}, {32, 960, 1, 1}}));                        // 32 output channels
  CHECK_FALSE(transposed({{1, 96, 14, 14}, {576, 96, 1, 1}}));                       // 196 positions, K 96
  CHECK_FALSE(transposed({{1, 64, 7, 7}, {384, 64, 1, 1}}));                         // 49 positions, K 64
  CHECK_FALSE(transposed({{1, 64, 7, 7}, {128, 32, 3, 3}, 2, {1, 1, 1, 1}}));        // grouped
  CHECK(path({{1, 512, 8, 8}, {256, 512, 3, 3}, 1, {1, 1, 1, 1}}, true) == ConvPath::kIm2Col);  // transform too large
  CHECK(path({{1, 64, 8, 8}, {64, 64, 1, 3}, 1, {0, 1, 0, 1}}, true) == ConvPath::kIm2Col);
  CHECK(path({{1, 16, 7, 9}, {24, 16, 1, 1}}) == ConvPath::kPointwise);
  CHECK(path({{1, 16, 7, 9}, {24, 16, 1, 1}, 1, {}, {2, 2}}) == ConvPath::kIm2Col);
  CHECK(path({{1, 8, 7, 9}, {8, 1, 3, 3}, 8}) == ConvPath::kDepthwise);
  CHECK(path({{1, 8, 7, 9}, {16, 1, 3, 3}, 8}) == ConvPath::kIm2Col);
  CHECK(path({{1, 8, 7, 9}, {16, 8, 3, 3}}) == ConvPath::kIm2Col);
}

TEST_CASE("Conv results do not depend on the thread count", "[kernels][conv]") {
  const ConvCase cases[] = {
      {{2, 32, 20, 20}, {48, 32, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true},  // im2col, several blocks and tasks
      {{1, 64, 12, 12}, {600, 64, 1, 1}, 1, {}, {}, {}, true},         // pointwise, threaded GEMM
      {{2, 24, 17, 19}, {24, 1, 3, 3}, 24, {1, 1, 1, 1}, {2, 2}, {}, true},  // depthwise
      {{2, 8, 9, 9}, {16, 4, 3, 3}, 2, {1, 1, 1, 1}},                     // grouped
      {{1, 130, 7, 7}, {512, 130, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true},  // Wᵀ packed, threaded swapped GEMM
      {{2, 288, 14, 14}, {256, 288, 1, 1}, 1, {}, {}, {}, true},       // Wᵀ packed, pointwise, 196 positions
  };
  uint32_t seed = 900;
  for (const ConvCase& c : cases) {
    INFO(Describe(c));
    const Resolved r = Resolve(c);
    const std::vector<float> x = test::RandomFloats(ElementCount(c.x), ++seed, -1, 1);
    const std::vector<float> w = test::RandomFloats(ElementCount(c.w), ++seed, -1, 1);
    const std::vector<float> b = test::RandomFloats(c.w[0], ++seed, -1, 1);
    auto run = [&](int threads) {
      std::vector<float> y(static_cast<std::size_t>(ElementCount(r.y)));
      tbb::task_arena arena(threads);
      arena.execute([&] {
        // As a session runs it: a workspace from the plan, sized for this arena.
        const int slots = runtime::ArenaSlots();
        const ConvLayout layout = MakeConvLayout(r.shape, slots, true, true);
        REQUIRE(layout.transposed_weights == TransposedWeightsPay(r.shape));
        const std::shared_ptr<const ConvWeightsT> wt = layout.transposed_weights ? PackConvWeightsT(layout, w.data()) : nullptr;
        std::vector<float> workspace(ConvWorkspaceBytes(layout, slots) / sizeof(float) + 16);
        auto* aligned = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(workspace.data()) + 63) / 64 * 64);
        ConvF32(layout, x.data(), w.data(), c.bias ? b.data() : nullptr, y.data(), aligned,
                ConvWorkspaceBytes(layout, slots) / sizeof(float), slots, nullptr, nullptr, wt.get());
      });
      return y;
    };
    const std::vector<float> one = run(1), two = run(2), three = run(3);
    CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(one.data(), three.data(), one.size() * sizeof(float)) == 0);
    CheckClose(one, Reference(r, x, w, c.bias ? b : std::vector<float>{}));
  }
}

TEST_CASE("Conv refuses more than 3 spatial dims clearly", "[kernels][conv]") {
  const Tensor x = Tensor::Zeros(DType::kF32, {1, 1, 2, 2, 2, 2}), w = Tensor::Zeros(DType::kF32, {1, 1, 1, 1, 1, 1});
  Tensor y = Tensor::Zeros(DType::kF32, {1, 1, 2, 2, 2, 2});
  CHECK_THROWS_WITH(test::RunKernel("Conv", {&x, &w}, {&y}), Catch::Contains("4 spatial dims are not supported"));
}

}  // namespace
}  // namespace axon::kernels

namespace axon::kernels {
namespace {

// The Winograd path through the kernel: W transformed by WinogradWeights, then ConvF32 on every
// target, with bias, FusedConv's residual and ReLU. The transforms add a few roundings to each
// term (their entries are 0, ±1 and ±½), so the bound is a few times the direct sum's.
struct WinogradCase {
  ConvCase conv;
  bool residual;
};

std::vector<float> RunWinograd(const ConvLayout& layout, const std::vector<float>& x, const std::vector<float>& w,
                               const std::vector<float>& u,
                               const std::vector<float>& b, const std::vector<float>& r, std::size_t size,
                               float* workspace = nullptr, std::size_t workspace_floats = 0, int slots = 0,
                               const ConvWeightsT* wt = nullptr) {
  std::vector<float> y(size, kNaN);
  ConvF32(layout, x.data(), w.data(), b.empty() ? nullptr : b.data(), y.data(), workspace, workspace_floats, slots,
          r.empty() ? nullptr : r.data(), wt ? nullptr : u.data(), wt);
  return y;
}

TEST_CASE("Conv's Winograd path matches a direct double convolution on every target", "[kernels][conv][kernel:Conv]") {
  const WinogradCase cases[] = {
      {{{1, 64, 8, 8}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true}, false},      // 4×4 tiles, one block
      {{{2, 64, 13, 11}, {72, 64, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true}, true},     // odd sizes, batch 2, M % 16 != 0
      {{{1, 64, 12, 9}, {64, 64, 3, 3}, 1, {0, 2, 1, 0}, {}, {}, false}, true},     // asymmetric pads
      {{{1, 64, 10, 10}, {64, 64, 3, 3}, 1, {}, {}, {}, true}, false},              // no padding
      {{{1, 64, 1, 3}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true}, true},        // one row of two tiles
      {{{1, 80, 40, 35}, {64, 80, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true}, true},     // several blocks of tile rows
      {{{1, 128, 14, 13}, {72, 128, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true}, true},   // 49 tiles: U_ξᵀ packed too
  };
  uint32_t seed = 1300;
  for (const WinogradCase& wc : cases) {
    const ConvCase& c = wc.conv;
    INFO(Describe(c) << (wc.residual ? " residual relu" : ""));
    const Resolved r = Resolve(c);
    const std::vector<float> x = test::RandomFloats(ElementCount(c.x), ++seed, -1, 1);
    const std::vector<float> w = test::RandomFloats(ElementCount(c.w), ++seed, -1, 1);
    const std::vector<float> b = c.bias ? test::RandomFloats(c.w[0], ++seed, -1, 1) : std::vector<float>{};
    const std::vector<float> res = wc.residual ? test::RandomFloats(ElementCount(r.y), ++seed, -1, 1) : std::vector<float>{};
    Expected e = Reference(r, x, w, b);
    for (std::size_t i = 0; i < e.value.size(); ++i) {
      if (wc.residual) e.value[i] = std::max(0.0, e.value[i] + res[i]);  // relu(conv + bias + r)
      e.bound[i] = 8 * e.bound[i] + (wc.residual ? std::ldexp(std::fabs(res[i]), -23) : 0.0);
    }
    ConvLayout layout = MakeConvLayout(r.shape, runtime::MaxThreads(), true);
    REQUIRE(layout.path == ConvPath::kWinograd);
    if (wc.residual) layout.activation = Activation::kRelu;
    std::vector<float> u(WinogradWeightFloats(c.w[0], c.x[1]));
    WinogradWeights(w.data(), c.w[0], c.x[1], u.data());
    const uint64_t direct = WinogradDirectBlocks();
    test::ForEachTarget([&](const char*) {
      const std::vector<float> y = RunWinograd(layout, x, w, u, b, res, e.value.size());
      CheckClose(y, e);
      // From U_ξᵀ packed for this target (without U): the GEMMs swapped, the same bits.
      ConvLayout transposed = MakeConvLayout(r.shape, runtime::MaxThreads(), true, true);
      if (!transposed.transposed_weights) return;
      transposed.activation = layout.activation;
      const std::shared_ptr<const ConvWeightsT> wt = PackConvWeightsT(transposed, w.data());
      const std::vector<float> yt = RunWinograd(transposed, x, w, u, b, res, e.value.size(), nullptr, 0, 0, wt.get());
      CHECK(std::memcmp(y.data(), yt.data(), y.size() * sizeof(float)) == 0);
    });
    CHECK(WinogradDirectBlocks() == direct);  // finite data never takes the direct fallback
  }
}

TEST_CASE("Conv's Winograd path gives the same bits for any thread count", "[kernels][conv]") {
  // Several blocks per image (4 blocks: on 3 threads, one is shared by all), and one block in all
  // (a 14×14 image: on 2 and 3 threads, shared by channels and by point).
  const ConvCase cases[] = {{{2, 64, 30, 29}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true},
                            {{1, 96, 14, 14}, {80, 96, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true},
                            {{1, 160, 14, 14}, {96, 160, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true}};  // U_ξᵀ
  for (const ConvCase& c : cases) {
    INFO(Describe(c));
    const Resolved r = Resolve(c);
    const bool one_block = c.x[2] == 14;
    const std::vector<float> x = test::RandomFloats(ElementCount(c.x), 1400, -1, 1);
    const std::vector<float> w = test::RandomFloats(ElementCount(c.w), 1401, -1, 1);
    const std::vector<float> b = test::RandomFloats(c.w[0], 1402, -1, 1);
    const std::vector<float> res = test::RandomFloats(ElementCount(r.y), 1403, -1, 1);
    std::vector<float> u(WinogradWeightFloats(c.w[0], c.x[1]));
    WinogradWeights(w.data(), c.w[0], c.x[1], u.data());
    auto run = [&](int threads) {
      std::vector<float> y;
      tbb::task_arena arena(threads);
      arena.execute([&] {
        const int slots = runtime::ArenaSlots();
        const ConvLayout layout = MakeConvLayout(r.shape, slots, true, true);
        REQUIRE(layout.path == ConvPath::kWinograd);
        REQUIRE((layout.tile_rows < (r.y[2] + 1) / 2) != one_block);
        REQUIRE(layout.transposed_weights == (c.x[1] == 160));
        const std::shared_ptr<const ConvWeightsT> wt = layout.transposed_weights ? PackConvWeightsT(layout, w.data()) : nullptr;
        const std::size_t floats = ConvWorkspaceBytes(layout, slots) / sizeof(float);
        std::vector<float> workspace(floats + 16);
        auto* aligned = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(workspace.data()) + 63) / 64 * 64);
        y = RunWinograd(layout, x, w, u, b, res, static_cast<std::size_t>(ElementCount(r.y)), aligned, floats, slots, wt.get());
      });
      return y;
    };
    const std::vector<float> one = run(1), two = run(2), three = run(3);
    CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(one.data(), three.data(), one.size() * sizeof(float)) == 0);
  }
}

// Non-finite and overflowing data on the Winograd path: its transforms' differences make inf - inf
// = NaN from one ±Inf input, and inputs near FLT_MAX overflow in the input transform, so such
// blocks are recomputed directly from W. The reference is the direct sum in double with IEEE's
// Inf/NaN rules, rounded to float: the same NaN positions, the same ±Inf, finite values within
// the finite-data test's bound.
struct NonFiniteCase {
  const char* name;
  float w_scale;
  bool residual;  // FusedConv's residual and ReLU
  std::function<void(std::vector<float>&)> poke;
};

void CheckIeee(const std::vector<float>& got, const Expected& e) {
  REQUIRE(got.size() == e.value.size());
  int64_t bad = 0, first = -1;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto want = static_cast<float>(e.value[i]);
    const bool ok = std::isnan(want) ? std::isnan(got[i])
                    : std::isinf(want) ? got[i] == want
                                       : std::isfinite(got[i]) && std::fabs(got[i] - e.value[i]) <= e.bound[i];
    if (!ok && bad++ == 0) first = static_cast<int64_t>(i);
  }
  INFO("first bad element " << first << (first >= 0 ? " got " + std::to_string(got[first]) + " want " + std::to_string(e.value[first]) : ""));
  CHECK(bad == 0);
}

TEST_CASE("Conv's Winograd path gives a direct convolution's results on Inf, NaN and overflowing inputs",
          "[kernels][conv][kernel:Conv]") {
  const float inf = std::numeric_limits<float>::infinity();
  const ConvCase c = {{1, 64, 13, 17}, {64, 64, 3, 3}, 1, {1, 1, 1, 1}, {}, {}, true};
  const Resolved r = Resolve(c);
  const int64_t plane = 13 * 17;
  const NonFiniteCase cases[] = {
      {"+Inf", 0.1f, false, [&](std::vector<float>& x) { x[3 * plane + 5 * 17 + 6] = inf; }},
      {"-Inf", 0.1f, true, [&](std::vector<float>& x) { x[10 * plane + 12 * 17 + 16] = -inf; }},
      {"+Inf and -Inf in one window", 0.1f, true,
       [&](std::vector<float>& x) { x[3 * plane + 5 * 17 + 6] = inf, x[40 * plane + 6 * 17 + 7] = -inf; }},
      {"NaN", 0.1f, false, [&](std::vector<float>& x) { x[7 * plane + 0 * 17 + 9] = kNaN; }},
      {"3e38 everywhere", 1.0f, false, [](std::vector<float>& x) { std::fill(x.begin(), x.end(), 3e38f); }},
      {"1e38 of mixed signs", 0.05f, true, [](std::vector<float>& x) { for (float& v : x) v *= 1e38f; }},
  };
  uint32_t seed = 1500;
  for (const NonFiniteCase& nc : cases) {
    INFO(nc.name);
    std::vector<float> x = test::RandomFloats(ElementCount(c.x), ++seed, -1, 1);
    nc.poke(x);
    const std::vector<float> w = test::RandomFloats(ElementCount(c.w), ++seed, -nc.w_scale, nc.w_scale);
    const std::vector<float> b = test::RandomFloats(c.w[0], ++seed, -1, 1);
    const std::vector<float> res = nc.residual ? test::RandomFloats(ElementCount(r.y), ++seed, -1, 1) : std::vector<float>{};
    Expected e = Reference(r, x, w, b);
    for (std::size_t i = 0; i < e.value.size(); ++i) {
      if (nc.residual) {
        const double v = static_cast<float>(e.value[i]) + double(res[i]);  // NaN stays NaN through ReLU
        e.value[i] = std::isnan(v) ? v : std::max(0.0, v);
      }
      e.bound[i] = 8 * e.bound[i] + (nc.residual ? std::ldexp(std::fabs(res[i]), -23) : 0.0);
    }
    std::vector<float> u(WinogradWeightFloats(c.w[0], c.x[1]));
    WinogradWeights(w.data(), c.w[0], c.x[1], u.data());
    ConvLayout layout = MakeConvLayout(r.shape, runtime::MaxThreads(), true);
    REQUIRE(layout.path == ConvPath::kWinograd);
    if (nc.residual) layout.activation = Activation::kRelu;
    const uint64_t direct = WinogradDirectBlocks();
    test::ForEachTarget([&](const char*) { CheckIeee(RunWinograd(layout, x, w, u, b, res, e.value.size()), e); });
    CHECK(WinogradDirectBlocks() > direct);

    // The same bits on 1, 2 and 3 threads (NaN payloads included).
    auto run = [&](int threads) {
      std::vector<float> y;
      tbb::task_arena arena(threads);
      arena.execute([&] {
        const int slots = runtime::ArenaSlots();
        ConvLayout l = MakeConvLayout(r.shape, slots, true);
        l.activation = layout.activation;
        const std::size_t floats = ConvWorkspaceBytes(l, slots) / sizeof(float);
        std::vector<float> workspace(floats + 16);
        auto* aligned = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(workspace.data()) + 63) / 64 * 64);
        y = RunWinograd(l, x, w, u, b, res, e.value.size(), aligned, floats, slots);
      });
      return y;
    };
    const std::vector<float> one = run(1), two = run(2), three = run(3);
    CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(one.data(), three.data(), one.size() * sizeof(float)) == 0);
  }
}

}  // namespace
}  // namespace axon::kernels
