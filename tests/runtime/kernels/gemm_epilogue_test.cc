// The BLIS-style GEMM's fused epilogue, pre-packed B, and the paths the driver picks by shape
// (GEMV, B in place, B packed per call, B packed ahead), each against a double-precision
// reference on every Highway target.
#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "runtime/kernels/gemm.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

std::vector<float> Random(int64_t n, uint32_t seed) { return test::RandomFloats(n, seed, -1.0f, 1.0f); }

double Act(Activation act, double x) {
  switch (act) {
    case Activation::kNone: return x;
    case Activation::kRelu: return x < 0 ? 0 : x;
    case Activation::kSigmoid: return 1 / (1 + std::exp(-x));
    case Activation::kTanh: return std::tanh(x);
    case Activation::kRelu6: return x < 0 ? 0 : x > 6 ? 6 : x;
  }
  return x;
}

struct Case {
  int64_t m, n, k;
  bool trans_a, trans_b;
};

// Every shape class the driver distinguishes: GEMV (both B layouts), narrow N, edge rows and
// columns, several K blocks, M large enough to pack B per call, and a transposed B computed as
// Cᵀ = B·op(A)ᵀ (M < N; with edge tiles on both sides, and with A transposed too).
const Case kCases[] = {
    {1, 37, 5, false, false},   {1, 300, 70, true, false},  {1, 45, 300, false, true},  {7, 33, 300, false, false},
    {13, 10, 17, true, false},  {64, 100, 200, false, true}, {3, 1, 9, false, false},   {530, 40, 270, false, false},
    {520, 19, 33, true, true},  {37, 90, 300, false, true},  {21, 70, 50, true, true},
};

struct Options {
  GemmBias bias = GemmBias::kNone;
  bool residual = false;
  Activation act = Activation::kNone;
  float alpha = 1.0f, beta = 0.0f;
};

// Runs Gemm on random data and checks every element against the reference within the bound
// 2(K+2)u·Σ|terms| (any summation order), widened by the activation's own 2e-7 relative error.
void CheckCase(const Case& c, const Options& o, bool prepack) {
  const int64_t lda = c.trans_a ? c.m + 3 : c.k + 2, ldb = c.trans_b ? c.k + 1 : c.n + 5, ldc = c.n + 4;
  const std::vector<float> a = Random((c.trans_a ? c.k : c.m) * lda, 1);
  const std::vector<float> b = Random((c.trans_b ? c.n : c.k) * ldb, 2);
  const std::vector<float> c0 = Random(c.m * ldc, 3);
  const std::vector<float> bias = Random(std::max(c.m, c.n), 4);
  const std::vector<float> residual = Random(c.m * (c.n + 1), 5);
  std::vector<float> out = c0;

  GemmArgs g;
  g.trans_a = c.trans_a, g.trans_b = c.trans_b, g.m = c.m, g.n = c.n, g.k = c.k, g.alpha = o.alpha, g.beta = o.beta;
  g.a = a.data(), g.lda = lda, g.b = b.data(), g.ldb = ldb, g.c = out.data(), g.ldc = ldc;
  g.epilogue.bias_kind = o.bias;
  g.epilogue.bias = bias.data();
  if (o.residual) g.epilogue.residual = residual.data(), g.epilogue.ldr = c.n + 1;
  g.epilogue.activation = o.act;
  std::shared_ptr<const PackedB> packed;
  if (prepack) {
    packed = PackedB::Pack(c.trans_b, c.k, c.n, b.data(), ldb);
    g.packed_b = packed.get();
  }
  Gemm(g);

  const double u = std::ldexp(1.0, -24);
  int64_t bad = 0;
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      if (j >= c.n) {  // padding past N is never written
        bad += std::memcmp(&out[i * ldc + j], &c0[i * ldc + j], sizeof(float)) != 0;
        continue;
      }
      double sum = 0, abs = 0;
      for (int64_t k = 0; k < c.k; ++k) {
        const double t = double(c.trans_a ? a[k * lda + i] : a[i * lda + k]) * (c.trans_b ? b[j * ldb + k] : b[k * ldb + j]);
        sum += t;
        abs += std::fabs(t);
      }
      double extra = o.beta == 0 ? 0.0 : double(o.beta) * c0[i * ldc + j];
      if (o.bias == GemmBias::kScalar) extra += bias[0];
      if (o.bias == GemmBias::kPerColumn) extra += bias[j];
      if (o.bias == GemmBias::kPerRow) extra += bias[i];
      if (o.residual) extra += residual[i * (c.n + 1) + j];
      const double pre = o.alpha * sum + extra;
      const double ref = Act(o.act, pre);
      const double bound = 2 * (c.k + 4) * u * (std::fabs(o.alpha) * abs + std::fabs(extra)) + 2e-7 * std::fabs(ref) + 1e-30;
      if (!(std::fabs(out[i * ldc + j] - ref) <= bound)) {
        if (bad == 0) UNSCOPED_INFO("first bad (" << i << "," << j << "): got " << out[i * ldc + j] << " want " << ref);
        ++bad;
      }
    }
  }
  INFO("M=" << c.m << " N=" << c.n << " K=" << c.k << " transA=" << c.trans_a << " transB=" << c.trans_b
            << " prepacked=" << prepack << " bias=" << int(o.bias) << " residual=" << o.residual
            << " act=" << int(o.act) << " alpha=" << o.alpha << " beta=" << o.beta);
  CHECK(bad == 0);
}

