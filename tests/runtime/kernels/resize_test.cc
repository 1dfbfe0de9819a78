// Resize against a per-element double reference of the ONNX definition: nearest in every
// rounding mode, multilinear, every supported coordinate transformation, scales and sizes, on
// every Highway target, with scales given as constants and fed at run time.
#include "runtime/kernels/resize.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "axon/tensor.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Ints = std::vector<int64_t>;

// The ONNX formulas, written out again for the test. length_resized is in · scale, a real number
// when scales are given (ONNX's reference implementation and test data).
double Source(const std::string& coord, int64_t o, int64_t in, double resized, double scale) {
  if (coord == "half_pixel") return (o + 0.5) / scale - 0.5;
  if (coord == "pytorch_half_pixel") return resized == 1.0 ? 0.0 : (o + 0.5) / scale - 0.5;
  if (coord == "align_corners") return resized == 1.0 ? 0.0 : o * double(in - 1) / (resized - 1.0);
  return o / scale;  // asymmetric
}

int64_t Round(double x, const std::string& mode) {
  if (mode == "floor") return int64_t(std::floor(x));
  if (mode == "ceil") return int64_t(std::ceil(x));
  const bool half = x - std::floor(x) == 0.5;
  if (half) return int64_t(mode == "round_prefer_ceil" ? std::ceil(x) : std::floor(x));
  return int64_t(std::round(x));
}

struct Expected {
  std::vector<double> value, bound;
};

Expected Reference(const std::vector<float>& x, const Ints& in, const Ints& out, const std::vector<double>& scales,
                   const std::vector<double>& resized, const std::string& mode, const std::string& coord,
                   const std::string& nearest) {
  const std::size_t rank = in.size();
  Expected e;
  for (int64_t flat = 0; flat < ElementCount(out); ++flat) {
    Ints o(rank);
    for (int64_t i = int64_t(rank) - 1, rest = flat; i >= 0; --i) o[i] = rest % out[i], rest /= out[i];
    // Per axis: up to two (index, weight) pairs.
    std::vector<std::vector<std::pair<int64_t, double>>> taps(rank);
    for (std::size_t a = 0; a < rank; ++a) {
      const double src = Source(coord, o[a], in[a], resized[a], scales[a]);
      if (mode == "nearest") {
        taps[a] = {{std::clamp<int64_t>(Round(src, nearest), 0, in[a] - 1), 1.0}};
      } else {
        const double c = std::clamp(src, 0.0, double(in[a] - 1));
        const int64_t i0 = int64_t(std::floor(c)), i1 = std::min(i0 + 1, in[a] - 1);
        taps[a] = {{i0, 1.0 - (c - i0)}, {i1, c - i0}};
      }
    }
    double sum = 0, abs = 0;
    const int64_t corners = int64_t(1) << (mode == "nearest" ? 0 : rank);
    for (int64_t corner = 0; corner < corners; ++corner) {
      double w = 1;
      int64_t src = 0;
      for (std::size_t a = 0; a < rank; ++a) {
        const auto& t = taps[a][mode == "nearest" ? 0 : (corner >> a) & 1];
        w *= t.second;
        src = src * in[a] + t.first;
      }
      sum += w * x[src];
      abs += std::fabs(w * x[src]);
    }
    e.value.push_back(sum);
    e.bound.push_back(mode == "nearest" ? 0.0 : 4 * (double(corners) + 4) * std::ldexp(1.0, -24) * abs + 1e-30);
  }
  return e;
}

void CheckClose(const std::vector<float>& got, const Expected& e) {
  REQUIRE(got.size() == e.value.size());
  int64_t bad = 0, first = -1;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(got[i] == e.value[i] || std::fabs(got[i] - e.value[i]) <= e.bound[i]) && bad++ == 0) first = int64_t(i);
  INFO("first bad element " << first << (first >= 0 ? " got " + std::to_string(got[first]) + " want " + std::to_string(e.value[first]) : ""));
  CHECK(bad == 0);
}

struct Case {
  Ints in;
  std::vector<float> scales;  // empty: sizes
  Ints sizes;
};
const Case kCases[] = {
    {{1, 2, 3, 4}, {1, 1, 2, 2}, {}},           // x2 upsampling, NCHW
    {{1, 2, 3, 5}, {1, 1, 3, 1.5f}, {}},
    {{1, 1, 6, 7}, {1, 1, 0.5f, 0.6f}, {}},     // downsampling, floored sizes
    {{1, 2, 5, 7}, {}, {1, 2, 8, 3}},           // sizes: scale = out / in
    {{2, 3, 7, 9}, {}, {2, 3, 4, 20}},
    {{10}, {}, {23}},                           // 1-D
    {{1, 1, 3, 4, 5}, {1, 1, 2, 1.5f, 2}, {}},  // 3-D: trilinear
    {{1, 4, 3, 3}, {1, 0.5f, 1, 1}, {}},        // along the channels
    {{1, 1, 3, 40}, {1, 1, 2, 1.5f}, {}},       // rows long enough for whole vectors
    {{1, 1, 1, 1}, {}, {1, 1, 3, 1}},           // from a single element
    {{2, 5}, {}, {2, 1}},                       // to a single element
    {{1, 1, 4, 4}, {1, 1, 0.3f, 0.3f}, {}},     // to one element, though in · scale is 1.2
};

