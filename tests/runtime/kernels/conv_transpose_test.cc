// ConvTranspose against a direct double-precision scatter: strides, pads, output_padding,
// output_shape, auto_pad, dilations, groups, 1-D to 3-D, the direct 1x1 path, W as a constant
// (transposed once) and fed at run time, on every Highway target.
#include "runtime/kernels/conv_transpose.h"

#include <cmath>
#include <cstring>
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

struct Case {
  Case(Ints x, Ints w, int64_t group = 1, Ints strides = {}, Ints pads = {}, Ints output_padding = {}, Ints dilations = {},
       Ints output_shape = {}, std::string auto_pad = "NOTSET", bool bias = true)
      : x(std::move(x)), w(std::move(w)), group(group), strides(std::move(strides)), pads(std::move(pads)),
        output_padding(std::move(output_padding)), dilations(std::move(dilations)), output_shape(std::move(output_shape)),
        auto_pad(std::move(auto_pad)), bias(bias) {}
  Ints x, w;
  int64_t group;
  Ints strides, pads, output_padding, dilations, output_shape;
  std::string auto_pad;
  bool bias;
};

// The ONNX spec's formulas, per spatial dim: the output size and the begin crop.
struct Dim1 {
  int64_t in, out, k, s, d, begin;
};
std::vector<Dim1> Resolve(const Case& c) {
  const std::size_t n = c.x.size() - 2;
  std::vector<Dim1> dims;
  for (std::size_t i = 0; i < n; ++i) {
    Dim1 r{c.x[2 + i], 0, c.w[2 + i], c.strides.empty() ? 1 : c.strides[i], c.dilations.empty() ? 1 : c.dilations[i], 0};
    const int64_t op = c.output_padding.empty() ? 0 : c.output_padding[i];
    const int64_t full = r.s * (r.in - 1) + op + (r.k - 1) * r.d + 1;
    const bool same = c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER";
    if (!c.output_shape.empty() || same) {
      r.out = c.output_shape.empty() ? r.in * r.s : c.output_shape[c.output_shape.size() - n + i];  // the spatial tail
      const int64_t total = std::max<int64_t>(0, full - r.out);
      r.begin = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else {
      const int64_t b = c.pads.empty() || c.auto_pad == "VALID" ? 0 : c.pads[i];
      const int64_t e = c.pads.empty() || c.auto_pad == "VALID" ? 0 : c.pads[n + i];
      r.out = full - b - e;
      r.begin = b;
    }
    dims.push_back(r);
  }
  return dims;
}

struct Expected {
  Ints shape;
  std::vector<double> value, bound;
};

Expected Reference(const Case& c, const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b) {
  const std::vector<Dim1> dims = Resolve(c);
  const int64_t n = static_cast<int64_t>(dims.size());
  const int64_t C = c.x[1], cg = C / c.group, mg = c.w[1], M = mg * c.group;
  Expected e{{c.x[0], M}, {}, {}};
  int64_t in_vol = 1, out_vol = 1, kvol = 1;
  for (const Dim1& r : dims) e.shape.push_back(r.out), in_vol *= r.in, out_vol *= r.out, kvol *= r.k;
  std::vector<double> y(static_cast<std::size_t>(c.x[0] * M * out_vol)), abs(y.size());
  for (int64_t batch = 0; batch < c.x[0]; ++batch)
    for (int64_t ch = 0; ch < C; ++ch)
      for (int64_t i = 0; i < in_vol; ++i)
        for (int64_t ml = 0; ml < mg; ++ml)
          for (int64_t k = 0; k < kvol; ++k) {
            int64_t o = 0;
            bool inside = true;
            for (int64_t d = 0, irest = i, krest = k; d < n; ++d) {
              int64_t istride = 1, kstride = 1;
              for (int64_t j = d + 1; j < n; ++j) istride *= dims[j].in, kstride *= dims[j].k;
              const int64_t ii = irest / istride, kk = krest / kstride;
              irest %= istride, krest %= kstride;
              const int64_t pos = ii * dims[d].s + kk * dims[d].d - dims[d].begin;
              inside = inside && pos >= 0 && pos < dims[d].out;
              o = o * dims[d].out + pos;
            }
            if (!inside) continue;
            const int64_t m = (ch / cg) * mg + ml;
            const double t = double(x[(batch * C + ch) * in_vol + i]) * w[(ch * mg + ml) * kvol + k];
            y[(batch * M + m) * out_vol + o] += t;
            abs[(batch * M + m) * out_vol + o] += std::fabs(t);
          }
  const double u = std::ldexp(1.0, -24);
  const int64_t terms = cg * kvol + 2;  // the GEMM's K plus the col2im additions and the bias
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double bias = b.empty() ? 0.0 : b[(i / out_vol) % M];
    e.value.push_back(y[i] + bias);
    e.bound.push_back(2 * (terms + 2) * u * (abs[i] + std::fabs(bias)) + 1e-30);
  }
  return e;
}