TEST_CASE("Gemm epilogue: bias of every kind, residual and activation, on every target", "[kernels][gemm]") {
  test::ForEachTarget([](const char*) {
    for (const Case& c : kCases) {
      for (GemmBias bias : {GemmBias::kNone, GemmBias::kScalar, GemmBias::kPerColumn, GemmBias::kPerRow})
        CheckCase(c, {bias, bias == GemmBias::kPerRow, Activation::kNone, 0.5f, bias == GemmBias::kScalar ? 1.5f : 0.0f}, false);
      for (Activation act : {Activation::kRelu, Activation::kSigmoid, Activation::kTanh, Activation::kRelu6})
        CheckCase(c, {GemmBias::kPerColumn, true, act, 1.0f, 0.0f}, false);
    }
  });
}

TEST_CASE("Pre-packed B gives the unpacked results, on every target", "[kernels][gemm]") {
  test::ForEachTarget([](const char*) {
    for (const Case& c : kCases) {
      CheckCase(c, {}, true);
      CheckCase(c, {GemmBias::kPerColumn, false, Activation::kRelu, -1.0f, 0.5f}, true);
    }
  });
}

TEST_CASE("B packed for one target still computes correctly on another", "[kernels][gemm]") {
  const Case c{9, 70, 40, false, true};
  const std::vector<float> a = Random(c.m * c.k, 7), b = Random(c.n * c.k, 8);
  std::shared_ptr<const PackedB> packed = PackedB::Pack(true, c.k, c.n, b.data(), c.k);  // best target
  test::ForEachTarget([&](const char*) {
    std::vector<float> with(c.m * c.n), without(c.m * c.n);
    GemmArgs g;
    g.trans_b = true, g.m = c.m, g.n = c.n, g.k = c.k, g.a = a.data(), g.lda = c.k, g.b = b.data(), g.ldb = c.k;
    g.c = without.data(), g.ldc = c.n;
    Gemm(g);
    g.packed_b = packed.get(), g.c = with.data();
    Gemm(g);
    for (std::size_t i = 0; i < with.size(); ++i) CHECK(std::fabs(with[i] - without[i]) <= 1e-5f);
  });
}

TEST_CASE("Gemm rejects a PackedB of another shape and a bias kind without values", "[kernels][gemm]") {
  const std::vector<float> x(64, 1.0f);
  std::vector<float> y(64);
  auto packed = PackedB::Pack(false, 4, 4, x.data(), 4);
  GemmArgs g;
  g.m = 2, g.n = 4, g.k = 3, g.a = x.data(), g.lda = 3, g.b = x.data(), g.ldb = 4, g.c = y.data(), g.ldc = 4;
  g.packed_b = packed.get();
  CHECK_THROWS_WITH(Gemm(g), Catch::Contains("packed as 4x4"));
  g.packed_b = nullptr;
  g.epilogue.bias_kind = GemmBias::kPerRow;
  CHECK_THROWS_WITH(Gemm(g), Catch::Contains("without bias values"));
}

