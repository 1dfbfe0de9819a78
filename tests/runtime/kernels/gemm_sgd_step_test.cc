// The SGD step fused into a weight-gradient GEMM must give the bits of the two-pass form it
// replaces: the gradient stored by a plain GEMM, then SgdF32 (w + (-lr)·g, one rounding); so must
// the GemmSGD op that the training session's fold makes (runtime/sgd_fold.h), whichever K.
#include <cmath>
#include <cstring>
#include <map>
#include <string>
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
void CheckSameBits(const Case& c, int threads, double weight_decay) {
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
      SgdF32(SgdConfig{.weight_decay = weight_decay}, lr, step + 1, w_ref.data(), grad.data(), nullptr, w_ref.data(), nullptr, c.m * c.n);
      GemmArgs fused = g;
      fused.beta = 1.0f, fused.c = w_fused.data();
      fused.epilogue.sgd_step = true, fused.epilogue.neg_lr = static_cast<float>(-lr);
      fused.epilogue.weight_decay = static_cast<float>(weight_decay);
      Gemm(fused);
    });
    INFO("m=" << c.m << " n=" << c.n << " k=" << c.k << " trans_a=" << c.trans_a << " weight decay " << weight_decay
               << " step " << step);
    REQUIRE(std::memcmp(w_fused.data(), w_ref.data(), w_ref.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("Gemm's fused SGD step (with and without weight decay) has the bits of the gradient then SgdF32", "[kernels][gemm][sgd_step]") {
  // The MLP's weight gradients (batch 64), edge tiles, split-K short tiles, a GEMV, one K block.
  const Case cases[] = {{true, 784, 512, 64}, {true, 512, 10, 64}, {false, 10, 512, 64}, {true, 37, 29, 13},
                        {true, 3, 50, 64},    {false, 1, 70, 33},  {true, 300, 257, 256}};
  test::ForEachTarget([&](const char*) {
    for (const Case& c : cases)
      for (int threads : {1, 2})
        for (double weight_decay : {0.0, 0.01}) CheckSameBits(c, threads, weight_decay);
  });
}

TEST_CASE("Gemm's fused SGD step refuses what would round differently", "[kernels][gemm][sgd_step]") {
  std::vector<float> a(2 * 300, 1.0f), b(300 * 2, 1.0f), c(4, 0.0f);
  GemmArgs g;
  g.m = 2, g.n = 2, g.k = 300, g.a = a.data(), g.lda = 300, g.b = b.data(), g.ldb = 2, g.c = c.data(), g.ldc = 2;
  g.beta = 1.0f, g.epilogue.sgd_step = true, g.epilogue.neg_lr = -0.1f;
  CHECK_THROWS_AS(Gemm(g), Error);  // two K blocks: the sum would pass through C
  g.k = GemmSgdStepMaxK(), g.lda = g.k;
  CHECK_NOTHROW(Gemm(g));
  g.k = 4, g.lda = 4;
  g.alpha = 2.0f;
  CHECK_THROWS_AS(Gemm(g), Error);
  g.alpha = 1.0f, g.epilogue.activation = Activation::kRelu;
  CHECK_THROWS_AS(Gemm(g), Error);
}

std::vector<char> BytesOf(const Tensor& t) {
  const auto* p = static_cast<const char*>(t.raw_data());
  return std::vector<char>(p, p + t.nbytes());
}

TEST_CASE("GemmSGD is Gemm then SGD, bit for bit, and the update by hand", "[kernels][sgd_step][kernel:GemmSGD]") {
  // K = 64 finishes the sum in registers (the epilogue); K = 300 spans two K blocks, where the
  // gradient goes through scratch. op(A) is m × k, B is k × n: X -= lr·(op(A)·B + wd·X).
  struct OpCase {
    bool trans_a;
    int64_t m, n, k;
    float weight_decay;
  };
  const OpCase cases[] = {{true, 24, 40, 64, 0.0f}, {false, 17, 33, 64, 0.01f}, {true, 9, 20, 300, 0.0f}, {false, 5, 7, 300, 0.05f}};
  const float lr = 0.1f;
  for (const OpCase& c : cases) {
    INFO("m=" << c.m << " n=" << c.n << " k=" << c.k << " trans_a=" << c.trans_a << " weight decay " << c.weight_decay);
    const std::vector<int64_t> a_shape = c.trans_a ? std::vector<int64_t>{c.k, c.m} : std::vector<int64_t>{c.m, c.k};
    const Tensor a = Tensor::FromVector(test::RandomFloats(c.m * c.k, 1, -1.0f, 1.0f), a_shape);
    const Tensor b = Tensor::FromVector(test::RandomFloats(c.k * c.n, 2, -1.0f, 1.0f), {c.k, c.n});
    const Tensor x = Tensor::FromVector(test::RandomFloats(c.m * c.n, 3, -1.0f, 1.0f), {c.m, c.n});
    const Tensor lr_t = Tensor::FromVector(std::vector<float>{lr}, {}), step = Tensor::FromVector(std::vector<int64_t>{1}, {});
    const Tensor guard = Tensor::FromVector(std::vector<float>{2.5f}, {}), after = Tensor::Zeros(DType::kF32, {3});
    const std::map<std::string, graph::Attribute> attrs = {{"transA", int64_t{c.trans_a}}, {"weight_decay", c.weight_decay}};
    Tensor fused = Tensor::Zeros(DType::kF32, {c.m, c.n});
    test::RunKernel("GemmSGD", {&a, &b, &x, &lr_t, &guard, &after}, {&fused}, attrs);

    Tensor grad = Tensor::Zeros(DType::kF32, {c.m, c.n}), unfused = Tensor::Zeros(DType::kF32, {c.m, c.n});
    test::RunKernel("Gemm", {&a, &b}, {&grad}, {{"transA", int64_t{c.trans_a}}});
    test::RunKernel("SGD", {&x, &grad, &lr_t, &step}, {&unfused}, {{"weight_decay", c.weight_decay}});
    CHECK(BytesOf(fused) == BytesOf(unfused));

    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double g = 0;
        for (int64_t k = 0; k < c.k; ++k)
          g += static_cast<double>(a.data<float>()[c.trans_a ? k * c.m + i : i * c.k + k]) * b.data<float>()[k * c.n + j];
        const double w = x.data<float>()[i * c.n + j];
        const double want = w - static_cast<double>(lr) * (g + static_cast<double>(c.weight_decay) * w);
        CHECK(fused.data<float>()[i * c.n + j] == Approx(want).margin(1e-4));
      }

    // A loss that is not finite leaves the weight as it was.
    for (float bad : {std::nanf(""), INFINITY}) {
      const Tensor bad_guard = Tensor::FromVector(std::vector<float>{bad}, {});
      Tensor kept = Tensor::Zeros(DType::kF32, {c.m, c.n});
      test::RunKernel("GemmSGD", {&a, &b, &x, &lr_t, &bad_guard}, {&kept}, attrs);
      CHECK(BytesOf(kept) == BytesOf(x));
    }
  }
}

}  // namespace
}  // namespace axon::kernels
