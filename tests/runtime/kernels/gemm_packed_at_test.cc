// GemmArgs::packed_at: op(A)ᵀ packed ahead of time, the GEMM run as Cᵀ = op(B)ᵀ·op(A)ᵀ and C
// written from Cᵀ with the epilogue. It must give the bits of the direct GEMM (the convolution on
// 7×7 images takes it for some plans and not others) on every target and thread count, stay inside
// GemmWorkspaceBytes, and be ignored where it cannot apply (beta != 0).
#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/kernels/gemm.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

struct Case {
  int64_t m, n, k;
  bool trans_a, trans_b;
};

// A convolution's shapes (M output channels, N positions: 49 = 3 vectors and 1 column; 196),
// edge rows on the swapped side (N % 8 != 0), several K blocks, A and B in both layouts; and N
// below a tile's rows, where edge tiles split K and packed_at is not used.
const Case kCases[] = {{512, 49, 600, false, false}, {96, 196, 70, false, false}, {64, 9, 300, false, true},
                       {80, 33, 40, true, false},    {70, 50, 20, true, true},    {17, 2, 5, false, false}};

void Fill(GemmArgs& g, const Case& c, const std::vector<float>& a, const std::vector<float>& b) {
  g.trans_a = c.trans_a, g.trans_b = c.trans_b, g.m = c.m, g.n = c.n, g.k = c.k;
  g.a = a.data(), g.lda = c.trans_a ? c.m : c.k, g.b = b.data(), g.ldb = c.trans_b ? c.k : c.n, g.ldc = c.n;
}

// op(A)ᵀ (k × m) as a PackedB: A itself read with the opposite transposition.
std::shared_ptr<const PackedB> PackAt(const Case& c, const std::vector<float>& a) {
  return PackedB::Pack(!c.trans_a, c.k, c.m, a.data(), c.trans_a ? c.m : c.k);
}

TEST_CASE("A pre-packed op(A)ᵀ gives the bits of the direct GEMM, epilogue included", "[kernels][gemm]") {
  for (const Case& c : kCases) {
    const std::vector<float> a = test::RandomFloats(c.m * c.k, 51, -1, 1), b = test::RandomFloats(c.k * c.n, 52, -1, 1);
    const std::vector<float> bias = test::RandomFloats(c.m, 53, -1, 1), r = test::RandomFloats(c.m * c.n, 54, -1, 1);
    test::ForEachTarget([&](const char*) {
      const std::shared_ptr<const PackedB> at = PackAt(c, a);
      for (int threads : {1, 2, 3}) {
        tbb::task_arena arena(threads);
        arena.execute([&] {
          GemmArgs g;
          Fill(g, c, a, b);
          g.epilogue.bias_kind = GemmBias::kPerRow, g.epilogue.bias = bias.data();
          g.epilogue.residual = r.data(), g.epilogue.ldr = c.n;
          g.epilogue.activation = Activation::kRelu;
          std::vector<float> direct(c.m * c.n), swapped(c.m * c.n, 1e30f);
          g.c = direct.data();
          Gemm(g);
          g.packed_at = at.get(), g.c = swapped.data();
          // From the workspace a plan would give, with a guard after it.
          const std::size_t floats = GemmWorkspaceBytes(g, threads) / sizeof(float);
          std::vector<float> workspace(floats + 64 + 16, 7.0f);
          float* base = workspace.data() + (16 - reinterpret_cast<std::uintptr_t>(workspace.data()) / sizeof(float) % 16) % 16;
          g.workspace = base, g.workspace_floats = floats, g.workspace_threads = threads;
          Gemm(g);
          INFO("M=" << c.m << " N=" << c.n << " K=" << c.k << " transA=" << c.trans_a << " transB=" << c.trans_b
                    << " threads=" << threads);
          CHECK(std::memcmp(direct.data(), swapped.data(), direct.size() * sizeof(float)) == 0);
          int64_t guard_touched = 0;
          for (std::size_t i = 0; i < 64; ++i) guard_touched += base[floats + i] != 7.0f;
          CHECK(guard_touched == 0);
        });
      }
    });
    // And both against a double-precision sum (the direct GEMM is tested as well elsewhere; this
    // keeps the case honest on its own): relu(A·B + bias + r).
    GemmArgs g;
    Fill(g, c, a, b);
    const std::shared_ptr<const PackedB> at = PackAt(c, a);
    g.epilogue.bias_kind = GemmBias::kPerRow, g.epilogue.bias = bias.data();
    g.epilogue.residual = r.data(), g.epilogue.ldr = c.n;
    g.epilogue.activation = Activation::kRelu;
    g.packed_at = at.get();
    std::vector<float> y(c.m * c.n);
    g.c = y.data();
    Gemm(g);
    int64_t bad = 0;
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double sum = 0, abs = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          const double t = double(c.trans_a ? a[p * c.m + i] : a[i * c.k + p]) * (c.trans_b ? b[j * c.k + p] : b[p * c.n + j]);
          sum += t, abs += std::fabs(t);
        }
        const double want = std::max(0.0, sum + bias[i] + r[i * c.n + j]);
        const double u = std::ldexp(1.0, -24);  // float's unit roundoff
        bad += !(std::fabs(y[i * c.n + j] - want) <= 2 * (c.k + 2) * u * (abs + std::fabs(bias[i]) + std::fabs(r[i * c.n + j])));
      }
    CHECK(bad == 0);
  }
}

TEST_CASE("A pre-packed op(A)ᵀ is ignored where the swap does not apply (beta != 0)", "[kernels][gemm]") {
  // C = A·B + 0.5·C: the swapped GEMM would fold C in at its first K block, so the direct path runs.
  const Case c{40, 49, 300, false, false};
  const std::vector<float> a = test::RandomFloats(c.m * c.k, 61, -1, 1), b = test::RandomFloats(c.k * c.n, 62, -1, 1);
  const std::vector<float> c0 = test::RandomFloats(c.m * c.n, 63, -1, 1);
  const std::shared_ptr<const PackedB> at = PackAt(c, a);
  GemmArgs g;
  Fill(g, c, a, b);
  g.beta = 0.5f;
  std::vector<float> direct = c0, with = c0;
  g.c = direct.data();
  Gemm(g);
  g.packed_at = at.get(), g.c = with.data();
  Gemm(g);
  CHECK(std::memcmp(direct.data(), with.data(), direct.size() * sizeof(float)) == 0);
  // A PackedB of another shape is refused, naming it.
  const std::vector<float> bigger = test::RandomFloats((c.m + 1) * c.k, 64, -1, 1);
  const std::shared_ptr<const PackedB> wrong = PackedB::Pack(true, c.k, c.m + 1, bigger.data(), c.k);
  g.packed_at = wrong.get();
  CHECK_THROWS_WITH(Gemm(g), Catch::Contains("packed as 300x41"));
}

}  // namespace
}  // namespace axon::kernels
