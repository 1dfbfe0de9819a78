// The SGD step fused into a weight-gradient GEMM must give the bits of the two-pass form it
// replaces: the gradient stored by a plain GEMM, then SgdF32 (w + (-lr)·g, one rounding).
#include <cstring>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "axon/error.h"
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/optimizer.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

struct Case {
  bool trans_a;
  int64_t m, n, k;
};

// Gradient dW = op(A)·B (A stored k × m when trans_a, as Xᵀ·dY reads X), then `steps` updates
// of W from fresh A and B, fused and unfused side by side.
void CheckSameBits(const Case& c, int threads) {
  std::vector<float> w_fused = test::RandomFloats(c.m * c.n, 7, -0.1f, 0.1f), w_ref = w_fused, grad(c.m * c.n);
  const double lr = 0.05;
  for (uint32_t step = 0; step < 5; ++step) {
    const std::vector<float> a = test::RandomFloats(c.m * c.k, 100 + step, -1.0f, 1.0f);
    const std::vector<float> b = test::RandomFloats(c.k * c.n, 200 + step, -0.01f, 0.01f);
    GemmArgs g;
    g.trans_a = c.trans_a, g.m = c.m, g.n = c.n, g.k = c.k;
    g.a = a.data(), g.lda = c.trans_a ? c.m : c.k, g.b = b.data(), g.ldb = c.n, g.ldc = c.n;
    tbb::task_arena arena(threads);
    arena.execute([&] {
      GemmArgs plain = g;
      plain.c = grad.data();
      Gemm(plain);
      SgdF32(SgdConfig{}, lr, step + 1, w_ref.data(), grad.data(), nullptr, w_ref.data(), nullptr, c.m * c.n);
      GemmArgs fused = g;
      fused.beta = 1.0f, fused.c = w_fused.data();
      fused.epilogue.sgd_step = true, fused.epilogue.neg_lr = static_cast<float>(-lr);
      Gemm(fused);
    });
    INFO("m=" << c.m << " n=" << c.n << " k=" << c.k << " trans_a=" << c.trans_a << " step " << step);
    REQUIRE(std::memcmp(w_fused.data(), w_ref.data(), w_ref.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("Gemm's fused SGD step has the bits of the gradient then SgdF32", "[kernels][gemm][sgd_step]") {
  // The MLP's weight gradients (batch 64), edge tiles, split-K short tiles, a GEMV, one K block.
  const Case cases[] = {{true, 784, 512, 64}, {true, 512, 10, 64}, {false, 10, 512, 64}, {true, 37, 29, 13},
                        {true, 3, 50, 64},    {false, 1, 70, 33},  {true, 300, 257, 256}};
  test::ForEachTarget([&](const char*) {
    for (const Case& c : cases)
      for (int threads : {1, 2}) CheckSameBits(c, threads);
  });
}

TEST_CASE("Gemm's fused SGD step refuses what would round differently", "[kernels][gemm][sgd_step]") {
  std::vector<float> a(2 * 300, 1.0f), b(300 * 2, 1.0f), c(4, 0.0f);
  GemmArgs g;
  g.m = 2, g.n = 2, g.k = 300, g.a = a.data(), g.lda = 300, g.b = b.data(), g.ldb = 2, g.c = c.data(), g.ldc = 2;
  g.beta = 1.0f, g.epilogue.sgd_step = true, g.epilogue.neg_lr = -0.1f;
  CHECK_THROWS_AS(Gemm(g), Error);  // two K blocks: the sum would pass through C
  g.k = 4, g.lda = 4;
  g.alpha = 2.0f;
  CHECK_THROWS_AS(Gemm(g), Error);
  g.alpha = 1.0f, g.epilogue.activation = Activation::kRelu;
  CHECK_THROWS_AS(Gemm(g), Error);
}

}  // namespace
}  // namespace axon::kernels
