// Kernels of Shape, ConstantOfShape, Expand and Range, directly and through sessions.
#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "axon/tensor.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/fill.h"
#include "tests/runtime/kernels/broadcast_reference.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Shape = std::vector<int64_t>;

template <class T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.size());
}

TEST_CASE("Fill writes n copies of one element of any size", "[kernels][fill]") {
  for (std::size_t esize : {1, 4, 8, 3}) {
    INFO(esize);
    const std::vector<uint8_t> value = {0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x9a};
    const int64_t n = 70001;  // more than one task's worth
    std::vector<uint8_t> y(static_cast<std::size_t>(n) * esize + 1, 0);
    Fill(y.data(), n, value.data(), esize);
    bool ok = true;
    for (int64_t i = 0; i < n && ok; ++i)
      ok = std::equal(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(esize), y.begin() + i * static_cast<int64_t>(esize));
    CHECK(ok);
    CHECK(y.back() == 0);
  }
}

TEST_CASE("Range is start + i * delta, exact for integers at the extremes", "[kernels][fill]") {
  std::vector<int64_t> y(4);
  Range<int64_t>(std::numeric_limits<int64_t>::min(), int64_t{1} << 62, y.data(), 4);
  CHECK(y == std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -(int64_t{1} << 62), 0, int64_t{1} << 62});
  std::vector<int32_t> z(3);
  Range<int32_t>(std::numeric_limits<int32_t>::max(), -(int32_t{1} << 30), z.data(), 3);
  CHECK(z == std::vector<int32_t>{2147483647, 1073741823, -1});
  std::vector<float> f(5);
  Range<float>(1.0f, -0.3f, f.data(), 5);
  for (int i = 0; i < 5; ++i) CHECK(f[i] == 1.0f + static_cast<float>(i) * -0.3f);
  std::vector<int64_t> big(100000);
  Range<int64_t>(-7, 3, big.data(), static_cast<int64_t>(big.size()));
  bool ok = true;
  for (std::size_t i = 0; i < big.size() && ok; ++i) ok = big[i] == -7 + 3 * static_cast<int64_t>(i);
  CHECK(ok);
}

TEST_CASE("BroadcastCopy matches the definition for 1-, 4-, 8- and 12-byte elements", "[kernels][fill]") {
  struct Case {
    Shape x, y;
  };
  for (const Case& c : {Case{{}, {}}, Case{{}, {5}}, Case{{3, 1}, {2, 3, 4}}, Case{{1, 4}, {3, 4}}, Case{{4}, {4}},
                        Case{{2, 1, 3}, {2, 5, 3}}, Case{{1}, {0, 3}}, Case{{3, 1}, {3, 20000}}, Case{{20000}, {2, 20000}}}) {
    INFO(ShapeToString(c.x) << " -> " << ShapeToString(c.y));
    const BroadcastLayout layout = MakeBroadcastLayout({c.x}, c.y);
    for (std::size_t esize : {1, 4, 8, 12}) {
      std::vector<uint8_t> x(static_cast<std::size_t>(ElementCount(c.x)) * esize);
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 31 + 7);
      std::vector<uint8_t> y(static_cast<std::size_t>(ElementCount(c.y)) * esize + 1, 0x5a);
      BroadcastCopy(layout, esize, x.data(), y.data());
      CHECK(y.back() == 0x5a);
      bool ok = true;
      for (int64_t i = 0; i < ElementCount(c.y) && ok; ++i) {
        const int64_t src = test::BroadcastSource(c.x, c.y, i);
        ok = std::equal(x.begin() + src * static_cast<int64_t>(esize), x.begin() + (src + 1) * static_cast<int64_t>(esize),
                        y.begin() + i * static_cast<int64_t>(esize));
      }
      CHECK(ok);
    }
  }
}

TEST_CASE("Shape kernel writes the input's dims, sliced by start and end", "[kernels][shape_values][kernel:Shape]") {
  const Tensor x = Tensor::Zeros(DType::kF32, {2, 3, 5, 7});
  Tensor all = Tensor::Zeros(DType::kI64, {4});
  test::RunKernel("Shape", {&x}, {&all});
  CHECK(Values<int64_t>(all) == std::vector<int64_t>{2, 3, 5, 7});
  Tensor mid = Tensor::Zeros(DType::kI64, {2});
  test::RunKernel("Shape", {&x}, {&mid}, {{"start", int64_t{1}}, {"end", int64_t{-1}}});
  CHECK(Values<int64_t>(mid) == std::vector<int64_t>{3, 5});
  const Tensor xi = Tensor::Zeros(DType::kI64, {4});
  Tensor none = Tensor::Zeros(DType::kI64, {0});
  test::RunKernel("Shape", {&xi}, {&none}, {{"start", int64_t{3}}, {"end", int64_t{1}}});
  Tensor scalar_shape = Tensor::Zeros(DType::kI64, {0});
  const Tensor s = Tensor::Zeros(DType::kF32, {});
  test::RunKernel("Shape", {&s}, {&scalar_shape});
}

