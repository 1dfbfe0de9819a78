#include "runtime/kernels/elementwise.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "axon/tensor.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Shape = std::vector<int64_t>;

std::vector<float> Random(int64_t n, uint32_t seed) { return test::RandomFloats(n, seed, -4.0f, 4.0f); }

// Naive numpy broadcasting: y[i] = f(a[...], b[...]).
template <class T, class F>
std::vector<T> Broadcasted(const std::vector<T>& a, const Shape& as, const std::vector<T>& b, const Shape& bs,
                           const Shape& ys, F f) {
  const std::size_t rank = ys.size();
  std::vector<T> y(ElementCount(ys));
  std::vector<int64_t> index(rank, 0);
  for (std::size_t flat = 0; flat < y.size(); ++flat) {
    auto offset = [&](const Shape& s) {
      int64_t off = 0;
      for (std::size_t k = 0; k < s.size(); ++k) {
        const int64_t i = index[k + rank - s.size()];
        off = off * s[k] + (s[k] == 1 ? 0 : i);
      }
      return off;
    };
    y[flat] = f(a[offset(as)], b[offset(bs)]);
    for (std::size_t k = rank; k-- > 0;) {
      if (++index[k] < ys[k]) break;
      index[k] = 0;
    }
  }
  return y;
}

// In double, rounded once to float. For + - * / on floats this is exactly the correctly rounded
// float result (double has more than 2*24+2 bits), so the kernel must match it bit for bit; PRelu
// is one multiply; Pow is std::pow's double result rounded; fmod is exact.
double RefOp(BinaryOp op, double x0, double x1) {
  switch (op) {
    case BinaryOp::kAdd: return x0 + x1;
    case BinaryOp::kSub: return x0 - x1;
    case BinaryOp::kMul: return x0 * x1;
    case BinaryOp::kDiv: return x0 / x1;
    case BinaryOp::kPow: return std::pow(x0, x1);
    case BinaryOp::kPRelu: return x0 < 0 ? x0 * x1 : x0;
    case BinaryOp::kFMod: return std::fmod(x0, x1);  // exact, so the float's fmod
    case BinaryOp::kMod: break;                      // integers only
  }
  return 0;
}

std::vector<float> Reference(BinaryOp op, const std::vector<float>& a, const Shape& as, const std::vector<float>& b,
                             const Shape& bs, const Shape& ys) {
  return Broadcasted(a, as, b, bs, ys, [op](float x0, float x1) { return static_cast<float>(RefOp(op, x0, x1)); });
}

bool SameBits(float x, float y) { return std::memcmp(&x, &y, sizeof x) == 0 || (std::isnan(x) && std::isnan(y)); }

// The ops whose every element is one correctly rounded operation (Pow is tested on its own).
const BinaryOp kOps[] = {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv, BinaryOp::kPRelu,
                         BinaryOp::kFMod};
const char* Name(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "Add";
    case BinaryOp::kSub: return "Sub";
    case BinaryOp::kMul: return "Mul";
    case BinaryOp::kDiv: return "Div";
    case BinaryOp::kPow: return "Pow";
    case BinaryOp::kPRelu: return "PRelu";
    case BinaryOp::kMod: return "Mod";
    case BinaryOp::kFMod: return "Mod (fmod=1)";
  }
  return "?";
}

struct ShapePair {
  Shape a, b;
};

const ShapePair kPairs[] = {
    {{}, {}}, {{}, {5}}, {{5}, {}}, {{1}, {5}}, {{5}, {1}},                 // scalars
    {{0}, {0}}, {{0}, {1}}, {{0, 3}, {3}}, {{3, 0}, {3, 1}},                // empty
    {{1}, {1}}, {{7}, {7}}, {{33}, {33}}, {{1000}, {1000}},                 // no broadcast
    {{2, 3}, {3}}, {{3}, {2, 3}}, {{2, 1, 4}, {3, 1}}, {{4, 1, 3}, {1, 5, 1}},
    {{33, 7}, {33, 1}}, {{7, 33}, {1, 33}}, {{2, 3, 4, 5}, {2, 1, 4, 1}}, {{1, 1, 7}, {7}},
    {{1000, 3}, {1000, 1}}, {{6, 1, 1, 33}, {5, 1, 1}},
    {{3, 1, 40000}, {1, 2, 1}},       // rows longer than one work item
    {{50000}, {1}}, {{1}, {50000}},   // one long row against a scalar
    {{300, 1000}, {1000}}, {{1000, 300}, {1000, 1}},
};

// numpy's broadcast of two shapes, the test's own reference (shapes here always broadcast).
Shape Broadcast(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape y(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const int64_t ad = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t bd = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    y[i] = ad == 1 ? bd : ad;
  }
  return y;
}