std::map<std::string, graph::Attribute> AttrsOf(const Case& c) {
  std::map<std::string, graph::Attribute> a = {{"group", c.group}};
  if (!c.strides.empty()) a["strides"] = c.strides;
  if (!c.pads.empty()) a["pads"] = c.pads;
  if (!c.output_padding.empty()) a["output_padding"] = c.output_padding;
  if (!c.dilations.empty()) a["dilations"] = c.dilations;
  if (!c.output_shape.empty()) a["output_shape"] = c.output_shape;
  if (c.auto_pad != "NOTSET") a["auto_pad"] = c.auto_pad;
  return a;
}

std::string Describe(const Case& c) {
  return "x " + ShapeToString(c.x) + " w " + ShapeToString(c.w) + " group " + std::to_string(c.group) + " strides " +
         ShapeToString(c.strides) + " pads " + ShapeToString(c.pads) + " output_padding " + ShapeToString(c.output_padding) +
         " dilations " + ShapeToString(c.dilations) + " output_shape " + ShapeToString(c.output_shape) + " " + c.auto_pad;
}

void CheckClose(const std::vector<float>& got, const Expected& e) {
  REQUIRE(got.size() == e.value.size());
  int64_t bad = 0, first = -1;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(got[i] - e.value[i]) <= e.bound[i]) && bad++ == 0) first = static_cast<int64_t>(i);
  INFO("first bad element " << first << (first >= 0 ? " got " + std::to_string(got[first]) + " want " + std::to_string(e.value[first]) : ""));
  CHECK(bad == 0);
}

const Case kCases[] = {
    {{1, 2, 3, 3}, {2, 3, 3, 3}},
    {{1, 4, 5, 5}, {4, 2, 3, 3}, 1, {2, 2}, {1, 1, 1, 1}, {1, 1}},          // the usual x2 upsampler
    {{2, 4, 4, 4}, {4, 3, 3, 3}, 2, {1, 2}, {0, 1, 2, 0}},                  // groups, asymmetric crop
    {{1, 2, 4, 5}, {2, 2, 3, 2}, 1, {}, {}, {}, {2, 1}},                    // dilation
    {{1, 3, 4, 40}, {3, 2, 3, 3}, 1, {2, 2}, {1, 1, 1, 1}, {1, 1}},          // stride 2, long rows
    {{1, 3, 6, 5}, {3, 1, 3, 3}, 3, {2, 2}, {1, 1, 1, 1}, {1, 0}},          // depthwise
    {{1, 2, 3, 3}, {2, 2, 3, 3}, 1, {2, 2}, {}, {}, {}, {6, 6}},            // output_shape: crop 1
    {{1, 2, 3, 3}, {2, 2, 3, 3}, 1, {2, 2}, {}, {}, {}, {1, 2, 7, 6}},      // output_shape with N and C
    {{1, 1, 2, 2}, {1, 1, 2, 2}, 1, {2, 2}, {}, {}, {}, {5, 5}},            // output_shape past the result
    {{1, 2, 3, 4}, {2, 3, 3, 3}, 1, {2, 2}, {}, {}, {}, {}, "SAME_UPPER"},
    {{1, 2, 3, 4}, {2, 3, 3, 3}, 1, {2, 2}, {}, {}, {}, {}, "SAME_LOWER"},
    {{1, 2, 3, 3}, {2, 2, 2, 2}, 1, {2, 2}, {}, {}, {}, {}, "VALID"},
    {{2, 8, 5, 5}, {8, 6, 1, 1}},                                           // 1x1: the GEMM alone
    {{1, 4, 3, 3}, {4, 3, 1, 1}, 2},                                        // 1x1 grouped
    {{1, 4, 3, 3}, {4, 3, 1, 1}, 1, {2, 2}},                                // 1x1 strided: col2im
    {{2, 3, 7}, {3, 2, 4}, 1, {3}, {1, 2}},                                 // 1-D
    {{1, 2, 3, 3, 3}, {2, 2, 2, 2, 2}, 1, {2, 2, 2}},                       // 3-D
    {{1, 16, 40, 40}, {16, 32, 3, 3}, 1, {1, 1}, {1, 1, 1, 1}},             // several column blocks
    {{0, 2, 3, 3}, {2, 2, 3, 3}},                                           // empty batch
    {{1, 2, 3, 3}, {2, 3, 3, 3}, 1, {}, {}, {}, {}, {}, "NOTSET", false},   // no bias
};

