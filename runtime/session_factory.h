// Makes a Session from an in-memory model (the CLI's demo and tests build graphs in C++).
#pragma once

#include "axon/axon.h"
#include "graph/ir.h"
#include "runtime/executor.h"

namespace axon::detail {

struct SessionFactory {
  // Verifies the graph (origin names it in errors) and compiles it.
  static Session FromModel(graph::Model model, const SessionOptions& options, const std::string& origin);
  // The graph the session runs: after the passes, so nodes may differ from the file's.
  static const graph::Graph& GraphOf(const Session& session);

  // A run as Session::Run makes it, with each plan step's time (axon profile). `steps` holds one
  // record per plan->steps entry; plan->steps[k].node indexes GraphOf(session).nodes.
  struct ProfiledRun {
    std::shared_ptr<const runtime::Plan> plan;
    std::vector<runtime::StepRecord> steps;
    std::vector<Tensor> outputs;
  };
  static ProfiledRun RunProfiled(Session& session, const std::vector<NamedTensor>& inputs);
};

}  // namespace axon::detail
