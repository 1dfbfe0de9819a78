#include "runtime/kernels/gemm.h"
#include "runtime/kernels/matmul.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
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
const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> Random(int64_t n, uint32_t seed) { return test::RandomFloats(n, seed, -1.0f, 1.0f); }

// A logical rows x cols matrix stored row-major with leading dimension ld, or transposed
// (stored as cols x rows). Padding is NaN, so a kernel that reads past the logical width shows.
struct Stored {
  std::vector<float> data;
  int64_t ld;
};
Stored Store(const std::vector<float>& logical, int64_t rows, int64_t cols, bool transposed, int64_t pad) {
  const int64_t srows = transposed ? cols : rows, scols = transposed ? rows : cols;
  Stored s{std::vector<float>(std::max<int64_t>(1, srows * (scols + pad)), kNaN), scols + pad};
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      s.data[transposed ? c * s.ld + r : r * s.ld + c] = logical[r * cols + c];
  return s;
}

struct Problem {
  int64_t M, N, K;
};
const Problem kProblems[] = {
    {0, 5, 3},   {5, 0, 3},     {5, 3, 0},    {1, 1, 1},     {7, 7, 7},    {33, 33, 33}, {1, 1000, 7},
    {1000, 1, 7}, {7, 33, 1000}, {1000, 33, 7}, {33, 1000, 1}, {13, 17, 19}, {5, 47, 3},   {64, 300, 200},
    {17, 200, 13},  // packed A: full 8-row panels with K not a multiple of 8
    {9, 100, 600},  // full tiles over several K blocks (plain stores, then sums with C)
    {40, 1100, 300},  // B in place, rows over a page apart: micro-panels copied (a partial last one)
};
struct Scalars {
  float alpha, beta;
};
const Scalars kScalars[] = {{1, 0}, {1, 1}, {-0.5f, 2}, {2, 0.25f}};

// |error| <= 2 (K + 2) u sum_k |alpha a b| + |beta c| bounds any summation order, with or
// without FMA (u = 2^-24); a dropped or doubled term is far larger for these random inputs.
struct Reference {
  std::vector<double> value, bound;
};
Reference Compute(const Problem& p, const std::vector<float>& a, const std::vector<float>& b,
                  const std::vector<float>& c, int64_t ldc, Scalars s) {
  Reference r{std::vector<double>(p.M * p.N), std::vector<double>(p.M * p.N)};
  const double u = std::ldexp(1.0, -24);
  for (int64_t i = 0; i < p.M; ++i) {
    for (int64_t j = 0; j < p.N; ++j) {
      double sum = 0, abs = 0;
      for (int64_t k = 0; k < p.K; ++k) {
        sum += double(a[i * p.K + k]) * b[k * p.N + j];
        abs += std::fabs(double(a[i * p.K + k]) * b[k * p.N + j]);
      }
      const double cterm = s.beta == 0 ? 0.0 : double(s.beta) * c[i * ldc + j];
      r.value[i * p.N + j] = s.alpha * sum + cterm;
      r.bound[i * p.N + j] = 2 * (p.K + 2) * u * (std::fabs(s.alpha) * abs + std::fabs(cterm)) + 1e-30;
    }
  }
  return r;
}

