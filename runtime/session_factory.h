// Makes a Session from an in-memory model (the CLI's demo and tests build graphs in C++).
#pragma once

#include "axon/axon.h"
#include "graph/ir.h"

namespace axon::detail {

struct SessionFactory {
  // Verifies the graph (origin names it in errors) and compiles it.
  static Session FromModel(graph::Model model, const SessionOptions& options, const std::string& origin);
  static const graph::Graph& GraphOf(const Session& session);
};

}  // namespace axon::detail