TEST_CASE("ConstantOfShape kernel fills the shape its input holds with its value's dtype",
          "[kernels][shape_values][kernel:ConstantOfShape]") {
  const Tensor shape = Tensor::FromVector(std::vector<int64_t>{2, 3}, {2});
  Tensor zeros = Tensor::Uninitialized(DType::kF32, {2, 3});
  for (int i = 0; i < 6; ++i) zeros.data<float>()[i] = 9.0f;
  test::RunKernel("ConstantOfShape", {&shape}, {&zeros});  // default: f32 0
  CHECK(zeros.ToFloatVector() == std::vector<float>(6, 0.0f));
  Tensor sevens = Tensor::Zeros(DType::kI64, {2, 3});
  test::RunKernel("ConstantOfShape", {&shape}, {&sevens},
                  {{"value", graph::TensorAttr{Tensor::FromVector(std::vector<int64_t>{-7}, {1})}}});
  CHECK(Values<int64_t>(sevens) == std::vector<int64_t>(6, -7));
  Tensor trues = Tensor::Zeros(DType::kBool, {2, 3});
  test::RunKernel("ConstantOfShape", {&shape}, {&trues},
                  {{"value", graph::TensorAttr{Tensor::FromVector(std::vector<bool>{true}, {1})}}}, test::Constants::kAll);
  CHECK(Values<bool>(trues) == std::vector<bool>(6, true));
  const Tensor empty = Tensor::FromVector(std::vector<int64_t>{}, {0});
  Tensor scalar = Tensor::Zeros(DType::kF32, {});
  test::RunKernel("ConstantOfShape", {&empty}, {&scalar},
                  {{"value", graph::TensorAttr{Tensor::FromVector(std::vector<float>{2.5f}, {1})}}});
  CHECK(scalar.ToFloatVector() == std::vector<float>{2.5f});
}

TEST_CASE("Expand kernel broadcasts f32 and i64 to the shape its input holds", "[kernels][shape_values][kernel:Expand]") {
  const Tensor x = Tensor::FromVector(std::vector<float>{1, 2, 3}, {3, 1});
  const Tensor shape = Tensor::FromVector(std::vector<int64_t>{2, 1, 2}, {3});
  Tensor y = Tensor::Zeros(DType::kF32, {2, 3, 2});
  test::RunKernel("Expand", {&x, &shape}, {&y});
  CHECK(y.ToFloatVector() == std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  const Tensor xi = Tensor::FromVector(std::vector<int64_t>{4, 5}, {2});
  const Tensor shape_i = Tensor::FromVector(std::vector<int64_t>{3, 1}, {2});
  Tensor yi = Tensor::Zeros(DType::kI64, {3, 2});
  test::RunKernel("Expand", {&xi, &shape_i}, {&yi}, {}, test::Constants::kAll);
  CHECK(Values<int64_t>(yi) == std::vector<int64_t>{4, 5, 4, 5, 4, 5});
  // To its own shape: a relabelling.
  const Tensor one = Tensor::FromVector(std::vector<int64_t>{1}, {1});
  Tensor yc = Tensor::Zeros(DType::kF32, {3, 1});
  test::RunKernel("Expand", {&x, &one}, {&yc});
  CHECK(yc.ToFloatVector() == x.ToFloatVector());
}

TEST_CASE("Range kernel for f32, i64 and i32, values read at run time", "[kernels][shape_values][kernel:Range]") {
  const Tensor s = Tensor::FromVector(std::vector<int64_t>{10}, {}), l = Tensor::FromVector(std::vector<int64_t>{0}, {}),
               d = Tensor::FromVector(std::vector<int64_t>{-3}, {});
  Tensor y = Tensor::Zeros(DType::kI64, {4});
  test::RunKernel("Range", {&s, &l, &d}, {&y});
  CHECK(Values<int64_t>(y) == std::vector<int64_t>{10, 7, 4, 1});
  Tensor yc = Tensor::Zeros(DType::kI64, {4});
  test::RunKernel("Range", {&s, &l, &d}, {&yc}, {}, test::Constants::kAll);
  CHECK(Values<int64_t>(yc) == std::vector<int64_t>{10, 7, 4, 1});

  const Tensor sf = Tensor::FromVector(std::vector<float>{0.5f}, {}), lf = Tensor::FromVector(std::vector<float>{2.0f}, {}),
               df = Tensor::FromVector(std::vector<float>{0.5f}, {});
  Tensor yf = Tensor::Zeros(DType::kF32, {3});
  test::RunKernel("Range", {&sf, &lf, &df}, {&yf});
  CHECK(yf.ToFloatVector() == std::vector<float>{0.5f, 1.0f, 1.5f});

  const Tensor si = Tensor::FromVector(std::vector<int32_t>{-2}, {}), li = Tensor::FromVector(std::vector<int32_t>{3}, {}),
               di = Tensor::FromVector(std::vector<int32_t>{2}, {});
  Tensor y32 = Tensor::Zeros(DType::kI32, {3});
  test::RunKernel("Range", {&si, &li, &di}, {&y32});
  CHECK(Values<int32_t>(y32) == std::vector<int32_t>{-2, 0, 2});
}

}  // namespace
}  // namespace axon::kernels
