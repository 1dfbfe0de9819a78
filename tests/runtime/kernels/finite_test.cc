// FirstNonFinite on every Highway target: each kind of non-finite value at every position of
// arrays whose lengths straddle the 4-vector blocks and the tail, against a plain std::isfinite
// scan; extreme finite values (FLT_MAX, subnormals, -0) are finite.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "runtime/kernels/finite.h"
#include "tests/runtime/kernels/for_each_target.h"

using axon::kernels::FirstNonFinite;

TEST_CASE("FirstNonFinite finds the first NaN or infinity on every target", "[kernels][finite]") {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const float extremes[] = {std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::denorm_min(), -0.0f, 1.0f};
  axon::test::ForEachTarget([&](const char*) {
    for (int64_t n : {0, 1, 3, 15, 16, 17, 63, 64, 65, 130, 257}) {
      std::vector<float> x(static_cast<std::size_t>(n));
      for (int64_t i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = extremes[i % 5];
      INFO("n " << n);
      CHECK(FirstNonFinite(x.data(), n) == -1);
      for (float bad : {std::nanf(""), kInf, -kInf}) {
        for (int64_t at = 0; at < n; ++at) {
          std::vector<float> y = x;
          y[static_cast<std::size_t>(at)] = bad;
          if (at + 5 < n) y[static_cast<std::size_t>(at + 5)] = -kInf;  // a later one is not the first
          INFO("bad " << bad << " at " << at);
          REQUIRE(FirstNonFinite(y.data(), n) == at);
        }
      }
    }
  });
}
