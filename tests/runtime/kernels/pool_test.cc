// MaxPool, AveragePool and GlobalAveragePool against direct double-precision references, on
// every Highway target, through the ops' adapters.
#include "runtime/kernels/pool.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
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

struct PoolCase {
  PoolCase(Ints x, Ints kernel, Ints strides = {}, Ints pads = {}, Ints dilations = {}, bool ceil = false,
           std::string auto_pad = "NOTSET")
      : x(std::move(x)), kernel(std::move(kernel)), strides(std::move(strides)), pads(std::move(pads)),
        dilations(std::move(dilations)), ceil(ceil), auto_pad(std::move(auto_pad)) {}
  Ints x, kernel, strides, pads, dilations;
  bool ceil;
  std::string auto_pad;
};

// The test's own reading of the ONNX window rule, per spatial dim.
struct Dim1 {
  int64_t in, out, k, s, d, begin, end;
};
std::vector<Dim1> Resolve(const PoolCase& c) {
  const std::size_t n = c.kernel.size();
  std::vector<Dim1> dims;
  for (std::size_t i = 0; i < n; ++i) {
    Dim1 r{c.x[2 + i], 0, c.kernel[i], c.strides.empty() ? 1 : c.strides[i], c.dilations.empty() ? 1 : c.dilations[i],
           c.pads.empty() ? 0 : c.pads[i], c.pads.empty() ? 0 : c.pads[n + i]};
    const int64_t span = (r.k - 1) * r.d + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      r.out = (r.in + r.s - 1) / r.s;
      const int64_t needed = std::max<int64_t>(0, (r.out - 1) * r.s + span - r.in);
      r.begin = c.auto_pad == "SAME_UPPER" ? needed / 2 : needed - needed / 2;
      r.end = needed - r.begin;
    } else {
      if (c.auto_pad == "VALID") r.begin = r.end = 0;
      const int64_t total = r.in + r.begin + r.end - span;
      r.out = c.ceil ? (total + r.s - 1) / r.s + 1 : total / r.s + 1;
      if (c.ceil && (r.out - 1) * r.s >= r.in + r.begin) --r.out;
    }
    dims.push_back(r);
  }
  return dims;
}

struct Expected {
  Ints shape;
  std::vector<double> value, bound;
};

// Max (NaN-propagating) or average over the taps inside the image; the average divides by the
// taps inside the padded input (count_include_pad) or inside the image.
Expected Reference(const PoolCase& c, const std::vector<float>& x, bool average, bool include_pad) {
  const std::vector<Dim1> dims = Resolve(c);
  Expected e{{c.x[0], c.x[1]}, {}, {}};
  for (const Dim1& r : dims) e.shape.push_back(r.out);
  const int64_t n = static_cast<int64_t>(dims.size());
  int64_t out_vol = 1, in_vol = 1, taps = 1;
  for (const Dim1& r : dims) out_vol *= r.out, in_vol *= r.in, taps *= r.k;
  for (int64_t p = 0; p < c.x[0] * c.x[1]; ++p) {
    for (int64_t o = 0; o < out_vol; ++o) {
      Ints oi(n);
      for (int64_t i = n - 1, rest = o; i >= 0; --i) oi[i] = rest % dims[i].out, rest /= dims[i].out;
      double acc = average ? 0.0 : -INFINITY, abs = 0;
      int64_t inside = 0, padded = 0;
      for (int64_t t = 0; t < taps; ++t) {
        bool in_image = true, in_padded = true;
        int64_t flat = 0;
        for (int64_t i = n - 1, rest = t; i >= 0; --i) {
          const int64_t k = rest % dims[i].k;
          rest /= dims[i].k;
          const int64_t pos = oi[i] * dims[i].s - dims[i].begin + k * dims[i].d;
          in_image = in_image && pos >= 0 && pos < dims[i].in;
          in_padded = in_padded && pos >= -dims[i].begin && pos < dims[i].in + dims[i].end;
          int64_t stride = 1;
          for (int64_t j = i + 1; j < n; ++j) stride *= dims[j].in;
          flat += pos * stride;
        }
        padded += in_padded;
        if (!in_image) continue;
        ++inside;
        const double v = x[p * in_vol + flat];
        if (average) {
          acc += v, abs += std::fabs(v);
        } else if (std::isnan(v) || v > acc || std::isnan(acc)) {
          acc = std::isnan(acc) ? acc : v;
        }
      }
      if (average) acc /= double(include_pad ? padded : inside);
      e.value.push_back(acc);
      e.bound.push_back(average ? 2 * (taps + 2) * std::ldexp(1.0, -24) * abs / double(include_pad ? padded : inside) + 1e-30
                                : 0.0);
    }
  }
  return e;
}