void BinaryF32(BinaryOp op, const float* a, const Shape& as, const float* b, const Shape& bs, float* y, const Shape& ys) {
  kernels::BinaryF32(op, MakeBinaryLayout(as, bs, ys), a, b, y);
}

TEST_CASE("BinaryF32 matches the correctly rounded result bit for bit on every target", "[kernels][elementwise]") {
  for (const ShapePair& s : kPairs) {
    const Shape ys = Broadcast(s.a, s.b);
    const std::vector<float> a = Random(ElementCount(s.a), 1);
    const std::vector<float> b = Random(ElementCount(s.b), 2);
    for (BinaryOp op : kOps) {
      const std::vector<float> expected = Reference(op, a, s.a, b, s.b, ys);
      test::ForEachTarget([&](const char*) {
        INFO(Name(op) << " " << ShapeToString(s.a) << " x " << ShapeToString(s.b));
        std::vector<float> y(expected.size() + 1, -7.0f);  // one guard element
        BinaryF32(op, a.data(), s.a, b.data(), s.b, y.data(), ys);
        std::size_t mismatches = 0, first = 0;
        for (std::size_t i = 0; i < expected.size(); ++i)
          if (!SameBits(y[i], expected[i]) && mismatches++ == 0) first = i;
        INFO("first mismatch at flat index " << first);
        CHECK(mismatches == 0);
        CHECK(y.back() == -7.0f);
      });
    }
  }
}

TEST_CASE("Binary ops broadcast as numpy and refuse shapes that do not", "[kernels][elementwise]") {
  struct Case {
    Shape a, b, y;
  };
  for (const Case& c : {Case{{2, 1, 4}, {3, 1}, {2, 3, 4}}, Case{{}, {3}, {3}}, Case{{0}, {1}, {0}}, Case{{1}, {0}, {0}}}) {
    const Tensor a = Tensor::Zeros(DType::kF32, c.a), b = Tensor::Zeros(DType::kF32, c.b);
    Tensor y = Tensor::Zeros(DType::kF32, c.y);
    CHECK_NOTHROW(test::RunKernel("Add", {&a, &b}, {&y}));
  }
  for (const Case& c : {Case{{2, 3}, {4}, {2, 3}}, Case{{0}, {2}, {0}}}) {
    const Tensor a = Tensor::Zeros(DType::kF32, c.a), b = Tensor::Zeros(DType::kF32, c.b);
    Tensor y = Tensor::Zeros(DType::kF32, c.y);
    CHECK_THROWS_AS(test::RunKernel("Add", {&a, &b}, {&y}), Error);
  }
}

TEST_CASE("A binary op refuses an output buffer that is not the broadcast shape", "[kernels][elementwise]") {
  const Tensor a = Tensor::Zeros(DType::kF32, {2, 3}), b = Tensor::Zeros(DType::kF32, {3});
  Tensor flat = Tensor::Zeros(DType::kF32, {6}), extra = Tensor::Zeros(DType::kF32, {1, 2, 3});
  CHECK_THROWS_AS(test::RunKernel("Add", {&a, &b}, {&flat}), Error);
  CHECK_THROWS_AS(test::RunKernel("Add", {&a, &b}, {&extra}), Error);
}

TEST_CASE("BinaryF32 works in place on the full-shape input", "[kernels][elementwise]") {
  const Shape as = {37, 41}, bs = {41};
  const std::vector<float> a = Random(37 * 41, 3), b = Random(41, 4);
  test::ForEachTarget([&](const char*) {
    for (BinaryOp op : kOps) {
      std::vector<float> y = a;
      BinaryF32(op, y.data(), as, b.data(), bs, y.data(), as);
      CHECK(y == Reference(op, a, as, b, bs, as));
      std::vector<float> y2 = a;  // y aliases the second operand
      BinaryF32(op, b.data(), bs, y2.data(), as, y2.data(), as);
      CHECK(y2 == Reference(op, b, bs, a, as, as));
    }
  });
}

TEST_CASE("BinaryF32 results do not depend on the thread count", "[kernels][elementwise]") {
  const ShapePair pairs[] = {{{300, 1000}, {1000}}, {{1 << 20}, {1 << 20}}, {{1000, 300}, {1000, 1}}, {{4096, 3}, {1}}};
  for (const ShapePair& s : pairs) {
    const Shape ys = Broadcast(s.a, s.b);
    const std::vector<float> a = Random(ElementCount(s.a), 5), b = Random(ElementCount(s.b), 6);
    std::vector<float> y1(ElementCount(ys)), y2(ElementCount(ys));
    tbb::task_arena one(1), two(2);
    one.execute([&] { BinaryF32(BinaryOp::kDiv, a.data(), s.a, b.data(), s.b, y1.data(), ys); });
    two.execute([&] { BinaryF32(BinaryOp::kDiv, a.data(), s.a, b.data(), s.b, y2.data(), ys); });
    CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("Add, Sub, Mul and Div kernels are registered and broadcast", "[kernels][elementwise][kernel:Add][kernel:Sub][kernel:Mul][kernel:Div]") {
  const Shape as = {2, 1, 4}, bs = {3, 1}, ys = {2, 3, 4};
  const std::vector<float> av = Random(8, 7), bv = Random(3, 8);
  const Tensor a = Tensor::FromVector(av, as), b = Tensor::FromVector(bv, bs);
  for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv}) {
    INFO(Name(op));
    Tensor y = Tensor::Zeros(DType::kF32, ys);
    test::RunKernel(Name(op), {&a, &b}, {&y});
    CHECK(y.ToFloatVector() == Reference(op, av, as, bv, bs, ys));
  }
}

