// Pieces shared by the gradient rules of several op families (graph/ops/*.cc).
#pragma once

#include <string>
#include <vector>

#include "graph/autodiff.h"

namespace axon::graph {

// The gradient of a sum (or mean) of x over `axes` (normalized, ascending): dy, which has x's rank
// with the reduced dims kept as 1, broadcast back to x's shape; a mean also divides by the count
// (a constant when the reduced dims are known, else computed when a plan is made).
std::string ExpandReduced(GradContext& g, const std::string& dy_kept, const std::string& x,
                          const std::vector<int64_t>& axes, bool mean);

}  // namespace axon::graph