TEST_CASE("Threaded GEMM paths are bit-identical for 1 and 2 threads, on every target", "[kernels][gemm]") {
  // Big enough that every path splits work: GEMV by columns, blocked by rows and columns.
  // 515 rows: B packed on one thread, read in place on two, with 3-row edge tiles and a
  // partial last panel, so the two paths must agree bit for bit; so must 300 rows of a B whose
  // rows are 2 KiB apart (packed from 256 rows a thread). 30 rows: one block that copies B's
  // micro-panels on one thread, blocks too short to copy them on two (16-register targets).
  // 64 rows, 10 columns: one panel, cut into row blocks on two threads, each reading B's only
  // (partial) vector of columns from its own zero-padded strip, after its packed A when transposed.
  const Case cases[] = {{64, 10, 512, false, false}, {64, 10, 512, true, false}, {1, 3000, 1000, false, false}, {1, 2000, 1000, false, true}, {600, 300, 300, false, false},
                        {96, 700, 300, false, false},   {200, 300, 400, true, true},   {515, 70, 300, false, false},
                        {45, 700, 300, false, true},    {30, 203, 1100, false, false},
                        {300, 512, 200, false, false}};
  test::ForEachTarget([&](const char*) {
    for (const Case& c : cases) {
      for (bool prepack : {false, true}) {
        const int64_t lda = c.trans_a ? c.m : c.k, ldb = c.trans_b ? c.k : c.n;
        const std::vector<float> a = Random(c.m * c.k, 11), b = Random(c.k * c.n, 12), bias = Random(c.n, 13);
        std::shared_ptr<const PackedB> packed = prepack ? PackedB::Pack(c.trans_b, c.k, c.n, b.data(), ldb) : nullptr;
        std::vector<float> out1(c.m * c.n), out2(c.m * c.n);
        auto run = [&](std::vector<float>& out) {
          GemmArgs g;
          g.trans_a = c.trans_a, g.trans_b = c.trans_b, g.m = c.m, g.n = c.n, g.k = c.k;
          g.a = a.data(), g.lda = lda, g.b = b.data(), g.ldb = ldb, g.packed_b = packed.get();
          g.c = out.data(), g.ldc = c.n;
          g.epilogue.bias_kind = GemmBias::kPerColumn, g.epilogue.bias = bias.data();
          g.epilogue.activation = Activation::kTanh;
          Gemm(g);
        };
        tbb::task_arena one(1), two(2);
        one.execute([&] { run(out1); });
        two.execute([&] { run(out2); });
        INFO("M=" << c.m << " N=" << c.n << " K=" << c.k << " prepacked=" << prepack);
        CHECK(std::memcmp(out1.data(), out2.data(), out1.size() * sizeof(float)) == 0);
      }
    }
  });
}

TEST_CASE("A batch through packed weights: each thread's share of the columns, the bits of one thread", "[kernels][gemm]") {
  // Few rows (one row block) and B packed ahead: the columns are split over the threads in whole
  // vectors, so a share may start or end inside a packed panel (3 threads over 203 columns; 512
  // columns over 2 threads on AVX-512). Each thread count must give the reference's values and
  // the bits of one thread: an MLP layer at batch 32, a narrow N with a partial vector, several
  // K blocks, edge row tiles, and rows too few for a full tile (K split over accumulators).
  const Case cases[] = {{32, 512, 784, false, true}, {20, 203, 300, false, false}, {9, 40, 700, false, true},
                        {5, 40, 1600, false, false}, {45, 700, 300, true, true}};
  test::ForEachTarget([&](const char*) {
    for (const Case& c : cases) {
      const int64_t lda = c.trans_a ? c.m : c.k, ldb = c.trans_b ? c.k : c.n;
      const std::vector<float> a = Random(c.m * c.k, 41), b = Random(c.k * c.n, 42), bias = Random(c.n, 43);
      std::shared_ptr<const PackedB> packed = PackedB::Pack(c.trans_b, c.k, c.n, b.data(), ldb);
      std::vector<float> one(c.m * c.n);
      for (int threads : {1, 2, 3, 4}) {
        tbb::task_arena arena(threads);
        arena.execute([&] {
          CheckCase(c, {GemmBias::kPerColumn, false, Activation::kRelu, 1.0f, 0.0f}, true);
          std::vector<float> out(c.m * c.n);
          GemmArgs g;
          g.trans_a = c.trans_a, g.trans_b = c.trans_b, g.m = c.m, g.n = c.n, g.k = c.k;
          g.a = a.data(), g.lda = lda, g.b = b.data(), g.ldb = ldb, g.packed_b = packed.get();
          g.c = (threads == 1 ? one : out).data(), g.ldc = c.n;
          g.epilogue.bias_kind = GemmBias::kPerColumn, g.epilogue.bias = bias.data();
          g.epilogue.activation = Activation::kRelu;
          Gemm(g);
          INFO("M=" << c.m << " N=" << c.n << " K=" << c.k << " threads=" << threads);
          if (threads > 1) CHECK(std::memcmp(one.data(), out.data(), out.size() * sizeof(float)) == 0);
        });
      }
    }
  });
}

