// Pad against a per-element reference (crop, then numpy-style padding) for every mode, dtypes of
// every size, negative pads, and pads given as a constant or fed at run time.
#include "runtime/kernels/pad.h"

#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "axon/tensor.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Ints = std::vector<int64_t>;

// The source of output index o along a dim, straight from the definition: crop, then pad.
int64_t Source(int64_t o, int64_t in, int64_t begin, int64_t end, const std::string& mode) {
  const int64_t crop = begin < 0 ? -begin : 0, kept = in - crop - (end < 0 ? -end : 0);
  int64_t j = o - (begin > 0 ? begin : 0);
  if (j >= 0 && j < kept) return crop + j;
  if (mode == "constant") return -1;
  if (mode == "edge") return crop + (j < 0 ? 0 : kept - 1);
  // reflect, repeatedly for long pads (numpy)
  while (j < 0 || j >= kept) {
    if (kept == 1) return crop;
    j = j < 0 ? -j : 2 * (kept - 1) - j;
  }
  return crop + j;
}

template <class T>
std::vector<T> Reference(const std::vector<T>& x, const Ints& shape, const Ints& pads, const std::string& mode, T value,
                         Ints& out_shape) {
  const std::size_t rank = shape.size();
  out_shape.clear();
  for (std::size_t i = 0; i < rank; ++i) out_shape.push_back(shape[i] + pads[i] + pads[rank + i]);
  std::vector<T> y(static_cast<std::size_t>(ElementCount(out_shape)));
  for (int64_t e = 0; e < static_cast<int64_t>(y.size()); ++e) {
    int64_t src = 0;
    bool constant = false;
    for (std::size_t i = 0; i < rank; ++i) {
      int64_t stride_out = 1, stride_in = 1;
      for (std::size_t j = i + 1; j < rank; ++j) stride_out *= out_shape[j], stride_in *= shape[j];
      const int64_t o = (e / stride_out) % out_shape[i];
      const int64_t s = Source(o, shape[i], pads[i], pads[rank + i], mode);
      constant = constant || s < 0;
      src += s * stride_in;
    }
    y[static_cast<std::size_t>(e)] = constant ? value : x[static_cast<std::size_t>(src)];
  }
  return y;
}

struct PadCase {
  Ints shape, pads;
};
const PadCase kCases[] = {
    {{1, 3, 4, 5}, {0, 0, 1, 1, 0, 0, 1, 1}},   // a CNN's 1-pixel border
    {{2, 3}, {1, 2, 3, 4}},
    {{7}, {3, 5}},                              // 1-D
    {{4}, {9, 11}},                             // pads longer than the dim: reflect repeats
    {{4, 5}, {-1, 2, 1, -3}},                   // negative: crop, then pad
    {{3, 4, 5}, {0, -1, 2, 1, 2, -2}},
    {{1}, {2, 3}},                              // one element: reflect degenerates to edge
    {{2, 1, 3}, {0, 2, 0, 1, 0, 0}},
    {{3, 4}, {0, 0, 0, 0}},                     // no padding at all
    {{2, 300}, {1, 40, 1, 40}},                 // long rows: threads, memcpy middles
    {{}, {}},                                   // scalar
};