void CheckClose(const std::vector<float>& got, const Expected& e) {
  REQUIRE(got.size() == e.value.size());
  int64_t bad = 0, first = -1;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const bool ok = std::isnan(e.value[i]) ? std::isnan(got[i])
                                            : (got[i] == e.value[i] || std::fabs(got[i] - e.value[i]) <= e.bound[i]);
    if (!ok && bad++ == 0) first = static_cast<int64_t>(i);
  }
  INFO("first bad element " << first << (first >= 0 ? " got " + std::to_string(got[first]) + " want " + std::to_string(e.value[first]) : ""));
  CHECK(bad == 0);
}

std::map<std::string, graph::Attribute> AttrsOf(const PoolCase& c) {
  std::map<std::string, graph::Attribute> a = {{"kernel_shape", c.kernel}};
  if (!c.pads.empty()) a["pads"] = c.pads;
  if (!c.strides.empty()) a["strides"] = c.strides;
  if (!c.dilations.empty()) a["dilations"] = c.dilations;
  if (c.ceil) a["ceil_mode"] = int64_t{1};
  if (c.auto_pad != "NOTSET") a["auto_pad"] = c.auto_pad;
  return a;
}

std::string Describe(const PoolCase& c) {
  return "x " + ShapeToString(c.x) + " kernel " + ShapeToString(c.kernel) + " strides " + ShapeToString(c.strides) +
         " pads " + ShapeToString(c.pads) + " dilations " + ShapeToString(c.dilations) + (c.ceil ? " ceil" : "") +
         " auto_pad " + c.auto_pad;
}

const PoolCase kCases[] = {
    {{1, 3, 8, 8}, {2, 2}, {2, 2}},
    {{2, 4, 112 / 4, 112 / 4}, {3, 3}, {2, 2}, {1, 1, 1, 1}},            // ResNet's stem pool, smaller
    {{1, 2, 9, 11}, {3, 2}, {1, 1}, {1, 0, 2, 1}},                        // asymmetric pads, stride 1
    {{1, 2, 5, 5}, {2, 2}, {2, 2}, {}, {}, true},                         // ceil_mode
    {{1, 2, 6, 7}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, true},               // ceil_mode with pads
    {{1, 1, 2, 2}, {1, 1}, {2, 2}, {}, {}, true},                         // ceil_mode, reduced by one
    {{1, 2, 10, 13}, {2, 3}, {3, 2}, {0, 1, 1, 2}, {}, true},             // stride 3
    {{1, 1, 60, 70}, {3, 3}, {1, 1}, {1, 1, 1, 1}},                       // long rows: 4-vector groups
    {{1, 3, 27, 55}, {3, 3}, {2, 2}, {}, {}, true},                       // SqueezeNet's pools: 3×3/2 by rows, ceil
    {{1, 2, 9, 40}, {2, 3}, {1, 2}, {1, 2, 0, 2}},                        // by rows, stride 1 down, pads
    {{1, 1, 7, 7}, {7, 7}},                                               // whole plane
    {{2, 3, 17}, {4}, {3}, {2, 1}},                                       // 1-D
    {{1, 2, 5, 6, 7}, {2, 3, 2}, {2, 1, 2}, {1, 1, 0, 0, 1, 1}},          // 3-D
    {{1, 2, 7, 8}, {3, 3}, {2, 3}, {}, {}, false, "SAME_UPPER"},
    {{1, 2, 7, 8}, {3, 4}, {2, 3}, {}, {}, false, "SAME_LOWER"},
    {{1, 2, 7, 8}, {3, 3}, {2, 3}, {}, {}, false, "VALID"},
    {{0, 3, 4, 4}, {2, 2}},                                               // empty batch
};