TEST_CASE("Sgemm matches a double reference for every transpose, stride and scalar on every target",
          "[kernels][gemm]") {
  uint32_t seed = 100;
  for (const Problem& p : kProblems) {
    const std::vector<float> a = Random(p.M * p.K, ++seed), b = Random(p.K * p.N, ++seed);
    const int64_t ldc = p.N + 3;
    std::vector<float> c0(std::max<int64_t>(1, p.M * ldc), 12345.0f);  // padding: must stay untouched
    const std::vector<float> cvals = Random(p.M * p.N, ++seed);
    for (int64_t i = 0; i < p.M; ++i)
      for (int64_t j = 0; j < p.N; ++j) c0[i * ldc + j] = cvals[i * p.N + j];
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        const Stored sa = Store(a, p.M, p.K, ta, 5), sb = Store(b, p.K, p.N, tb, 2);
        for (const Scalars& s : kScalars) {
          const Reference ref = Compute(p, a, b, c0, ldc, s);
          test::ForEachTarget([&](const char*) {
            INFO("M=" << p.M << " N=" << p.N << " K=" << p.K << " transA=" << ta << " transB=" << tb
                      << " alpha=" << s.alpha << " beta=" << s.beta);
            std::vector<float> c = c0;
            if (s.beta == 0) {  // beta == 0 must not read C: NaN there must not propagate
              for (int64_t i = 0; i < p.M; ++i)
                for (int64_t j = 0; j < p.N; ++j) c[i * ldc + j] = kNaN;
            }
            Sgemm(ta, tb, p.M, p.N, p.K, s.alpha, sa.data.data(), sa.ld, sb.data.data(), sb.ld, s.beta, c.data(), ldc);
            int64_t bad = 0, first = -1, pad_touched = 0;
            for (int64_t i = 0; i < p.M; ++i) {
              for (int64_t j = 0; j < ldc; ++j) {
                if (j >= p.N) {
                  pad_touched += c[i * ldc + j] != 12345.0f;
                  continue;
                }
                const double err = std::fabs(c[i * ldc + j] - ref.value[i * p.N + j]);
                if (!(err <= ref.bound[i * p.N + j]) && bad++ == 0) first = i * p.N + j;
              }
            }
            INFO("first bad element (flat i*N+j) " << first);
            CHECK(bad == 0);
            CHECK(pad_touched == 0);
          });
        }
      }
    }
  }
}

TEST_CASE("Sgemm with alpha == 0 or K == 0 reads neither A nor B", "[kernels][gemm]") {
  const std::vector<float> nan_a(6 * 4, kNaN), nan_b(4 * 5, kNaN);
  test::ForEachTarget([&](const char*) {
    std::vector<float> c(6 * 5, 2.0f);
    Sgemm(false, false, 6, 5, 4, 0.0f, nan_a.data(), 4, nan_b.data(), 5, 0.5f, c.data(), 5);
    for (float v : c) CHECK(v == 1.0f);
    Sgemm(true, true, 6, 5, 0, 1.0f, nan_a.data(), 6, nan_b.data(), 1, 3.0f, c.data(), 5);
    for (float v : c) CHECK(v == 3.0f);
    std::vector<float> nan_c(6 * 5, kNaN);
    Sgemm(false, false, 6, 5, 0, 1.0f, nan_a.data(), 1, nan_b.data(), 5, 0.0f, nan_c.data(), 5);
    for (float v : nan_c) CHECK(v == 0.0f);
  });
}

// Operands that end where an inaccessible page begins: no target may read past an operand's
// last element. SCALAR's micro-kernels once loaded B's row k + 1 during row k's step in the K
// tail (K not a multiple of 4, a 2-column tile), one row past B's end: a convolution's im2col
// scratch read that way tripped valgrind and once faulted.
TEST_CASE("Sgemm reads no element past the end of A or B on any target", "[kernels][gemm]") {
  // N ≥ 16 packs A (the convolution's case: 4 × 210 × 27); N mod 4 = 2 leaves SCALAR a 2-column tile.
  const Problem problems[] = {{4, 210, 27}, {4, 18, 5}, {6, 22, 7},   {4, 6, 27}, {4, 210, 28},
                              {4, 18, 8},   {5, 10, 7}, {8, 3, 5},    {13, 17, 19}, {33, 9, 6}};
  uint32_t seed = 700;
  for (const Problem& p : problems) {
    const std::vector<float> a = Random(p.M * p.K, ++seed), b = Random(p.K * p.N, ++seed);
    const Reference ref = Compute(p, a, b, std::vector<float>(p.M * p.N), p.N, {1, 0});
    test::FloatsAtPageEnd at_a(a.size()), at_b(b.size());
    at_a.assign(a), at_b.assign(b);
    test::ForEachTarget([&](const char*) {
      INFO("M=" << p.M << " N=" << p.N << " K=" << p.K);
      std::vector<float> c(p.M * p.N, kNaN);
      Sgemm(false, false, p.M, p.N, p.K, 1.0f, at_a.data(), p.K, at_b.data(), p.N, 0.0f, c.data(), p.N);
      int64_t bad = 0;
      for (std::size_t i = 0; i < c.size(); ++i) bad += !(std::fabs(c[i] - ref.value[i]) <= ref.bound[i]);
      CHECK(bad == 0);
    });
  }
}