// ---- Pow

// Bases and exponents that reach every special case of C99 pow and every regime of the general
// one: signed zeros, subnormals, ±1, odd/even/non-integer exponents, overflow and underflow.
std::vector<float> PowBases() {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), 1.0f, -1.0f, 2.0f, -2.0f,
                          0.5f, -0.5f, 10.0f, -10.0f, 1e-40f, -1e-40f, FLT_MIN, FLT_MAX, -FLT_MAX, 1.0000001f,
                          0.99999994f, 3.0f, 1e20f, 1e-20f, 7.25f, -7.25f};
  for (float x : test::RandomFloats(200, 11, 0.0f, 40.0f)) {
    v.push_back(x);
    v.push_back(-x);
  }
  return v;
}
std::vector<float> PowExponents() {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), 1.0f, -1.0f, 2.0f, -2.0f,
                          3.0f, -3.0f, 0.5f, -0.5f, 1.5f, -1.5f, 0.1f, 1e-10f, 100.0f, -100.0f, 16777215.0f,
                          16777216.0f, 33554432.0f, 1e30f, -1e30f, 127.5f, 128.0f, -149.0f, -150.0f, 7.0f};
  for (float y : test::RandomFloats(100, 12, -30.0f, 30.0f)) v.push_back(y);
  return v;
}

TEST_CASE("Pow follows C99 pow: special cases exactly, other results within 1e-7", "[kernels][elementwise]") {
  const std::vector<float> xs = PowBases(), ys = PowExponents();
  // Every (x, y) pair: x along dim 0, y along dim 1.
  const Shape as = {static_cast<int64_t>(xs.size()), 1}, bs = {static_cast<int64_t>(ys.size())};
  const Shape out = {as[0], bs[0]};
  test::ForEachTarget([&](const char*) {
    std::vector<float> r(ElementCount(out));
    kernels::BinaryF32(BinaryOp::kPow, MakeBinaryLayout(as, bs, out), xs.data(), ys.data(), r.data());
    double max_rel = 0;
    std::size_t wrong = 0;
    std::string first;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      for (std::size_t j = 0; j < ys.size(); ++j) {
        const double e = std::pow(double{xs[i]}, double{ys[j]});
        const float ef = static_cast<float>(e), got = r[i * ys.size() + j];
        bool ok;
        if (std::isnan(e)) {
          ok = std::isnan(got);
        } else if (std::isinf(ef) || ef == 0 || e == std::trunc(e)) {  // limits, signed zeros, exact values
          ok = SameBits(got, ef) || (std::fabs(e) < FLT_MIN && std::fabs(got - e) <= 1e-45);
        } else if (std::fabs(e) < FLT_MIN) {
          ok = std::fabs(got - e) <= 1e-45;  // subnormal: within one subnormal step
        } else {
          const double rel = std::fabs(got - e) / std::fabs(e);
          max_rel = std::max(max_rel, rel);
          ok = rel <= 1e-7;
        }
        if (!ok && wrong++ == 0)
          first = "pow(" + std::to_string(xs[i]) + ", " + std::to_string(ys[j]) + ") = " + std::to_string(got) +
                  ", expected " + std::to_string(ef);
      }
    }
    INFO("first wrong: " << first << "; max relative error " << max_rel);
    CHECK(wrong == 0);
  });
}