TEST_CASE("MaxPool matches a direct reference on every target, NaN included", "[kernels][pool][kernel:MaxPool]") {
  std::vector<PoolCase> cases(std::begin(kCases), std::end(kCases));
  cases.push_back({{1, 2, 10, 10}, {2, 2}, {1, 1}, {}, {3, 3}});             // dilation 3
  cases.push_back({{1, 1, 9, 40}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {2, 2}, true});  // dilation, stride, ceil
  cases.push_back({{1, 2, 11, 37}, {3, 2}, {2, 2}, {2, 1, 2, 1}, {2, 1}});       // by rows, dilated rows
  uint32_t seed = 40;
  for (const PoolCase& c : cases) {
    INFO(Describe(c));
    std::vector<float> x = test::RandomFloats(ElementCount(c.x), ++seed, -1, 1);
    if (x.size() > 10) x[x.size() / 3] = kNaN;  // a NaN reaches every window that holds it
    const Expected e = Reference(c, x, false, false);
    const Tensor xt = Tensor::FromVector(x, c.x);
    test::ForEachTarget([&](const char*) {
      Tensor y = Tensor::Zeros(DType::kF32, e.shape);
      test::RunKernel("MaxPool", {&xt}, {&y}, AttrsOf(c));
      CheckClose(y.ToFloatVector(), e);
    });
  }
}

// Runs op into an output between guard floats (test::GuardedFloats), checks the guards untouched
// and returns the output.
std::vector<float> RunGuarded(const std::string& op, const Tensor& x, const Ints& out_shape,
                              const std::map<std::string, graph::Attribute>& attrs) {
  test::GuardedFloats y(static_cast<std::size_t>(ElementCount(out_shape)));
  Tensor view = Tensor::View(y.data(), out_shape);
  test::RunKernel(op, {&x}, {&view}, attrs);
  CHECK(y.TouchedGuards() == 0);
  return y.values();
}

// Planes whose output rows are narrower than a vector (7x7 -> 3x3 at 16 or 8 lanes): a row's
// partial vector must not spill past the plane. The 2- and 3-wide stride-2 windows take the
// by-rows path; the sweep covers every row width up to past one AVX-512 vector.
TEST_CASE("MaxPool writes its output and nothing around it on every target", "[kernels][pool][kernel:MaxPool]") {
  const Ints pad_sets[] = {{}, {1, 1, 1, 1}, {0, 1, 1, 0}};
  uint32_t seed = 300;
  for (int64_t k : {2, 3})
    for (const Ints& strides : {Ints{2, 2}, Ints{1, 2}})
      for (const Ints& pads : pad_sets)
        for (bool ceil : {false, true})
          for (int64_t h = 1; h <= 9; ++h)
            for (int64_t w = 1; w <= 20; ++w) {
              const int64_t ph = pads.empty() ? 0 : pads[0] + pads[2], pw = pads.empty() ? 0 : pads[1] + pads[3];
              // The window must fit the padded input, or with ceil_mode overhang it by less than a stride.
              if ((h + ph < k && !(ceil && k - (h + ph) < strides[0])) || (w + pw < k && !(ceil && k - (w + pw) < strides[1])))
                continue;
              const PoolCase c({1, 2, h, w}, {k, k}, strides, pads, {}, ceil);
              INFO(Describe(c));
              std::vector<float> x = test::RandomFloats(ElementCount(c.x), ++seed, -1, 1);
              x[static_cast<std::size_t>(seed) % x.size()] = kNaN;
              const Expected e = Reference(c, x, false, false);
              const Tensor xt = Tensor::FromVector(x, c.x);
              test::ForEachTarget([&](const char*) { CheckClose(RunGuarded("MaxPool", xt, e.shape, AttrsOf(c)), e); });
            }
}