TEST_CASE("A transposed B computed as Cᵀ = B·op(A)ᵀ has the bits of B packed ahead of time", "[kernels][gemm]") {
  // A trained weight (passed as is) and the same weight in the saved model (packed once) must give
  // the same outputs: edge tiles on both sides, several K blocks, bias and activation.
  const Case cases[] = {{37, 90, 300, false, true}, {21, 70, 50, true, true}, {64, 512, 784, false, true}};
  test::ForEachTarget([&](const char*) {
    for (const Case& c : cases) {
      const int64_t lda = c.trans_a ? c.m : c.k;
      const std::vector<float> a = Random(c.m * c.k, 31), b = Random(c.n * c.k, 32), bias = Random(c.n, 33);
      std::shared_ptr<const PackedB> packed = PackedB::Pack(true, c.k, c.n, b.data(), c.k);
      std::vector<float> swapped(c.m * c.n), direct(c.m * c.n);
      GemmArgs g;
      g.trans_a = c.trans_a, g.trans_b = true, g.m = c.m, g.n = c.n, g.k = c.k;
      g.a = a.data(), g.lda = lda, g.b = b.data(), g.ldb = c.k, g.ldc = c.n;
      g.epilogue.bias_kind = GemmBias::kPerColumn, g.epilogue.bias = bias.data();
      g.epilogue.activation = Activation::kRelu;
      g.c = swapped.data();
      Gemm(g);
      g.packed_b = packed.get(), g.c = direct.data();
      Gemm(g);
      INFO("M=" << c.m << " N=" << c.n << " K=" << c.k << " transA=" << c.trans_a);
      CHECK(std::memcmp(swapped.data(), direct.data(), swapped.size() * sizeof(float)) == 0);
    }
  });
}

TEST_CASE("A workspace of GemmWorkspaceBytes serves every path, at 1 and 2 threads", "[kernels][gemm]") {
  // As a session's plan runs a GEMM: scratch from the workspace only, never past its end (a
  // guard region after it must stay untouched), with the bits of a call without workspace.
  // 64 × 10 × 512 on two threads: each row block's own strip of B, after its packed A (transposed).
  const Case cases[] = {{45, 700, 300, false, true}, {21, 70, 50, true, true}, {600, 300, 300, false, false},
                        {96, 700, 300, true, false}, {1, 300, 70, false, true},  {64, 10, 512, false, false},
                        {64, 10, 512, true, false}};
  for (const Case& c : cases) {
    const int64_t lda = c.trans_a ? c.m : c.k, ldb = c.trans_b ? c.k : c.n;
    const std::vector<float> a = Random(c.m * c.k, 21), b = Random(c.k * c.n, 22), bias = Random(c.n, 23);
    for (int threads : {1, 2}) {
      tbb::task_arena arena(threads);
      arena.execute([&] {
        GemmArgs g;
        g.trans_a = c.trans_a, g.trans_b = c.trans_b, g.m = c.m, g.n = c.n, g.k = c.k;
        g.a = a.data(), g.lda = lda, g.b = b.data(), g.ldb = ldb, g.ldc = c.n;
        g.epilogue.bias_kind = GemmBias::kPerColumn, g.epilogue.bias = bias.data();
        g.epilogue.activation = Activation::kRelu;
        std::vector<float> plain(c.m * c.n), in_workspace(c.m * c.n);
        g.c = plain.data();
        Gemm(g);
        const std::size_t floats = GemmWorkspaceBytes(g, threads) / sizeof(float);
        constexpr std::size_t kGuard = 64;
        std::vector<float> workspace(floats + kGuard + 16, 7.0f);
        // 64-byte aligned, as a plan's workspace is.
        float* base = workspace.data() + (16 - reinterpret_cast<std::uintptr_t>(workspace.data()) / sizeof(float) % 16) % 16;
        g.workspace = floats ? base : nullptr, g.workspace_floats = floats, g.workspace_threads = threads;
        g.c = in_workspace.data();
        Gemm(g);
        INFO("M=" << c.m << " N=" << c.n << " K=" << c.k << " transA=" << c.trans_a << " transB=" << c.trans_b
                  << " threads=" << threads << " workspace floats=" << floats);
        CHECK(std::memcmp(plain.data(), in_workspace.data(), plain.size() * sizeof(float)) == 0);
        int64_t guard_touched = 0;
        for (std::size_t i = 0; i < kGuard; ++i) guard_touched += base[floats + i] != 7.0f;
        CHECK(guard_touched == 0);
      });
    }
  }
}

}  // namespace
}  // namespace axon::kernels
