// The version of Axon's own op set. There is one op set (importers translate foreign opsets at the
// border), versioned as a whole: adding an op or changing an op's contract bumps this number, and
// the op's schema records the version it appeared in with .Since(). Files name the op-set version
// they were written for (Model::opset_version); a build reads files up to its own version.
#pragma once

#include <cstdint>

namespace axon::graph {

inline constexpr int64_t kOpsetVersion = 3;  // 2: the ops added for ONNX import; 3: training (losses, optimizers), Mod, ScatterND

}  // namespace axon::graph
