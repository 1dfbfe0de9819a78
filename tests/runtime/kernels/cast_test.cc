#include "runtime/kernels/cast.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "axon/tensor.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

template <class To, class From>
std::vector<To> CastAll(const std::vector<From>& x, DType from, DType to) {
  std::vector<To> y(x.size());
  Cast(from, to, x.data(), y.data(), static_cast<int64_t>(x.size()));
  return y;
}

constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max(), kI64Min = std::numeric_limits<int64_t>::min();
constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max(), kI32Min = std::numeric_limits<int32_t>::min();

TEST_CASE("Cast from f32 truncates toward zero, saturates out of range, and maps NaN to 0", "[kernels][cast]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {-2.7f, -0.5f, 0.0f, 0.5f,  2.7f, 127.9f, 128.0f, -128.9f, -129.0f,
                                255.9f, 256.0f, 3e9f, -3e9f, 1e19f, -1e19f, nan,   inf,    -inf};
  CHECK(CastAll<int64_t>(x, DType::kF32, DType::kI64) ==
        std::vector<int64_t>{-2, 0, 0, 0, 2, 127, 128, -128, -129, 255, 256, 3000000000, -3000000000, kI64Max, kI64Min, 0,
                             kI64Max, kI64Min});
  CHECK(CastAll<int32_t>(x, DType::kF32, DType::kI32) ==
        std::vector<int32_t>{-2, 0, 0, 0, 2, 127, 128, -128, -129, 255, 256, kI32Max, kI32Min, kI32Max, kI32Min, 0, kI32Max,
                             kI32Min});
  CHECK(CastAll<int8_t>(x, DType::kF32, DType::kI8) ==
        std::vector<int8_t>{-2, 0, 0, 0, 2, 127, 127, -128, -128, 127, 127, 127, -128, 127, -128, 0, 127, -128});
  CHECK(CastAll<uint8_t>(x, DType::kF32, DType::kU8) ==
        std::vector<uint8_t>{0, 0, 0, 0, 2, 127, 128, 0, 0, 255, 255, 255, 0, 255, 0, 0, 255, 0});
  // Nonzero is true, NaN included.
  CHECK(CastAll<uint8_t>(x, DType::kF32, DType::kBool) ==
        std::vector<uint8_t>{1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  // The extremes that are exactly representable convert exactly.
  CHECK(CastAll<int64_t>(std::vector<float>{-9223372036854775808.0f, 9223371487098961920.0f}, DType::kF32, DType::kI64) ==
        std::vector<int64_t>{kI64Min, 9223371487098961920});
  CHECK(CastAll<int32_t>(std::vector<float>{-2147483648.0f, 2147483520.0f}, DType::kF32, DType::kI32) ==
        std::vector<int32_t>{kI32Min, 2147483520});
}

TEST_CASE("Cast between integers wraps; to f32 rounds to nearest", "[kernels][cast]") {
  const std::vector<int64_t> x = {-1, 300, (int64_t{1} << 32) + 5, (int64_t{1} << 53) + 1, -(int64_t{1} << 31) - 1, 0,
                                  kI64Max, kI64Min};
  CHECK(CastAll<int32_t>(x, DType::kI64, DType::kI32) == std::vector<int32_t>{-1, 300, 5, 1, kI32Max, 0, -1, 0});
  CHECK(CastAll<int8_t>(x, DType::kI64, DType::kI8) == std::vector<int8_t>{-1, 44, 5, 1, -1, 0, -1, 0});
  CHECK(CastAll<uint8_t>(x, DType::kI64, DType::kU8) == std::vector<uint8_t>{255, 44, 5, 1, 255, 0, 255, 0});
  CHECK(CastAll<float>(x, DType::kI64, DType::kF32) ==
        std::vector<float>{-1.0f, 300.0f, 4294967296.0f, 9007199254740992.0f, -2147483648.0f, 0.0f,
                           9223372036854775808.0f, -9223372036854775808.0f});
  CHECK(CastAll<uint8_t>(x, DType::kI64, DType::kBool) == std::vector<uint8_t>{1, 1, 1, 1, 1, 0, 1, 1});
  CHECK(CastAll<int8_t>(std::vector<uint8_t>{200, 127, 128}, DType::kU8, DType::kI8) == std::vector<int8_t>{-56, 127, -128});
  CHECK(CastAll<uint8_t>(std::vector<int8_t>{-1, -128, 5}, DType::kI8, DType::kU8) == std::vector<uint8_t>{255, 128, 5});
  CHECK(CastAll<int64_t>(std::vector<int8_t>{-1, -128}, DType::kI8, DType::kI64) == std::vector<int64_t>{-1, -128});
  CHECK(CastAll<int64_t>(std::vector<uint8_t>{255, 0}, DType::kU8, DType::kI64) == std::vector<int64_t>{255, 0});
  CHECK(CastAll<float>(std::vector<int32_t>{-5, 16777217}, DType::kI32, DType::kF32) == std::vector<float>{-5.0f, 16777216.0f});
  CHECK(CastAll<int64_t>(std::vector<int32_t>{kI32Min, kI32Max}, DType::kI32, DType::kI64) ==
        std::vector<int64_t>{kI32Min, kI32Max});
}

TEST_CASE("Cast from bool gives 0 or 1 of any type", "[kernels][cast]") {
  const std::vector<uint8_t> b = {1, 0, 1};
  CHECK(CastAll<float>(b, DType::kBool, DType::kF32) == std::vector<float>{1, 0, 1});
  CHECK(CastAll<int64_t>(b, DType::kBool, DType::kI64) == std::vector<int64_t>{1, 0, 1});
  CHECK(CastAll<int32_t>(b, DType::kBool, DType::kI32) == std::vector<int32_t>{1, 0, 1});
  CHECK(CastAll<int8_t>(b, DType::kBool, DType::kI8) == std::vector<int8_t>{1, 0, 1});
  CHECK(CastAll<uint8_t>(b, DType::kBool, DType::kU8) == std::vector<uint8_t>{1, 0, 1});
  CHECK(CastAll<uint8_t>(std::vector<uint8_t>{0, 7}, DType::kU8, DType::kBool) == std::vector<uint8_t>{0, 1});
}

TEST_CASE("Cast works in place between types of one size, and over many threads' worth", "[kernels][cast]") {
  std::vector<float> x(200000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.5f - 1000.25f;
  std::vector<int32_t> want(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) want[i] = static_cast<int32_t>(std::trunc(x[i]));
  Cast(DType::kF32, DType::kI32, x.data(), x.data(), static_cast<int64_t>(x.size()));
  std::vector<int32_t> got(x.size());
  std::memcpy(got.data(), x.data(), x.size() * sizeof(float));
  CHECK(got == want);
}

TEST_CASE("Cast kernel: f32, i64 and bool through a session; to its own type it is a relabelling",
          "[kernels][cast][kernel:Cast]") {
  const Tensor xf = Tensor::FromVector(std::vector<float>{-1.5f, 0.0f, 2.9f, 7.0f}, {2, 2});
  Tensor yi = Tensor::Zeros(DType::kI64, {2, 2});
  test::RunKernel("Cast", {&xf}, {&yi}, {{"to", int64_t{7}}});
  CHECK(std::vector<int64_t>(yi.data<int64_t>(), yi.data<int64_t>() + 4) == std::vector<int64_t>{-1, 0, 2, 7});

  const Tensor xi = Tensor::FromVector(std::vector<int64_t>{3, -4, 0}, {3});
  Tensor yf = Tensor::Zeros(DType::kF32, {3});
  test::RunKernel("Cast", {&xi}, {&yf}, {{"to", int64_t{1}}});
  CHECK(yf.ToFloatVector() == std::vector<float>{3, -4, 0});
  Tensor yb = Tensor::Zeros(DType::kBool, {3});
  test::RunKernel("Cast", {&xi}, {&yb}, {{"to", int64_t{9}}});
  CHECK(std::vector<bool>(yb.data<bool>(), yb.data<bool>() + 3) == std::vector<bool>{true, true, false});

  Tensor same = Tensor::Zeros(DType::kF32, {2, 2});
  test::RunKernel("Cast", {&xf}, {&same}, {{"to", int64_t{1}}});
  CHECK(same.ToFloatVector() == xf.ToFloatVector());
}

}  // namespace
}  // namespace axon::kernels
