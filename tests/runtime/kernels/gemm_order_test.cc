// The summation order that gemm.cc promises (one FMA chain over k per C element, K blocks of at
// most GemmSgdStepMaxK() in order, each block's sum added to C), pinned bit for bit against a
// scalar reference: the micro-kernels' k loops (Highway, or gemm_kloop-inl.h's asm on AVX2 and
// AVX-512) may change how they compute but never what.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/kernels/gemm.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

// C = op(A)·op(B) as gemm.cc sums it. Highway's MulAdd is one fused multiply-add on AVX2 and
// AVX-512 and a multiply then an add on the older targets (hwy/ops/x86_128-inl.h, scalar-inl.h).
std::vector<float> ChainReference(bool fused, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                                  const std::vector<float>& a, const std::vector<float>& b) {
  const int64_t blocks = (k + GemmSgdStepMaxK() - 1) / GemmSgdStepMaxK();
  const int64_t kb = (k + blocks - 1) / blocks;  // equal blocks, as gemm.cc's KBlock
  std::vector<float> c(static_cast<std::size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float total = 0.0f;
      for (int64_t k0 = 0; k0 < k; k0 += kb) {
        float sum = 0.0f;
        for (int64_t kk = k0; kk < std::min(k, k0 + kb); ++kk) {
          const float x = trans_a ? a[kk * m + i] : a[i * k + kk];
          const float y = trans_b ? b[j * k + kk] : b[kk * n + j];
          if (fused) {
            sum = std::fma(x, y, sum);
          } else {
            const volatile float product = x * y;  // rounded on its own, as the unfused targets do
            sum = sum + product;
          }
        }
        total = k0 == 0 ? sum : sum + total;
      }
      c[i * n + j] = total;
    }
  return c;
}

struct OrderCase {
  int64_t m, n, k;
};

TEST_CASE("Gemm sums each element as one FMA chain over k, K blocks in order, on every target", "[kernels][gemm]") {
  // Full tiles of 8 rows (AVX-512) and 6 (AVX2) with A packed (N of 4 panels or more) and in
  // place, every B width of the last panel, K below, at and over one block, K % 4 != 0; the MLP's
  // layers at batch 32.
  const OrderCase cases[] = {{32, 512, 784}, {32, 10, 512}, {24, 200, 300}, {48, 97, 257}, {16, 96, 1000},
                             {12, 40, 5},    {64, 64, 64},  {9, 250, 600},  {30, 33, 131}, {8, 192, 7}};
  uint32_t seed = 1;
  for (const OrderCase& oc : cases) {
    for (int variant = 0; variant < 4; ++variant) {
      const bool trans_a = variant == 1, trans_b = variant == 2, prepack = variant == 3;
      const std::vector<float> a = test::RandomFloats(oc.m * oc.k, seed++, -1.0f, 1.0f);
      const std::vector<float> b = test::RandomFloats(oc.k * oc.n, seed++, -1.0f, 1.0f);
      test::ForEachTarget([&](const char* target) {
        INFO("M=" << oc.m << " N=" << oc.n << " K=" << oc.k << " trans_a=" << trans_a << " trans_b=" << trans_b
                  << " prepacked B=" << prepack);
        const bool fused = std::string(target).find("AVX") != std::string::npos;
        const std::vector<float> want = ChainReference(fused, trans_a, trans_b, oc.m, oc.n, oc.k, a, b);
        std::vector<float> got(want.size(), -7.0f);
        GemmArgs g;
        g.trans_a = trans_a, g.trans_b = trans_b, g.m = oc.m, g.n = oc.n, g.k = oc.k;
        g.a = a.data(), g.lda = trans_a ? oc.m : oc.k, g.b = b.data(), g.ldb = trans_b ? oc.k : oc.n;
        g.c = got.data(), g.ldc = oc.n;
        std::shared_ptr<const PackedB> packed;
        if (prepack) {
          packed = PackedB::Pack(trans_b, oc.k, oc.n, b.data(), g.ldb);
          g.packed_b = packed.get();
        }
        Gemm(g);
        int64_t differ = 0, first = -1;
        for (std::size_t e = 0; e < want.size(); ++e)
          if (std::memcmp(&want[e], &got[e], sizeof(float)) != 0 && differ++ == 0) first = static_cast<int64_t>(e);
        INFO("first difference at " << first << ": " << (first < 0 ? 0.0f : got[first]) << " vs "
                                     << (first < 0 ? 0.0f : want[first]));
        CHECK(differ == 0);
      });
    }
  }
}

}  // namespace
}  // namespace axon::kernels