TEST_CASE("Pow by 2, 0.5 and 3 gives the same results whether the exponent is broadcast or not",
          "[kernels][elementwise]") {
  const std::vector<float> xs = PowBases();
  const Shape xs_shape = {static_cast<int64_t>(xs.size())};
  for (float e : {2.0f, 0.5f, 3.0f}) {
    const std::vector<float> scalar = {e}, full(xs.size(), e);
    test::ForEachTarget([&](const char*) {
      std::vector<float> fast(xs.size()), general(xs.size());
      kernels::BinaryF32(BinaryOp::kPow, MakeBinaryLayout(xs_shape, {}, xs_shape), xs.data(), scalar.data(), fast.data());
      kernels::BinaryF32(BinaryOp::kPow, MakeBinaryLayout(xs_shape, xs_shape, xs_shape), xs.data(), full.data(),
                         general.data());
      for (std::size_t i = 0; i < xs.size(); ++i) {
        INFO("pow(" << xs[i] << ", " << e << ")");
        const double exact = std::pow(double{xs[i]}, double{e});
        if (e != 3.0f) {
          CHECK(SameBits(fast[i], static_cast<float>(exact)));  // x·x and sqrt: correctly rounded
        } else if (std::isnan(exact) || std::isinf(static_cast<float>(exact)) || std::fabs(exact) < FLT_MIN) {
          CHECK((SameBits(fast[i], static_cast<float>(exact)) || std::fabs(fast[i] - exact) <= 1e-45));
        } else {
          CHECK(std::fabs(fast[i] - exact) <= 1e-7 * std::fabs(exact));
        }
        CHECK(SameBits(general[i], fast[i]));
      }
    });
  }
}

TEST_CASE("Pow and PRelu kernels are registered and broadcast", "[kernels][elementwise][kernel:Pow][kernel:PRelu]") {
  {  // Pow: the exponent broadcasts too, and may widen the result
    const Shape as = {3, 1}, bs = {4}, ys = {3, 4};
    const std::vector<float> av = {0.5f, 2.0f, 3.0f}, bv = {-1.0f, 0.0f, 0.5f, 3.0f};
    const Tensor a = Tensor::FromVector(av, as), b = Tensor::FromVector(bv, bs);
    Tensor y = Tensor::Zeros(DType::kF32, ys);
    test::RunKernel("Pow", {&a, &b}, {&y});
    const std::vector<float> expected = {2.0f, 1.0f, std::sqrt(0.5f), 0.125f, 0.5f, 1.0f, std::sqrt(2.0f), 8.0f,
                                         1.0f / 3.0f, 1.0f, std::sqrt(3.0f), 27.0f};
    const std::vector<float> got = y.ToFloatVector();
    for (std::size_t i = 0; i < expected.size(); ++i) CHECK(got[i] == Approx(expected[i]).epsilon(1e-7));
  }
  {  // PRelu: a per-channel slope [C,1,1] against NCHW
    const Shape xs = {2, 3, 2, 2}, ss = {3, 1, 1};
    const std::vector<float> xv = Random(24, 9), sv = {0.1f, -0.5f, 2.0f};
    const Tensor x = Tensor::FromVector(xv, xs), slope = Tensor::FromVector(sv, ss);
    Tensor y = Tensor::Zeros(DType::kF32, xs);
    test::RunKernel("PRelu", {&x, &slope}, {&y});
    CHECK(y.ToFloatVector() == Reference(BinaryOp::kPRelu, xv, xs, sv, ss, xs));
    Tensor wrong = Tensor::Zeros(DType::kF32, {3, 2, 2});
    CHECK_THROWS_AS(test::RunKernel("PRelu", {&slope, &x}, {&wrong}), Error);  // X must take the slope, not widen
  }
}

// ---- integers

// The contract of elementwise.h, in plain scalar code: wrap-around Add/Sub/Mul, and Div that
// truncates toward zero with x / 0 = 0 and INT_MIN / -1 = INT_MIN.
template <class T>
T RefInt(BinaryOp op, T a, T b) {
  using U = std::make_unsigned_t<T>;
  switch (op) {
    case BinaryOp::kAdd: return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
    case BinaryOp::kSub: return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
    case BinaryOp::kMul: return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
    case BinaryOp::kDiv:
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return static_cast<T>(U{0} - static_cast<U>(a));
      }
      return static_cast<T>(a / b);
    case BinaryOp::kMod:
    case BinaryOp::kFMod: {
      // In 128 bits, where nothing overflows: the truncated remainder a - trunc(a/b)·b, moved to
      // b's sign by adding b for Mod. 0 for b == 0 (elementwise.h).
      if (b == 0) return 0;
      const __int128 x = a, z = b, r = x - (x / z) * z;
      return static_cast<T>(op == BinaryOp::kMod && r != 0 && (r < 0) != (z < 0) ? r + z : r);
    }
    default: return 0;
  }
}

// Random values mixed with the edges: 0, ±1, the extremes and their neighbours.
template <class T>
std::vector<T> RandomInts(int64_t n, uint32_t seed) {
  const T lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  const T edges[] = {T(0), T(1), T(-1), T(2), T(-2), T(7), T(-7), lo, static_cast<T>(lo + 1), hi, static_cast<T>(hi - 1)};
  std::mt19937_64 rng(seed);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) {
    const uint64_t r = rng();
    if (r % 4 == 0) {
      v[i] = edges[(r >> 8) % std::size(edges)];
    } else if (r % 4 == 1) {
      v[i] = static_cast<T>(static_cast<int64_t>(r >> 16) % 1000);  // small, so Div has nonzero quotients
    } else {
      v[i] = static_cast<T>(r >> 3);
    }
  }
  return v;
}