// ceil_mode lets the only window overhang the padded input by less than a stride (ONNX's
// ceil((2 - 3) / 2) + 1 = 1 rows here; PyTorch's max_pool2d / avg_pool2d agree): clipped to the
// input. x = [[1, 5, 2, 8], [7, 3, -1, 0]], 3x3 windows, stride 2: rows 0-1 always; columns
// 0-2, then 2-3 (the second window clipped on the right too). By hand: max 7 and 8; averages
// 17/6 and 9/4, with or without the padding counted (there is none; the overhang is not padding).
TEST_CASE("MaxPool and AveragePool with ceil_mode clip a window larger than the input", "[kernels][pool][kernel:MaxPool][kernel:AveragePool]") {
  const Tensor x = Tensor::FromVector(std::vector<float>{1, 5, 2, 8, 7, 3, -1, 0}, {1, 1, 2, 4});
  const std::map<std::string, graph::Attribute> attrs = {
      {"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}};
  test::ForEachTarget([&](const char*) {
    Tensor y = Tensor::Zeros(DType::kF32, {1, 1, 1, 2});
    test::RunKernel("MaxPool", {&x}, {&y}, attrs);
    CHECK(y.ToFloatVector() == std::vector<float>{7, 8});
    for (int64_t include_pad : {0, 1}) {
      auto avg = attrs;
      avg["count_include_pad"] = include_pad;
      test::RunKernel("AveragePool", {&x}, {&y}, avg);
      CHECK(y.ToFloatVector()[0] == Approx(17.0 / 6).epsilon(1e-6));
      CHECK(y.ToFloatVector()[1] == Approx(9.0 / 4).epsilon(1e-6));
    }
  });
  // 2x3 input, 3x3 window, PyTorch's default stride (the kernel): one output, the whole input's max.
  const Tensor x23 = Tensor::FromVector(std::vector<float>{1, 5, 2, 7, 3, -1}, {1, 1, 2, 3});
  Tensor y = Tensor::Zeros(DType::kF32, {1, 1, 1, 1});
  test::RunKernel("MaxPool", {&x23}, {&y}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{3, 3}}, {"ceil_mode", int64_t{1}}});
  CHECK(y.ToFloatVector() == std::vector<float>{7});
}

TEST_CASE("MaxPool on 8-bit integers matches the float reference", "[kernels][pool]") {
  const PoolCase cases[] = {{{1, 2, 5, 5}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, true}, {{2, 3, 7}, {2}, {1}, {}, {2}},
                            {{1, 1, 5, 6}, {2, 2}, {}, {}, {}, false, "SAME_UPPER"}};
  for (const PoolCase& c : cases) {
    INFO(Describe(c));
    std::vector<int8_t> xi(static_cast<std::size_t>(ElementCount(c.x)));
    std::vector<uint8_t> xu(xi.size());
    std::vector<float> xf(xi.size()), xfu(xi.size());
    for (std::size_t i = 0; i < xi.size(); ++i) {
      xi[i] = static_cast<int8_t>((i * 37) % 256 - 128);
      xu[i] = static_cast<uint8_t>((i * 91) % 256);
      xf[i] = xi[i], xfu[i] = xu[i];
    }
    const Expected ei = Reference(c, xf, false, false), eu = Reference(c, xfu, false, false);
    const Tensor ti = Tensor::FromVector(xi, c.x), tu = Tensor::FromVector(xu, c.x);
    Tensor yi = Tensor::Zeros(DType::kI8, ei.shape), yu = Tensor::Zeros(DType::kU8, eu.shape);
    test::RunKernel("MaxPool", {&ti}, {&yi}, AttrsOf(c));
    test::RunKernel("MaxPool", {&tu}, {&yu}, AttrsOf(c));
    for (int64_t i = 0; i < yi.size(); ++i) CHECK(yi.data<int8_t>()[i] == ei.value[static_cast<std::size_t>(i)]);
    for (int64_t i = 0; i < yu.size(); ++i) CHECK(yu.data<uint8_t>()[i] == eu.value[static_cast<std::size_t>(i)]);
  }
}

TEST_CASE("AveragePool matches a direct reference, with and without the padding counted", "[kernels][pool][kernel:AveragePool]") {
  uint32_t seed = 80;
  for (const PoolCase& c : kCases) {
    for (bool include_pad : {false, true}) {
      INFO(Describe(c) << " count_include_pad " << include_pad);
      const std::vector<float> x = test::RandomFloats(ElementCount(c.x), ++seed, -1, 1);
      const Expected e = Reference(c, x, true, include_pad);
      const Tensor xt = Tensor::FromVector(x, c.x);
      auto attrs = AttrsOf(c);
      attrs["count_include_pad"] = int64_t{include_pad};
      test::ForEachTarget([&](const char*) {
        Tensor y = Tensor::Zeros(DType::kF32, e.shape);
        test::RunKernel("AveragePool", {&xt}, {&y}, attrs);
        CheckClose(y.ToFloatVector(), e);
      });
    }
  }
}

