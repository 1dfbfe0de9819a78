// Runs passes in rounds until a round changes nothing, re-verifying the graph after every change
// (which also re-infers value_info for the next pass), and reports what fired.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graph/pass.h"

namespace axon::graph {

struct PassStats {
  std::string name;
  bool enabled = true;
  int runs = 0;             // times Run was called
  int changes = 0;          // times it changed the graph
  int64_t node_delta = 0;   // nodes added minus nodes removed, over all its runs
};

struct PipelineReport {
  std::vector<PassStats> passes;  // in pipeline order, disabled passes included
  std::size_t nodes_before = 0;
  std::size_t nodes_after = 0;
  int rounds = 0;                 // including the last one, which changed nothing
  // One line per pass and a summary, for `axon inspect --passes`.
  std::string ToString() const;
};

class PassPipeline {
 public:
  // A pipeline that needs more rounds than this is taken to oscillate (two passes undoing each
  // other, or one that always says it changed something).
  static constexpr int kDefaultMaxRounds = 10;

  PassPipeline() = default;
  explicit PassPipeline(std::vector<std::unique_ptr<Pass>> passes);

  // Throws axon::Error when a pass of that name is already in the pipeline.
  PassPipeline& Add(std::unique_ptr<Pass> pass);
  // Throws axon::Error listing the pipeline's passes when none has that name.
  PassPipeline& Disable(std::string_view name);
  PassPipeline& set_max_rounds(int rounds);

  std::vector<std::string> Names() const;
  bool IsEnabled(std::string_view name) const;

  // Verifies the graph, then runs every enabled pass in order, round after round, until a round
  // changes nothing. Throws axon::Error naming the pass when a pass fails or leaves a graph that
  // does not verify, and naming the passes still changing it after max_rounds rounds.
  PipelineReport Run(Graph& graph);

 private:
  struct Entry {
    std::unique_ptr<Pass> pass;
    bool enabled = true;
  };
  std::size_t IndexOf(std::string_view name) const;  // throws when unknown

  std::vector<Entry> passes_;
  int max_rounds_ = kDefaultMaxRounds;
};

}  // namespace axon::graph
