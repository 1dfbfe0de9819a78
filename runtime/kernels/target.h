// Which Highway target the kernels run on. For logs, `axon info`, benchmarks and tests.
#pragma once

#include <string>
#include <vector>

namespace axon::kernels {

// Name of the target HWY_DYNAMIC_DISPATCH picks now on this CPU ("AVX3", "AVX2", "SSE4",
// "SSSE3", "SCALAR"). Follows hwy::SetSupportedTargetsForTest, so tests can prove which target
// they exercised.
const char* DispatchedTargetName();

// Targets compiled into this binary that this CPU can run, best first (the candidates that
// DispatchedTargetName chooses from).
std::vector<std::string> CompiledTargetNames();

}  // namespace axon::kernels