TEST_CASE("Sgemm rejects negative sizes and short leading dimensions", "[kernels][gemm]") {
  std::vector<float> buf(64);
  float* p = buf.data();
  CHECK_THROWS_AS(Sgemm(false, false, -1, 2, 2, 1, p, 2, p, 2, 0, p, 2), Error);
  CHECK_THROWS_AS(Sgemm(false, false, 2, 3, 4, 1, p, 3, p, 3, 0, p, 3), Error);  // lda < K
  CHECK_THROWS_AS(Sgemm(true, false, 2, 3, 4, 1, p, 1, p, 3, 0, p, 3), Error);   // lda < M
  CHECK_THROWS_AS(Sgemm(false, true, 2, 3, 4, 1, p, 4, p, 3, 0, p, 3), Error);   // ldb < K
  CHECK_THROWS_AS(Sgemm(false, false, 2, 3, 4, 1, p, 4, p, 3, 0, p, 2), Error);  // ldc < N
}

TEST_CASE("Sgemm results do not depend on the thread count", "[kernels][gemm]") {
  // B packed per call; B in place with copied micro-panels (rows a page or more apart) in one
  // block of rows whose columns threads split, and in two blocks of rows; A packed by wide
  // column blocks and read in place by narrow ones.
  const Problem problems[] = {{300, 257, 129}, {40, 1100, 300}, {300, 1030, 70}};
  for (const Problem& p : problems) {
    const std::vector<float> a = Random(p.M * p.K, 1), b = Random(p.K * p.N, 2), c0 = Random(p.M * p.N, 3);
    for (bool tb : {false, true}) {
      INFO("M=" << p.M << " N=" << p.N << " K=" << p.K << " transB=" << tb);
      tbb::task_arena one(1), two(2), three(3);
      const auto run = [&](std::vector<float>& c) {
        Sgemm(false, tb, p.M, p.N, p.K, 0.7f, a.data(), p.K, b.data(), tb ? p.K : p.N, 0.3f, c.data(), p.N);
      };
      test::ForEachTarget([&](const char*) {
        std::vector<float> c1 = c0, c2 = c0, c3 = c0;
        one.execute([&] { run(c1); });
        two.execute([&] { run(c2); });
        three.execute([&] { run(c3); });
        CHECK(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)) == 0);
        CHECK(std::memcmp(c1.data(), c3.data(), c1.size() * sizeof(float)) == 0);
      });
    }
  }
}

