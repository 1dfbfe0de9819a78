// A pass is one small, named graph transformation (a fusion, a cleanup). PassPipeline runs passes
// to a fixed point, can switch any of them off by name and reports what fired.
#pragma once

#include <string_view>

#include "graph/ir.h"

namespace axon::graph {

class Pass {
 public:
  virtual ~Pass() = default;
  // Lower-case words joined by '-' ("dead-node-elimination"): how users switch it off.
  virtual std::string_view Name() const = 0;
  // Gets a verified graph whose value_info is current; edits it through GraphEditor and returns
  // true if it changed anything. Must leave a graph that verifies, and return false once there
  // is nothing left for it to do, or the pipeline never reaches its fixed point.
  virtual bool Run(Graph& graph) = 0;
};

}  // namespace axon::graph
