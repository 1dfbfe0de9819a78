#include "runtime/kernels/compare.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "axon/tensor.h"
#include "runtime/kernels/elementwise.h"
#include "tests/runtime/kernels/broadcast_reference.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Shape = std::vector<int64_t>;
using test::BroadcastOf;
using test::BroadcastSource;

struct Pair {
  Shape a, b;
};

// Every broadcast pattern the layout distinguishes: equal shapes, scalars, leading and inner
// broadcast on either side, size-1 and size-0 dims, and runs long enough to be split in chunks.
const std::vector<Pair> kPairs = {
    {{}, {}},         {{5}, {}},          {{}, {5}},          {{7}, {7}},        {{2, 3}, {3}},
    {{2, 3}, {2, 1}}, {{2, 1, 4}, {3, 1}}, {{1, 3, 1}, {4, 1, 5}}, {{4, 1, 5}, {1, 3, 1}}, {{2, 0, 3}, {3}},
    {{3, 1}, {1, 1}}, {{1}, {6, 1, 1}},    {{3, 20000}, {20000}}, {{40000}, {1}},  {{2, 3, 4, 5}, {2, 1, 4, 1}},
};

// Values drawn from a few numbers, so that equal pairs are common.
template <class T>
std::vector<T> SmallValues(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(-2, 2);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (T& x : v) x = static_cast<T>(std::is_unsigned_v<T> ? pick(rng) + 2 : pick(rng));
  return v;
}

template <class T>
void CheckCompare(const Pair& c, uint32_t seed, std::vector<T> a = {}, std::vector<T> b = {}) {
  const Shape ys = BroadcastOf(c.a, c.b);
  if (a.empty()) a = SmallValues<T>(ElementCount(c.a), seed);
  if (b.empty()) b = SmallValues<T>(ElementCount(c.b), seed + 1);
  const BroadcastLayout layout = MakeBroadcastLayout({c.a, c.b}, ys);
  const int64_t n = ElementCount(ys);
  for (CompareOp op : {CompareOp::kEqual, CompareOp::kLess, CompareOp::kGreater}) {
    std::vector<uint8_t> y(static_cast<std::size_t>(n) + 1, 7);
    Compare<T>(op, layout, a.data(), b.data(), y.data());
    CHECK(y.back() == 7);  // nothing written past the end
    for (int64_t i = 0; i < n; ++i) {
      const T u = a[BroadcastSource(c.a, ys, i)], v = b[BroadcastSource(c.b, ys, i)];
      const bool want = op == CompareOp::kEqual ? u == v : op == CompareOp::kLess ? u < v : u > v;
      if (y[i] != static_cast<uint8_t>(want)) {
        FAIL_CHECK("element " << i << " of " << ShapeToString(ys) << ": op " << static_cast<int>(op) << " got "
                              << int(y[i]));
        break;
      }
    }
  }
}

TEST_CASE("the broadcast layout of two operands is MakeBinaryLayout's", "[kernels][compare]") {
  for (const Pair& c : kPairs) {
    INFO(ShapeToString(c.a) << " vs " << ShapeToString(c.b));
    const Shape ys = BroadcastOf(c.a, c.b);
    const BroadcastLayout p = MakeBroadcastLayout({c.a, c.b}, ys);
    const BinaryLayout q = MakeBinaryLayout(c.a, c.b, ys);
    CHECK(p.dims == q.dims);
    CHECK(p.strides[0] == q.a_strides);
    CHECK(p.strides[1] == q.b_strides);
    CHECK(p.inner == q.inner);
    CHECK(p.inner_stride[0] == q.a_inner);
    CHECK(p.inner_stride[1] == q.b_inner);
    CHECK(p.elements == q.elements);
  }
}

TEST_CASE("Compare matches the definition for every dtype and broadcast pattern", "[kernels][compare]") {
  uint32_t seed = 1;
  for (const Pair& c : kPairs) {
    INFO(ShapeToString(c.a) << " vs " << ShapeToString(c.b));
    CheckCompare<float>(c, seed++);
    CheckCompare<int64_t>(c, seed++);
    CheckCompare<int32_t>(c, seed++);
    CheckCompare<int8_t>(c, seed++);
    CheckCompare<uint8_t>(c, seed++);
  }
}

TEST_CASE("Compare: NaN is neither equal, less nor greater; extremes of i64 order correctly", "[kernels][compare]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  CheckCompare<float>({{6}, {6}}, 0, {nan, nan, 1.0f, -inf, 0.0f, -0.0f}, {nan, 1.0f, nan, -inf, -0.0f, inf});
  const std::vector<float> a = {nan}, b = {nan};
  uint8_t y = 9;
  const BroadcastLayout p = MakeBroadcastLayout({{1}, {1}}, {1});
  for (CompareOp op : {CompareOp::kEqual, CompareOp::kLess, CompareOp::kGreater}) {
    Compare<float>(op, p, a.data(), b.data(), &y);
    CHECK(y == 0);
  }
  const int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  CheckCompare<int64_t>({{4}, {4}}, 0, {lo, hi, lo, -1}, {hi, lo, lo, 0});
}

TEST_CASE("LogicalNot flips bools, in place too", "[kernels][compare]") {
  std::vector<uint8_t> x = {0, 1, 1, 0, 1};
  std::vector<uint8_t> y(5);
  LogicalNot(x.data(), y.data(), 5);
  CHECK(y == std::vector<uint8_t>{1, 0, 0, 1, 0});
  LogicalNot(x.data(), x.data(), 5);
  CHECK(x == y);
}