// numpy matmul in double, straight from the definition, with the same error bound as Compute.
Reference RefMatMul(const std::vector<float>& a, Shape as, const std::vector<float>& b, Shape bs) {
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  const std::size_t rank = std::max(as.size(), bs.size()) - 2;
  Shape batch(rank);
  auto dim = [&](const Shape& s, std::size_t k) {  // batch dim k of s, right-aligned, 1 if absent
    const std::size_t nb = s.size() - 2;
    return k < rank - nb ? int64_t{1} : s[k - (rank - nb)];
  };
  for (std::size_t k = 0; k < rank; ++k) batch[k] = dim(as, k) == 1 ? dim(bs, k) : dim(as, k);
  Reference y{std::vector<double>(ElementCount(batch) * M * N), std::vector<double>(ElementCount(batch) * M * N)};
  for (int64_t p = 0; p < ElementCount(batch); ++p) {
    int64_t a_off = 0, b_off = 0;
    for (std::size_t k = 0; k < rank; ++k) {
      int64_t stride = 1;
      for (std::size_t q = k + 1; q < rank; ++q) stride *= batch[q];
      const int64_t index = (p / stride) % batch[k];
      a_off = a_off * dim(as, k) + (dim(as, k) == 1 ? 0 : index);
      b_off = b_off * dim(bs, k) + (dim(bs, k) == 1 ? 0 : index);
    }
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0, abs = 0;
        for (int64_t k = 0; k < K; ++k) {
          const double t = double(a[a_off * M * K + i * K + k]) * b[b_off * K * N + k * N + j];
          s += t;
          abs += std::fabs(t);
        }
        y.value[p * M * N + i * N + j] = s;
        y.bound[p * M * N + i * N + j] = 2 * (K + 2) * std::ldexp(1.0, -24) * abs + 1e-30;
      }
  }
  return y;
}

struct MatMulCase {
  Shape a, b, y;
};
const MatMulCase kMatMuls[] = {
    {{3, 4}, {4, 5}, {3, 5}},
    {{4}, {4, 5}, {5}},
    {{3, 4}, {4}, {3}},
    {{4}, {4}, {}},
    {{2, 3, 4}, {4, 5}, {2, 3, 5}},         // shared B: one GEMM over all rows
    {{2, 3, 4}, {2, 4, 5}, {2, 3, 5}},
    {{2, 1, 3, 4}, {5, 4, 2}, {2, 5, 3, 2}},  // batch broadcast both ways
    {{1, 3, 4}, {2, 4, 5}, {2, 3, 5}},
    {{3, 4}, {2, 4, 5}, {2, 3, 5}},         // A broadcast over B's batch
    {{2, 3, 4}, {4}, {2, 3}},
    {{7}, {2, 7, 3}, {2, 3}},
    {{3, 0}, {0, 4}, {3, 4}},               // K == 0: zeros
    {{0, 3, 4}, {4, 5}, {0, 3, 5}},
    {{33, 1000}, {1000, 7}, {33, 7}},
};

TEST_CASE("MatMul follows numpy semantics on every target", "[kernels][gemm][kernel:MatMul]") {
  uint32_t seed = 200;
  for (const MatMulCase& c : kMatMuls) {
    const std::vector<float> a = Random(ElementCount(c.a), ++seed), b = Random(ElementCount(c.b), ++seed);
    const Reference expected = RefMatMul(a, c.a, b, c.b);
    REQUIRE(static_cast<int64_t>(expected.value.size()) == ElementCount(c.y));
    test::ForEachTarget([&](const char*) {
      INFO(ShapeToString(c.a) << " x " << ShapeToString(c.b));
      std::vector<float> y(expected.value.size(), kNaN);
      MatMulF32(MakeMatMulLayout(c.a, c.b), a.data(), b.data(), y.data());
      for (std::size_t i = 0; i < y.size(); ++i) CHECK(std::fabs(y[i] - expected.value[i]) <= expected.bound[i]);
    });
    // And through the op's adapter (which takes the output shape from MatMul's schema), with B
    // also as a constant packed ahead of time.
    for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {
      const Tensor at = Tensor::FromVector(a, c.a), bt = Tensor::FromVector(b, c.b);
      Tensor yt = Tensor::Zeros(DType::kF32, c.y);
      test::RunKernel("MatMul", {&at, &bt}, {&yt}, {}, constants);
      const std::vector<float> y = yt.ToFloatVector();
      for (std::size_t i = 0; i < y.size(); ++i) CHECK(std::fabs(y[i] - expected.value[i]) <= expected.bound[i]);
    }
  }
}