TEST_CASE("MaxPool keeps the first of equal values, so -0 and +0 come out the same on every target", "[kernels][pool]") {
  const std::vector<float> x = {-0.0f, 0.0f, 0.0f, -0.0f};
  const Tensor xt = Tensor::FromVector(x, {1, 1, 1, 4});
  test::ForEachTarget([&](const char*) {
    Tensor y = Tensor::Zeros(DType::kF32, {1, 1, 1, 2});
    test::RunKernel("MaxPool", {&xt}, {&y}, {{"kernel_shape", Ints{1, 2}}, {"strides", Ints{1, 2}}});
    CHECK(std::signbit(y.data<float>()[0]));
    CHECK(!std::signbit(y.data<float>()[1]));
  });
  // First in row-major order: +0 at (0, 1) before -0 at (1, 0), also where a 2-D window is
  // taken row by row.
  const Tensor square = Tensor::FromVector(std::vector<float>{-1.0f, 0.0f, -0.0f, -1.0f}, {1, 1, 2, 2});
  test::ForEachTarget([&](const char*) {
    Tensor y = Tensor::Zeros(DType::kF32, {1, 1, 1, 1});
    test::RunKernel("MaxPool", {&square}, {&y}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
    CHECK(y.data<float>()[0] == 0.0f);
    CHECK(!std::signbit(y.data<float>()[0]));
  });
}

TEST_CASE("GlobalAveragePool matches a double mean on every target", "[kernels][pool][kernel:GlobalAveragePool]") {
  const Ints shapes[] = {{2, 3, 7, 7}, {1, 5, 1, 1}, {2, 2, 3, 300}, {1, 3, 17}, {1, 2, 3, 4, 5}, {0, 3, 2, 2}, {3, 4}};
  uint32_t seed = 120;
  for (const Ints& shape : shapes) {
    INFO(ShapeToString(shape));
    const std::vector<float> x = test::RandomFloats(ElementCount(shape), ++seed, -1, 1);
    const int64_t planes = shape[0] * shape[1], plane = ElementCount(shape) / std::max<int64_t>(1, planes);
    Expected e;
    for (int64_t p = 0; p < planes; ++p) {
      double sum = 0, abs = 0;
      for (int64_t i = 0; i < plane; ++i) sum += x[p * plane + i], abs += std::fabs(x[p * plane + i]);
      e.value.push_back(sum / double(plane));
      e.bound.push_back(2 * (plane + 2) * std::ldexp(1.0, -24) * abs / double(plane) + 1e-30);
    }
    Ints out = {shape[0], shape[1]};
    out.resize(shape.size(), 1);
    const Tensor xt = Tensor::FromVector(x, shape);
    test::ForEachTarget([&](const char*) {
      Tensor y = Tensor::Zeros(DType::kF32, out);
      test::RunKernel("GlobalAveragePool", {&xt}, {&y});
      CheckClose(y.ToFloatVector(), e);
    });
  }
}

TEST_CASE("Pool results do not depend on the thread count", "[kernels][pool]") {
  const PoolCase c({4, 16, 31, 29}, {3, 3}, {2, 2}, {1, 1, 1, 1});
  const std::vector<float> x = test::RandomFloats(ElementCount(c.x), 7, -1, 1);
  const std::vector<Dim1> dims = Resolve(c);
  WindowGeometry g;
  for (int i = 0; i < 2; ++i) {
    g.in[1 + i] = dims[i].in, g.out[1 + i] = dims[i].out, g.kernel[1 + i] = dims[i].k;
    g.stride[1 + i] = dims[i].s, g.pad[1 + i] = dims[i].begin;
  }
  for (PoolKind kind : {PoolKind::kMax, PoolKind::kAverage}) {
    auto run = [&](int threads) {
      std::vector<float> y(static_cast<std::size_t>(c.x[0] * c.x[1] * g.OutVolume()));
      tbb::task_arena arena(threads);
      arena.execute([&] {
        const PoolLayout l = MakePoolLayout(kind, c.x[0] * c.x[1], g, {0, 1, 1}, true);
        PoolF32(l, x.data(), y.data());
      });
      return y;
    };
    const std::vector<float> one = run(1), two = run(2);
    CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
    CheckClose(one, Reference(c, x, kind == PoolKind::kAverage, true));
  }
}

}  // namespace
}  // namespace axon::kernels