template <class E>
void CheckSelect(const Shape& cs, const Shape& xs, const Shape& ys, uint32_t seed) {
  const Shape os = BroadcastOf(cs, BroadcastOf(xs, ys));
  std::vector<uint8_t> c = SmallValues<uint8_t>(ElementCount(cs), seed);
  for (uint8_t& v : c) v = v > 2;
  const std::vector<E> x = SmallValues<E>(ElementCount(xs), seed + 1), y = SmallValues<E>(ElementCount(ys), seed + 2);
  std::vector<E> out(ElementCount(os) + 1, E(99));
  Select(MakeBroadcastLayout({cs, xs, ys}, os), sizeof(E), c.data(), x.data(), y.data(), out.data());
  CHECK(out.back() == E(99));
  for (int64_t i = 0; i < ElementCount(os); ++i) {
    const E want = c[BroadcastSource(cs, os, i)] ? x[BroadcastSource(xs, os, i)] : y[BroadcastSource(ys, os, i)];
    if (out[i] != want) {
      FAIL_CHECK("element " << i);
      break;
    }
  }
}

TEST_CASE("Select matches the definition for 1-, 4- and 8-byte elements", "[kernels][compare]") {
  struct Triple {
    Shape c, x, y;
  };
  uint32_t seed = 1;
  for (const Triple& t : {Triple{{}, {}, {}}, Triple{{5}, {5}, {5}}, Triple{{4, 1, 1}, {3, 1}, {5}},
                          Triple{{2, 3}, {}, {2, 3}}, Triple{{1}, {2, 3}, {3}}, Triple{{2, 0}, {1}, {1}},
                          Triple{{3, 20000}, {20000}, {3, 1}}, Triple{{2, 3, 4}, {2, 3, 4}, {1, 1, 4}}}) {
    INFO(ShapeToString(t.c) << " " << ShapeToString(t.x) << " " << ShapeToString(t.y));
    CheckSelect<uint8_t>(t.c, t.x, t.y, seed++);
    CheckSelect<float>(t.c, t.x, t.y, seed++);
    CheckSelect<int64_t>(t.c, t.x, t.y, seed++);
  }
}

TEST_CASE("Equal, Less and Greater kernels broadcast f32 and i64 to bool",
          "[kernels][compare][kernel:Equal][kernel:Less][kernel:Greater]") {
  const Tensor af = Tensor::FromVector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor bf = Tensor::FromVector(std::vector<float>{2, 2, 2}, {3});
  const Tensor ai = Tensor::FromVector(std::vector<int64_t>{3, -1}, {2, 1});
  const Tensor bi = Tensor::FromVector(std::vector<int64_t>{-1, 0, 3}, {1, 3});
  struct Case {
    const char* op;
    std::vector<bool> f32, i64;
  };
  for (const Case& c : {Case{"Equal", {0, 1, 0, 0, 0, 0}, {0, 0, 1, 1, 0, 0}},
                        Case{"Less", {1, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 1, 1}},
                        Case{"Greater", {0, 0, 1, 1, 1, 1}, {1, 1, 0, 0, 0, 0}}}) {
    INFO(c.op);
    Tensor yf = Tensor::Zeros(DType::kBool, {2, 3}), yi = Tensor::Zeros(DType::kBool, {2, 3});
    test::RunKernel(c.op, {&af, &bf}, {&yf});
    test::RunKernel(c.op, {&ai, &bi}, {&yi});
    CHECK(std::vector<bool>(yf.data<bool>(), yf.data<bool>() + 6) == c.f32);
    CHECK(std::vector<bool>(yi.data<bool>(), yi.data<bool>() + 6) == c.i64);
  }
  // Bools compare for equality.
  const Tensor p = Tensor::FromVector(std::vector<bool>{true, false}, {2});
  const Tensor q = Tensor::FromVector(std::vector<bool>{true}, {1});
  Tensor eq = Tensor::Zeros(DType::kBool, {2});
  test::RunKernel("Equal", {&p, &q}, {&eq});
  CHECK(std::vector<bool>(eq.data<bool>(), eq.data<bool>() + 2) == std::vector<bool>{true, false});
}

TEST_CASE("Not kernel", "[kernels][compare][kernel:Not]") {
  const Tensor x = Tensor::FromVector(std::vector<bool>{true, false, false}, {3, 1});
  Tensor y = Tensor::Zeros(DType::kBool, {3, 1});
  test::RunKernel("Not", {&x}, {&y});
  CHECK(std::vector<bool>(y.data<bool>(), y.data<bool>() + 3) == std::vector<bool>{false, true, true});
}

TEST_CASE("Where kernel selects with broadcasting, f32 and i64", "[kernels][compare][kernel:Where]") {
  const Tensor c = Tensor::FromVector(std::vector<bool>{true, false}, {2, 1});
  const Tensor xf = Tensor::FromVector(std::vector<float>{1, 2, 3}, {3});
  const Tensor yf = Tensor::FromVector(std::vector<float>{-1}, {});
  Tensor of = Tensor::Zeros(DType::kF32, {2, 3});
  test::RunKernel("Where", {&c, &xf, &yf}, {&of});
  CHECK(of.ToFloatVector() == std::vector<float>{1, 2, 3, -1, -1, -1});
  const Tensor xi = Tensor::FromVector(std::vector<int64_t>{10, 20}, {2, 1});
  const Tensor yi = Tensor::FromVector(std::vector<int64_t>{7, 8, 9}, {1, 3});
  const Tensor ci = Tensor::FromVector(std::vector<bool>{false, true, false}, {3});
  Tensor oi = Tensor::Zeros(DType::kI64, {2, 3});
  test::RunKernel("Where", {&ci, &xi, &yi}, {&oi});
  CHECK(std::vector<int64_t>(oi.data<int64_t>(), oi.data<int64_t>() + 6) == std::vector<int64_t>{7, 10, 9, 7, 20, 9});
}

}  // namespace
}  // namespace axon::kernels