TEST_CASE("MatMul refuses operands that do not fit before any kernel runs", "[kernels][gemm]") {
  const Tensor a34 = Tensor::Zeros(DType::kF32, {3, 4}), b56 = Tensor::Zeros(DType::kF32, {5, 6});
  const Tensor scalar = Tensor::Zeros(DType::kF32, {}), b4 = Tensor::Zeros(DType::kF32, {4});
  const Tensor a234 = Tensor::Zeros(DType::kF32, {2, 3, 4}), b345 = Tensor::Zeros(DType::kF32, {3, 4, 5});
  Tensor y = Tensor::Zeros(DType::kF32, {3, 6});
  CHECK_THROWS_AS(test::RunKernel("MatMul", {&a34, &b56}, {&y}), Error);
  CHECK_THROWS_AS(test::RunKernel("MatMul", {&scalar, &b4}, {&y}), Error);
  CHECK_THROWS_AS(test::RunKernel("MatMul", {&a234, &b345}, {&y}), Error);
  // An output buffer of another shape than the op makes is refused too.
  const Tensor b45 = Tensor::Zeros(DType::kF32, {4, 5});
  Tensor wrong = Tensor::Zeros(DType::kF32, {5, 3});
  CHECK_THROWS_AS(test::RunKernel("MatMul", {&a34, &b45}, {&wrong}), Error);
}

TEST_CASE("Gemm kernel: transposes, alpha, beta and every broadcastable C", "[kernels][gemm][kernel:Gemm]") {
  const int64_t M = 3, N = 5, K = 4;
  const std::vector<float> a = Random(M * K, 300), b = Random(K * N, 301);
  const std::vector<float> full_c = Random(M * N, 302);
  struct Bias {
    Shape shape;
    std::vector<float> values;
  };
  // Each C as its shape and the [M, N] matrix it broadcasts to.
  auto expand = [&](const Shape& s, const std::vector<float>& v) {
    std::vector<float> e(M * N);
    const int64_t cm = s.size() == 2 ? s[0] : 1, cn = s.empty() ? 1 : s.back();
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) e[i * N + j] = v[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
    return e;
  };
  const Bias biases[] = {{{}, {0.5f}},        {{1}, {0.25f}},          {{N}, Random(N, 303)}, {{1, N}, Random(N, 304)},
                         {{M, 1}, Random(M, 305)}, {{M, N}, full_c}, {{1, 1}, {-2.0f}}};
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      const Tensor at = ta ? Tensor::FromVector(Store(a, M, K, true, 0).data, {K, M}) : Tensor::FromVector(a, {M, K});
      const Tensor bt = tb ? Tensor::FromVector(Store(b, K, N, true, 0).data, {N, K}) : Tensor::FromVector(b, {K, N});
      std::map<std::string, graph::Attribute> attrs = {{"transA", graph::Attribute(int64_t{ta})},
                                                       {"transB", graph::Attribute(int64_t{tb})},
                                                       {"alpha", graph::Attribute(0.5f)},
                                                       {"beta", graph::Attribute(-1.5f)}};
      for (const Bias& bias : biases) {
       for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {  // B packed ahead or not
        INFO("transA=" << ta << " transB=" << tb << " C " << ShapeToString(bias.shape)
                       << " prepared=" << (constants == test::Constants::kAll));
        const Tensor ct = Tensor::FromVector(bias.values, bias.shape);
        Tensor y = Tensor::Zeros(DType::kF32, {M, N});
        test::RunKernel("Gemm", {&at, &bt, &ct}, {&y}, attrs, constants);
        const std::vector<float> c = expand(bias.shape, bias.values);
        const Reference ref = Compute({M, N, K}, a, b, c, N, {0.5f, -1.5f});
        const std::vector<float> got = y.ToFloatVector();
        for (int64_t i = 0; i < M * N; ++i) CHECK(std::fabs(got[i] - ref.value[i]) <= ref.bound[i]);
       }
      }
      // No C: Y = alpha * op(A) * op(B), whatever beta says.
      Tensor y = Tensor::Zeros(DType::kF32, {M, N});
      test::RunKernel("Gemm", {&at, &bt}, {&y}, attrs);
      const Reference ref = Compute({M, N, K}, a, b, full_c, N, {0.5f, 0.0f});
      const std::vector<float> got = y.ToFloatVector();
      for (int64_t i = 0; i < M * N; ++i) CHECK(std::fabs(got[i] - ref.value[i]) <= ref.bound[i]);
    }
  }
  // Defaults: alpha = beta = 1, no transposes.
  const Tensor at = Tensor::FromVector(a, {M, K}), bt = Tensor::FromVector(b, {K, N});
  const Tensor ct = Tensor::FromVector(full_c, {M, N});
  Tensor y = Tensor::Zeros(DType::kF32, {M, N});
  test::RunKernel("Gemm", {&at, &bt, &ct}, {&y}, {});
  const Reference ref = Compute({M, N, K}, a, b, full_c, N, {1.0f, 1.0f});
  const std::vector<float> got = y.ToFloatVector();
  for (int64_t i = 0; i < M * N; ++i) CHECK(std::fabs(got[i] - ref.value[i]) <= ref.bound[i]);
}