TEST_CASE("ConvTranspose matches a direct double scatter on every target", "[kernels][conv_transpose][kernel:ConvTranspose]") {
  uint32_t seed = 700;
  for (const Case& c : kCases) {
    INFO(Describe(c));
    const std::vector<float> x = test::RandomFloats(ElementCount(c.x), ++seed, -1, 1);
    const std::vector<float> w = test::RandomFloats(ElementCount(c.w), ++seed, -1, 1);
    const int64_t M = c.w[1] * c.group;
    const std::vector<float> b = c.bias ? test::RandomFloats(M, ++seed, -1, 1) : std::vector<float>{};
    const Expected e = Reference(c, x, w, b);
    const Tensor xt = Tensor::FromVector(x, c.x), wt = Tensor::FromVector(w, c.w);
    const Tensor bt = c.bias ? Tensor::FromVector(b, {M}) : Tensor();
    std::vector<const Tensor*> inputs = {&xt, &wt};
    if (c.bias) inputs.push_back(&bt);
    for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {  // W read transposed, or prepared
      INFO((constants == test::Constants::kAll ? "W constant" : "W fed at run time"));
      test::ForEachTarget([&](const char*) {
        Tensor y = Tensor::Zeros(DType::kF32, e.shape);
        test::RunKernel("ConvTranspose", inputs, {&y}, AttrsOf(c), constants);
        CheckClose(y.ToFloatVector(), e);
      });
    }
  }
}

TEST_CASE("ConvTranspose results do not depend on the thread count", "[kernels][conv_transpose]") {
  ConvTransposeShape s;
  s.batch = 2, s.in_channels = 16, s.out_channels = 24, s.group = 2;
  s.window.in = {1, 33, 31}, s.window.out = {1, 17, 16}, s.window.kernel = {1, 3, 3};
  s.window.stride = {1, 2, 2}, s.window.pad = {0, 1, 1};
  const std::vector<float> x = test::RandomFloats(2 * 16 * 17 * 16, 1, -1, 1), w = test::RandomFloats(16 * 12 * 9, 2, -1, 1);
  const std::vector<float> b = test::RandomFloats(24, 3, -1, 1);
  for (bool prepared : {false, true}) {
    const std::shared_ptr<const float> wt = PrepareConvTransposeWeights(s, w.data());
    auto run = [&](int threads) {
      std::vector<float> y(2 * 24 * 33 * 31);
      tbb::task_arena(threads).execute([&] {
        const ConvTransposeLayout l = MakeConvTransposeLayout(s, prepared, runtime::ArenaSlots());
        ConvTransposeF32(l, x.data(), prepared ? wt.get() : w.data(), b.data(), y.data());
      });
      return y;
    };
    const std::vector<float> one = run(1), two = run(2);
    CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
  }
}

}  // namespace
}  // namespace axon::kernels