template <class T>
void BinaryInt(BinaryOp op, const BinaryLayout& layout, const T* a, const T* b, T* y) {
  if constexpr (std::is_same_v<T, int32_t>) {
    BinaryI32(op, layout, a, b, y);
  } else if constexpr (std::is_same_v<T, int8_t>) {
    BinaryI8(op, layout, a, b, y);
  } else if constexpr (std::is_same_v<T, uint8_t>) {
    BinaryU8(op, layout, a, b, y);
  } else {
    BinaryI64(op, layout, a, b, y);
  }
}

TEMPLATE_TEST_CASE("integer arithmetic wraps, Div truncates, Mod is exact, all defined everywhere, on every target",
                   "[kernels][elementwise]", int32_t, int64_t, int8_t, uint8_t) {
  using T = TestType;
  const BinaryOp ops[] = {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv, BinaryOp::kMod,
                          BinaryOp::kFMod};
  for (const ShapePair& s : kPairs) {
    const Shape ys = Broadcast(s.a, s.b);
    const std::vector<T> a = RandomInts<T>(ElementCount(s.a), 1), b = RandomInts<T>(ElementCount(s.b), 2);
    for (BinaryOp op : ops) {
      const std::vector<T> expected = Broadcasted(a, s.a, b, s.b, ys, [op](T x, T y) { return RefInt(op, x, y); });
      test::ForEachTarget([&](const char*) {
        INFO(Name(op) << " " << ShapeToString(s.a) << " x " << ShapeToString(s.b));
        std::vector<T> y(expected.size() + 1, 77);  // one guard element
        BinaryInt(op, MakeBinaryLayout(s.a, s.b, ys), a.data(), b.data(), y.data());
        CHECK(std::equal(expected.begin(), expected.end(), y.begin()));
        CHECK(y.back() == 77);
      });
    }
  }
}

TEMPLATE_TEST_CASE("integer Div by 0 and INT_MIN / -1 give their documented values", "[kernels][elementwise]", int32_t,
                   int64_t) {
  using T = TestType;
  const T lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  const std::vector<T> a = {7, -7, 7, -7, 0, lo, lo, hi, 5, lo, -9};
  const std::vector<T> b = {2, 2, -2, -2, 0, -1, 0, -1, 0, 1, 4};
  const std::vector<T> expected = {3, -3, -3, 3, 0, lo, 0, static_cast<T>(-hi), 0, lo, -2};  // toward zero
  const Shape shape = {static_cast<int64_t>(a.size())};
  test::ForEachTarget([&](const char*) {
    std::vector<T> y(a.size());
    BinaryInt(BinaryOp::kDiv, MakeBinaryLayout(shape, shape, shape), a.data(), b.data(), y.data());
    CHECK(y == expected);
  });
}

TEST_CASE("Add, Sub, Mul and Div run on i32 and i64 through their ops, in place too",
          "[kernels][elementwise][kernel:Add][kernel:Sub][kernel:Mul][kernel:Div]") {
  const Shape as = {2, 3}, bs = {3};
  for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv}) {
    INFO(Name(op));
    {
      const std::vector<int64_t> av = {10, -10, 7, int64_t{1} << 40, -5, 0}, bv = {3, 0, -2};
      const Tensor a = Tensor::FromVector(av, as), b = Tensor::FromVector(bv, bs);
      Tensor y = Tensor::Zeros(DType::kI64, as);
      test::RunKernel(Name(op), {&a, &b}, {&y});
      const auto expected = Broadcasted(av, as, bv, bs, as, [op](int64_t x, int64_t z) { return RefInt(op, x, z); });
      CHECK(std::vector<int64_t>(y.data<int64_t>(), y.data<int64_t>() + 6) == expected);
    }
    {
      const std::vector<int32_t> av = {10, -10, 7, 1 << 30, -5, 0}, bv = {3, 0, -2};
      const Tensor a = Tensor::FromVector(av, as), b = Tensor::FromVector(bv, bs);
      Tensor y = Tensor::Zeros(DType::kI32, as);
      test::RunKernel(Name(op), {&a, &b}, {&y});
      const auto expected = Broadcasted(av, as, bv, bs, as, [op](int32_t x, int32_t z) { return RefInt(op, x, z); });
      CHECK(std::vector<int32_t>(y.data<int32_t>(), y.data<int32_t>() + 6) == expected);
      Tensor wrong = Tensor::Zeros(DType::kI64, as);  // the output is the inputs' dtype
      CHECK_THROWS_AS(test::RunKernel(Name(op), {&a, &b}, {&wrong}), Error);
    }
  }
  // In place on the full-shape input, as the planner may bind it.
  const Shape ys = {37, 41};
  const std::vector<int32_t> a = RandomInts<int32_t>(37 * 41, 3), b = RandomInts<int32_t>(41, 4);
  test::ForEachTarget([&](const char*) {
    for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kMul, BinaryOp::kDiv}) {
      std::vector<int32_t> y = a;
      BinaryI32(op, MakeBinaryLayout(ys, {41}, ys), y.data(), b.data(), y.data());
      CHECK(y == Broadcasted(a, ys, b, {41}, ys, [op](int32_t x, int32_t z) { return RefInt(op, x, z); }));
    }
  });
}