TEST_CASE("Pad matches the definition in every mode and dtype", "[kernels][pad][kernel:Pad]") {
  int seed = 0;
  for (const PadCase& c : kCases) {
    for (const char* mode : {"constant", "reflect", "edge"}) {
      for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {
        INFO(ShapeToString(c.shape) << " pads " << ShapeToString(c.pads) << " " << mode
                                    << (constants == test::Constants::kAll ? " constant pads" : " pads fed at run time"));
        const std::vector<float> xf = test::RandomFloats(ElementCount(c.shape), ++seed, -1, 1);
        Ints out_shape;
        const std::vector<float> want = Reference(xf, c.shape, c.pads, mode, 2.5f, out_shape);
        const Tensor x = Tensor::FromVector(xf, c.shape);
        const Tensor pads = Tensor::FromVector(c.pads, {static_cast<int64_t>(c.pads.size())});
        const Tensor value = Tensor::FromVector(std::vector<float>{2.5f}, {});
        Tensor y = Tensor::Zeros(DType::kF32, out_shape);
        test::RunKernel("Pad", {&x, &pads, &value}, {&y}, {{"mode", std::string(mode)}}, constants);
        CHECK(y.ToFloatVector() == want);
        // Without a constant value: zeros.
        const std::vector<float> want0 = Reference(xf, c.shape, c.pads, mode, 0.0f, out_shape);
        Tensor y0 = Tensor::Zeros(DType::kF32, out_shape);
        test::RunKernel("Pad", {&x, &pads}, {&y0}, {{"mode", std::string(mode)}}, constants);
        CHECK(y0.ToFloatVector() == want0);
      }
    }
  }
}

TEST_CASE("Pad moves elements of 1, 4 and 8 bytes", "[kernels][pad]") {
  const Ints shape = {2, 3}, pads = {1, 1, 0, 2};
  const Tensor p = Tensor::FromVector(pads, {4});
  Ints out_shape;
  {
    const std::vector<int64_t> x = {1, 2, 3, 4, 5, 6};
    const std::vector<int64_t> want = Reference<int64_t>(x, shape, pads, "constant", -7, out_shape);
    const Tensor xt = Tensor::FromVector(x, shape), v = Tensor::FromVector(std::vector<int64_t>{-7}, {});
    Tensor y = Tensor::Zeros(DType::kI64, out_shape);
    test::RunKernel("Pad", {&xt, &p, &v}, {&y});
    CHECK(std::vector<int64_t>(y.data<int64_t>(), y.data<int64_t>() + y.size()) == want);
  }
  {
    const std::vector<uint8_t> x = {1, 2, 3, 4, 5, 6};
    const std::vector<uint8_t> want = Reference<uint8_t>(x, shape, pads, "reflect", 0, out_shape);
    const Tensor xt = Tensor::FromVector(x, shape);
    Tensor y = Tensor::Zeros(DType::kU8, out_shape);
    test::RunKernel("Pad", {&xt, &p}, {&y}, {{"mode", std::string("reflect")}});
    CHECK(std::vector<uint8_t>(y.data<uint8_t>(), y.data<uint8_t>() + y.size()) == want);
  }
  {
    const std::vector<int32_t> x = {1, 2, 3, 4, 5, 6};
    const std::vector<int32_t> want = Reference<int32_t>(x, shape, pads, "edge", 0, out_shape);
    const Tensor xt = Tensor::FromVector(x, shape);
    Tensor y = Tensor::Zeros(DType::kI32, out_shape);
    test::RunKernel("Pad", {&xt, &p}, {&y}, {{"mode", std::string("edge")}});
    CHECK(std::vector<int32_t>(y.data<int32_t>(), y.data<int32_t>() + y.size()) == want);
  }
}

TEST_CASE("Pad results do not depend on the thread count", "[kernels][pad]") {
  const Ints shape = {8, 16, 40}, pads = {1, 2, 3, 2, 1, 5};
  const std::vector<float> x = test::RandomFloats(ElementCount(shape), 3, -1, 1);
  PadLayout l{shape, {11, 19, 48}, PadMode::kReflect, 4};
  auto run = [&](int threads) {
    std::vector<float> y(11 * 19 * 48);
    tbb::task_arena(threads).execute([&] { PadCopy(l, x.data(), pads.data(), nullptr, y.data()); });
    return y;
  };
  CHECK(run(1) == run(2));
  Ints out_shape;
  CHECK(run(2) == Reference(x, shape, pads, "reflect", 0.0f, out_shape));
}

}  // namespace
}  // namespace axon::kernels
