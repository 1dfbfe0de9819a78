// Runs a test body once per Highway target that this CPU supports and this binary compiled, so
// the SCALAR, SSSE3, SSE4, AVX2 and AVX3 code paths are all exercised on an AVX-512 machine.
//
// hwy::SetSupportedTargetsForTest(t) (hwy/targets.cc, 1.0.3) calls GetChosenTarget().DeInit(),
// so the next HWY_DYNAMIC_DISPATCH re-resolves against the mocked target set; target_test.cc
// checks that the dispatched target really changes.
#pragma once

#include <catch2/catch.hpp>
#include <hwy/targets.h>

#include <cstdint>
#include <vector>

namespace axon::test {

template <class Body>
void ForEachTarget(Body&& body) {
  // Restores real dispatch even when an assertion throws out of body.
  struct ResetMock {
    ~ResetMock() { hwy::SetSupportedTargetsForTest(0); }
  } reset;
  hwy::SetSupportedTargetsForTest(0);  // list the CPU's targets, not a leftover mock
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    INFO("Highway target " << hwy::TargetName(target));
    body(hwy::TargetName(target));
  }
}

}  // namespace axon::test