template <class T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.size());
}

TEST_CASE("Add, Sub, Mul and Div on u8 and i8 wrap, and Div truncates, through their ops (hand-computed)",
          "[kernels][elementwise][kernel:Add][kernel:Sub][kernel:Mul][kernel:Div]") {
  struct Case {
    const char* op;
    std::vector<uint8_t> u8;
    std::vector<int8_t> i8;
  };
  // u8: a = {250, 3, 200, 7, 0, 255}, b = {10, 5, 2, 0, 1, 255}
  // i8: a = {120, -128, -7, 7, 100, -128}, b = {10, -1, 2, 0, -3, 1}
  const Case cases[] = {
      {"Add", {4, 8, 202, 7, 1, 254}, {-126, 127, -5, 7, 97, -127}},
      {"Sub", {240, 254, 198, 7, 255, 0}, {110, -127, -9, 7, 103, 127}},
      {"Mul", {196, 15, 144, 0, 0, 1}, {-80, -128, -14, 0, -44, -128}},
      {"Div", {25, 0, 100, 0, 0, 1}, {12, -128, -3, 0, -33, -128}},  // x / 0 = 0; -128 / -1 wraps
  };
  const Tensor au = Tensor::FromVector(std::vector<uint8_t>{250, 3, 200, 7, 0, 255}, {2, 3});
  const Tensor bu = Tensor::FromVector(std::vector<uint8_t>{10, 5, 2, 0, 1, 255}, {2, 3});
  const Tensor ai = Tensor::FromVector(std::vector<int8_t>{120, -128, -7, 7, 100, -128}, {2, 3});
  const Tensor bi = Tensor::FromVector(std::vector<int8_t>{10, -1, 2, 0, -3, 1}, {2, 3});
  for (const Case& c : cases) {
    INFO(c.op);
    Tensor yu = Tensor::Zeros(DType::kU8, {2, 3});
    test::RunKernel(c.op, {&au, &bu}, {&yu});
    CHECK(Values<uint8_t>(yu) == c.u8);
    Tensor yi = Tensor::Zeros(DType::kI8, {2, 3});
    test::RunKernel(c.op, {&ai, &bi}, {&yi});
    CHECK(Values<int8_t>(yi) == c.i8);
    Tensor wrong = Tensor::Zeros(DType::kI8, {2, 3});  // the output is the inputs' dtype
    CHECK_THROWS_AS(test::RunKernel(c.op, {&au, &bu}, {&wrong}), Error);
  }
  // Broadcast: a row of u8 against a column.
  const Tensor row = Tensor::FromVector(std::vector<uint8_t>{1, 2, 255}, {3});
  const Tensor col = Tensor::FromVector(std::vector<uint8_t>{1, 200}, {2, 1});
  Tensor y = Tensor::Zeros(DType::kU8, {2, 3});
  test::RunKernel("Add", {&row, &col}, {&y});
  CHECK(Values<uint8_t>(y) == std::vector<uint8_t>{2, 3, 0, 201, 202, 199});
}

TEST_CASE("8-bit arithmetic over long runs and broadcasts matches the scalar contract on every target",
          "[kernels][elementwise]") {
  const Shape ys = {37, 41};
  const std::vector<uint8_t> a = RandomInts<uint8_t>(37 * 41, 5), b = RandomInts<uint8_t>(41, 6);
  test::ForEachTarget([&](const char*) {
    for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv, BinaryOp::kMod, BinaryOp::kFMod}) {
      std::vector<uint8_t> y = a;  // in place on the full-shape input
      BinaryU8(op, MakeBinaryLayout(ys, {41}, ys), y.data(), b.data(), y.data());
      CHECK(y == Broadcasted(a, ys, b, {41}, ys, [op](uint8_t x, uint8_t z) { return RefInt(op, x, z); }));
    }
  });
}

