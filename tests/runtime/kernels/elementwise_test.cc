#include "runtime/kernels/elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
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

// Naive broadcasting in double, rounded once to float. For + - * / on floats this is exactly
// the correctly rounded float result (double has more than 2*24+2 bits), so the kernel must
// match it bit for bit.
std::vector<float> Reference(BinaryOp op, const std::vector<float>& a, const Shape& as, const std::vector<float>& b,
                             const Shape& bs, const Shape& ys) {
  const std::size_t rank = ys.size();
  std::vector<float> y(ElementCount(ys));
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
    const double x0 = a[offset(as)], x1 = b[offset(bs)];
    double r = 0;
    switch (op) {
      case BinaryOp::kAdd: r = x0 + x1; break;
      case BinaryOp::kSub: r = x0 - x1; break;
      case BinaryOp::kMul: r = x0 * x1; break;
      case BinaryOp::kDiv: r = x0 / x1; break;
    }
    y[flat] = static_cast<float>(r);
    for (std::size_t k = rank; k-- > 0;) {
      if (++index[k] < ys[k]) break;
      index[k] = 0;
    }
  }
  return y;
}

bool SameBits(float x, float y) { return std::memcmp(&x, &y, sizeof x) == 0 || (std::isnan(x) && std::isnan(y)); }

const BinaryOp kOps[] = {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv};
const char* Name(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "Add";
    case BinaryOp::kSub: return "Sub";
    case BinaryOp::kMul: return "Mul";
    case BinaryOp::kDiv: return "Div";
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
  for (BinaryOp op : kOps) {
    INFO(Name(op));
    Tensor y = Tensor::Zeros(DType::kF32, ys);
    test::RunKernel(Name(op), {&a, &b}, {&y});
    CHECK(y.ToFloatVector() == Reference(op, av, as, bv, bs, ys));
  }
}

}  // namespace
}  // namespace axon::kernels