TEST_CASE("Resize matches the ONNX definition in every mode and coordinate transformation",
          "[kernels][resize][kernel:Resize]") {
  uint32_t seed = 60;
  for (const Case& c : kCases) {
    const std::vector<float> x = test::RandomFloats(ElementCount(c.in), ++seed, -1, 1);
    const bool sizes = c.scales.empty();
    Ints out;
    std::vector<double> scales, resized;
    for (std::size_t a = 0; a < c.in.size(); ++a) {
      out.push_back(sizes ? c.sizes[a] : int64_t(std::floor(double(c.in[a]) * double(c.scales[a]))));
      scales.push_back(sizes ? double(out[a]) / double(c.in[a]) : double(c.scales[a]));
      resized.push_back(sizes ? double(out[a]) : double(c.in[a]) * scales[a]);
    }
    const auto rank = int64_t(c.in.size());
    const Tensor xt = Tensor::FromVector(x, c.in), roi = Tensor::Zeros(DType::kF32, {0});
    const Tensor st = sizes ? Tensor::Zeros(DType::kF32, {0}) : Tensor::FromVector(c.scales, {rank});
    const Tensor zt = Tensor::FromVector(c.sizes, {int64_t(c.sizes.size())});
    std::vector<const Tensor*> inputs = {&xt, &roi, &st};
    if (sizes) inputs.push_back(&zt);
    for (const char* mode : {"nearest", "linear"})
      for (const char* coord : {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"})
        for (const char* nearest : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}) {
          if (std::string(mode) == "linear" && std::string(nearest) != "round_prefer_floor") continue;
          INFO(ShapeToString(c.in) << " -> " << ShapeToString(out) << " " << mode << " " << coord << " " << nearest
                                   << (sizes ? " (sizes)" : " (scales)"));
          const Expected e = Reference(x, c.in, out, scales, resized, mode, coord, nearest);
          const std::map<std::string, graph::Attribute> attrs = {{"mode", std::string(mode)},
                                                                 {"coordinate_transformation_mode", std::string(coord)},
                                                                 {"nearest_mode", std::string(nearest)}};
          for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {
            test::ForEachTarget([&](const char*) {
              Tensor y = Tensor::Zeros(DType::kF32, out);
              test::RunKernel("Resize", inputs, {&y}, attrs, constants);
              CheckClose(y.ToFloatVector(), e);
            });
          }
        }
  }
}

TEST_CASE("Resize with scales measures length_resized as in · scale, as ONNX's test data does", "[kernels][resize]") {
  // ONNX's test_resize_downsample_scales_linear_align_corners.
  const Tensor x = Tensor::FromVector(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 2, 4});
  const Tensor roi = Tensor::Zeros(DType::kF32, {0});
  const Tensor scales = Tensor::FromVector(std::vector<float>{1, 1, 0.6f, 0.6f}, {4});
  Tensor y = Tensor::Zeros(DType::kF32, {1, 1, 1, 2});
  test::RunKernel("Resize", {&x, &roi, &scales}, {&y},
                  {{"mode", std::string("linear")}, {"coordinate_transformation_mode", std::string("align_corners")}});
  CHECK(y.data<float>()[0] == 1.0f);
  CHECK(y.data<float>()[1] == Approx(3.142857).epsilon(1e-6));
}

TEST_CASE("Resize results do not depend on the thread count", "[kernels][resize]") {
  const Ints in = {2, 8, 30, 41}, out = {2, 8, 75, 82};
  const std::vector<float> x = test::RandomFloats(ElementCount(in), 9, -1, 1);
  for (ResizeMode mode : {ResizeMode::kNearest, ResizeMode::kLinear}) {
    ResizeLayout l{in, out, mode, ResizeCoordinates::kHalfPixel, NearestRounding::kRoundPreferFloor};
    auto run = [&](int threads) {
      std::vector<float> y(size_t(ElementCount(out)));
      tbb::task_arena(threads).execute([&] { ResizeF32(l, x.data(), nullptr, y.data()); });
      return y;
    };
    const std::vector<float> one = run(1), two = run(2);
    CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("A linear Resize across too many axes is refused at run time", "[kernels][resize]") {
  const Ints in(6, 2), out(6, 3);
  const std::vector<float> x(64, 1.0f);
  std::vector<float> y(729);
  ResizeLayout l{in, out, ResizeMode::kLinear, ResizeCoordinates::kHalfPixel, NearestRounding::kFloor};
  CHECK_THROWS_WITH(ResizeF32(l, x.data(), nullptr, y.data()), Catch::Contains("at most 5 are supported"));
}

}  // namespace
}  // namespace axon::kernels