TEST_CASE("Pow with an integer base or exponent: exact integer powers, mixed types (hand-computed)",
          "[kernels][elementwise][kernel:Pow]") {
  const Shape s9 = {9};
  {  // i32 ** i32: squaring, wrapping like Mul; a negative exponent truncates the real result
    const Tensor x = Tensor::FromVector(std::vector<int32_t>{2, -3, 5, 1, -1, -1, 0, 2, 3}, s9);
    const Tensor e = Tensor::FromVector(std::vector<int32_t>{10, 3, 0, -5, -3, -4, -1, -1, 21}, s9);
    Tensor y = Tensor::Zeros(DType::kI32, s9);
    test::RunKernel("Pow", {&x, &e}, {&y});
    CHECK(Values<int32_t>(y) == std::vector<int32_t>{1024, -27, 1, 1, -1, 1, 0, 0, 1870418611});  // 3^21 mod 2^32
  }
  {  // i64 ** i64, and i64 ** i32, with a broadcast exponent
    const Tensor x = Tensor::FromVector(std::vector<int64_t>{2, 3, -2}, {3});
    const Tensor e64 = Tensor::FromVector(std::vector<int64_t>{62, 40, 63}, {3});
    Tensor y = Tensor::Zeros(DType::kI64, {3});
    test::RunKernel("Pow", {&x, &e64}, {&y});
    CHECK(Values<int64_t>(y) ==
          std::vector<int64_t>{int64_t{1} << 62, -6289078614652622815, std::numeric_limits<int64_t>::min()});
    const Tensor e32 = Tensor::FromVector(std::vector<int32_t>{3, 0}, {2, 1});
    Tensor y2 = Tensor::Zeros(DType::kI64, {2, 3});
    test::RunKernel("Pow", {&x, &e32}, {&y2});
    CHECK(Values<int64_t>(y2) == std::vector<int64_t>{8, 27, -8, 1, 1, 1});
  }
  {  // f32 ** i64 and f32 ** i32: pow(x, (float)e)
    const Tensor x = Tensor::FromVector(std::vector<float>{2.0f, -2.0f, 0.5f, 0.0f, -0.0f}, {5});
    const Tensor e = Tensor::FromVector(std::vector<int64_t>{3, 3, -2, -1, -3}, {5});
    Tensor y = Tensor::Zeros(DType::kF32, {5});
    test::RunKernel("Pow", {&x, &e}, {&y});
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(y.ToFloatVector() == std::vector<float>{8.0f, -8.0f, 4.0f, inf, -inf});
    const Tensor e32 = Tensor::FromVector(std::vector<int32_t>{2}, {});
    test::RunKernel("Pow", {&x, &e32}, {&y});
    CHECK(y.ToFloatVector() == std::vector<float>{4.0f, 4.0f, 0.25f, 0.0f, 0.0f});
  }
  {  // i32 ** f32 and i64 ** f32: in double, truncated toward zero; NaN gives 0, out of range saturates
    const Tensor x = Tensor::FromVector(std::vector<int32_t>{4, 2, 10, -8, 2, -2, -2}, {7});
    const Tensor e = Tensor::FromVector(std::vector<float>{0.5f, -1.0f, 2.5f, 0.5f, 40.0f, 31.0f, 33.0f}, {7});
    Tensor y = Tensor::Zeros(DType::kI32, {7});
    test::RunKernel("Pow", {&x, &e}, {&y});
    const int32_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
    CHECK(Values<int32_t>(y) == std::vector<int32_t>{2, 0, 316, 0, hi, lo, lo});
    const Tensor x64 = Tensor::FromVector(std::vector<int64_t>{2, 2, 3}, {3});
    const Tensor e64 = Tensor::FromVector(std::vector<float>{62.0f, 70.0f, 4.0f}, {3});
    Tensor y64 = Tensor::Zeros(DType::kI64, {3});
    test::RunKernel("Pow", {&x64, &e64}, {&y64});
    CHECK(Values<int64_t>(y64) == std::vector<int64_t>{int64_t{1} << 62, std::numeric_limits<int64_t>::max(), 81});
  }
  {  // the output is the base's dtype
    const Tensor x = Tensor::FromVector(std::vector<int32_t>{2}, {1});
    const Tensor e = Tensor::FromVector(std::vector<float>{2.0f}, {1});
    Tensor wrong = Tensor::Zeros(DType::kF32, {1});
    CHECK_THROWS_AS(test::RunKernel("Pow", {&x, &e}, {&wrong}), Error);
  }
}