TEST_CASE("Gemm kernel rejects a C that does not broadcast to [M, N]", "[kernels][gemm]") {
  const Tensor a = Tensor::FromVector(Random(12, 1), {3, 4}), b = Tensor::FromVector(Random(20, 2), {4, 5});
  for (const Shape& bad : {Shape{3}, Shape{2, 5}, Shape{3, 2}, Shape{1, 3, 5}}) {
    INFO("C " << ShapeToString(bad));
    const Tensor c = Tensor::Zeros(DType::kF32, bad);
    Tensor y = Tensor::Zeros(DType::kF32, {3, 5});
    CHECK_THROWS_AS(test::RunKernel("Gemm", {&a, &b, &c}, {&y}, {}), Error);
  }
  const Tensor c = Tensor::Zeros(DType::kF32, {5});
  Tensor wrong_y = Tensor::Zeros(DType::kF32, {5, 3});
  CHECK_THROWS_AS(test::RunKernel("Gemm", {&a, &b, &c}, {&wrong_y}, {}), Error);
}

}  // namespace
}  // namespace axon::kernels

namespace axon::kernels {
namespace {

// `axon_tests "[.report]" -s` prints the measured error, relative to sum_k |a b| (not run by
// default).
TEST_CASE("gemm accuracy report", "[.report]") {
  const Problem p{128, 256, 1000};
  const std::vector<float> a = Random(p.M * p.K, 1), b = Random(p.K * p.N, 2), c(p.M * p.N, 0.0f);
  const Reference ref = Compute(p, a, b, c, p.N, {1.0f, 0.0f});
  test::ForEachTarget([&](const char* target) {
    std::vector<float> y(p.M * p.N);
    Sgemm(false, false, p.M, p.N, p.K, 1.0f, a.data(), p.K, b.data(), p.N, 0.0f, y.data(), p.N);
    double worst = 0;  // |error| / sum|a b|, in units of u = 2^-24
    for (int64_t i = 0; i < p.M * p.N; ++i) {
      const double abs_sum = (ref.bound[i] - 1e-30) / (2 * (p.K + 2) * std::ldexp(1.0, -24));
      worst = std::max(worst, std::fabs(y[i] - ref.value[i]) / abs_sum / std::ldexp(1.0, -24));
    }
    std::printf("Sgemm %lldx%lldx%lld %-7s max |err| / sum|ab| = %.2f u (bound used by tests: %lld u)\n",
                static_cast<long long>(p.M), static_cast<long long>(p.N), static_cast<long long>(p.K), target, worst,
                static_cast<long long>(2 * (p.K + 2)));
  });
}

}  // namespace
}  // namespace axon::kernels