TEST_CASE("PowMixed over long runs and broadcasts does not depend on the layout's chunks",
          "[kernels][elementwise]") {
  // 3 x 20000 base against a [20000] exponent row: two chunks per row, the exponent contiguous.
  const Shape xs = {3, 20000}, es = {20000};
  std::vector<int64_t> x(60000), e(20000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int64_t>(i % 7) - 3;
  for (std::size_t i = 0; i < e.size(); ++i) e[i] = static_cast<int64_t>(i % 5);
  std::vector<int64_t> y(x.size());
  PowMixed<int64_t, int64_t>(MakeBinaryLayout(xs, es, xs), x.data(), e.data(), y.data());
  const auto expected = Broadcasted(x, xs, e, es, xs, [](int64_t b, int64_t k) {
    int64_t r = 1;
    for (int64_t i = 0; i < k; ++i) r *= b;
    return r;
  });
  CHECK(y == expected);
}


template <class T>
std::vector<T> RunMod(const std::vector<T>& a, const Shape& as, const std::vector<T>& b, const Shape& bs,
                      const Shape& ys, int64_t fmod) {
  const Tensor ta = Tensor::FromVector(a, as), tb = Tensor::FromVector(b, bs);
  Tensor y = Tensor::Zeros(DTypeOf<T>(), ys);
  test::RunKernel("Mod", {&ta, &tb}, {&y}, {{"fmod", fmod}});
  return std::vector<T>(y.data<T>(), y.data<T>() + y.size());
}

TEST_CASE("Mod: the divisor's sign for fmod=0, the dividend's for fmod=1, defined for 0 and -1 (hand-computed)",
          "[kernels][elementwise][kernel:Mod]") {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  const std::vector<int32_t> a = {7, -7, 7, -7, 5, kMin, 9, 0}, b = {3, 3, -3, -3, 0, -1, 9, 4};
  CHECK(RunMod(a, {8}, b, {8}, {8}, 0) == std::vector<int32_t>{1, 2, -2, -1, 0, 0, 0, 0});
  CHECK(RunMod(a, {8}, b, {8}, {8}, 1) == std::vector<int32_t>{1, -1, 1, -1, 0, 0, 0, 0});
  // i64, b broadcast along rows; 2^40 = 4^20 is 1 mod 3.
  const std::vector<int64_t> a64 = {10, -10, 7, int64_t{1} << 40, -5, 0}, b64 = {3, -4, 5};
  CHECK(RunMod(a64, {2, 3}, b64, {3}, {2, 3}, 0) == std::vector<int64_t>{1, -2, 2, 1, -1, 0});
  CHECK(RunMod(a64, {2, 3}, b64, {3}, {2, 3}, 1) == std::vector<int64_t>{1, -2, 2, 1, -1, 0});
  const std::vector<int64_t> neg = {-10, 10}, by = {3};
  CHECK(RunMod(neg, {2}, by, {1}, {2}, 0) == std::vector<int64_t>{2, 1});
  CHECK(RunMod(neg, {2}, by, {1}, {2}, 1) == std::vector<int64_t>{-1, 1});
  // 8-bit: -128 mod -1 and 100 mod -3 (C: 1, so Python's: 1 - 3 = -2).
  const std::vector<int8_t> a8 = {-128, -7, 100}, b8 = {-1, 3, -3};
  CHECK(RunMod(a8, {3}, b8, {3}, {3}, 0) == std::vector<int8_t>{0, 2, -2});
  CHECK(RunMod(a8, {3}, b8, {3}, {3}, 1) == std::vector<int8_t>{0, -1, 1});
  const std::vector<uint8_t> u8 = {250, 7, 7}, v8 = {7, 0, 255};
  CHECK(RunMod(u8, {3}, v8, {3}, {3}, 0) == std::vector<uint8_t>{5, 0, 7});
  CHECK(RunMod(u8, {3}, v8, {3}, {3}, 1) == std::vector<uint8_t>{5, 0, 7});
}

TEST_CASE("Mod on f32 (fmod=1) is C's fmod: exact, with its NaN and infinity cases (hand-computed)",
          "[kernels][elementwise][kernel:Mod]") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> a = {5.5f, -5.5f, 5.5f, -4.0f, 1.0f, inf, 3.0f, 0.1f, 1e30f};
  const std::vector<float> b = {2.0f, 2.0f, -2.0f, 2.0f, 0.0f, 2.0f, inf, nan, 1000.0f};
  const std::vector<float> y = RunMod(a, {9}, b, {9}, {9}, 1);
  CHECK(y[0] == 1.5f);
  CHECK(y[1] == -1.5f);
  CHECK(y[2] == 1.5f);
  CHECK(y[3] == 0.0f);
  CHECK(std::signbit(y[3]));  // the dividend's sign, zero included
  CHECK(std::isnan(y[4]));
  CHECK(std::isnan(y[5]));
  CHECK(y[6] == 3.0f);
  CHECK(std::isnan(y[7]));
  // fmod is exact where a - trunc(a/b)·b in floats is not: 1e30f = 1000000015047466219876688855040.
  CHECK(y[8] == 40.0f);
  // A scalar divisor broadcast over a long run (vector-length tails included) gives the same.
  const std::vector<float> many = test::RandomFloats(1000, 7, -50.0f, 50.0f);
  const std::vector<float> z = RunMod(many, {10, 100}, {3.25f}, {}, {10, 100}, 1);
  for (std::size_t i = 0; i < many.size(); ++i) REQUIRE(z[i] == std::fmod(many[i], 3.25f));
}

}  // namespace
}  // namespace axon::kernels
