#include "graph/pass_pipeline.h"

#include <cstdio>

#include "graph/verifier.h"

namespace axon::graph {
namespace {

// Runs fn, prefixing any axon::Error with the pass it came from, so a failure deep in a rewrite
// still says which pass to switch off.
template <typename Fn>
void Attributed(std::string_view pass, const char* what, Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    throw Error(e.code(), "pass '" + std::string(pass) + "'" + what + ": " + e.what());
  }
}

}  // namespace

PassPipeline::PassPipeline(std::vector<std::unique_ptr<Pass>> passes) {
  for (auto& pass : passes) Add(std::move(pass));
}

PassPipeline& PassPipeline::Add(std::unique_ptr<Pass> pass) {
  for (const Entry& e : passes_)
    if (e.pass->Name() == pass->Name())
      throw Error(ErrorCode::kInternal, "pass '" + std::string(pass->Name()) + "' is in the pipeline twice");
  passes_.push_back({std::move(pass), true});
  return *this;
}

std::size_t PassPipeline::IndexOf(std::string_view name) const {
  for (std::size_t i = 0; i < passes_.size(); ++i)
    if (passes_[i].pass->Name() == name) return i;
  std::string valid;
  for (const Entry& e : passes_) valid += (valid.empty() ? "" : ", ") + std::string(e.pass->Name());
  throw Error(ErrorCode::kInvalidArgument,
              "unknown pass '" + std::string(name) + "'; the passes are: " + (valid.empty() ? "(none)" : valid));
}

PassPipeline& PassPipeline::Disable(std::string_view name) {
  passes_[IndexOf(name)].enabled = false;
  return *this;
}

PassPipeline& PassPipeline::set_max_rounds(int rounds) {
  if (rounds < 1) throw Error(ErrorCode::kInvalidArgument, "a pipeline needs at least 1 round, got " + std::to_string(rounds));
  max_rounds_ = rounds;
  return *this;
}

std::vector<std::string> PassPipeline::Names() const {
  std::vector<std::string> names;
  for (const Entry& e : passes_) names.emplace_back(e.pass->Name());
  return names;
}

bool PassPipeline::IsEnabled(std::string_view name) const { return passes_[IndexOf(name)].enabled; }

PipelineReport PassPipeline::Run(Graph& graph) {
  PipelineReport report;
  for (const Entry& e : passes_) report.passes.push_back({std::string(e.pass->Name()), e.enabled});
  report.nodes_before = graph.nodes.size();
  Verify(graph);
  for (int round = 1; round <= max_rounds_; ++round) {
    report.rounds = round;
    std::vector<std::string> changed;
    for (std::size_t i = 0; i < passes_.size(); ++i) {
      if (!passes_[i].enabled) continue;
      Pass& pass = *passes_[i].pass;
      PassStats& stats = report.passes[i];
      const auto nodes = static_cast<int64_t>(graph.nodes.size());
      bool did = false;
      Attributed(pass.Name(), "", [&] { did = pass.Run(graph); });
      ++stats.runs;
      if (!did) continue;
      ++stats.changes;
      stats.node_delta += static_cast<int64_t>(graph.nodes.size()) - nodes;
      changed.emplace_back(pass.Name());
      Attributed(pass.Name(), " left a graph that does not verify", [&] { Verify(graph); });
    }
    if (changed.empty()) {
      report.nodes_after = graph.nodes.size();
      return report;
    }
    if (round == max_rounds_) {
      std::string names;
      for (const std::string& n : changed) names += (names.empty() ? "" : ", ") + n;
      throw Error(ErrorCode::kInternal, "passes did not reach a fixed point in " + std::to_string(max_rounds_) +
                                            " rounds; still changing the graph: " + names);
    }
  }
  return report;  // unreachable: the last round returns or throws
}

std::string PipelineReport::ToString() const {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "%-32s %5s %8s %6s\n", "pass", "runs", "changed", "nodes");
  out += line;
  for (const PassStats& p : passes) {
    if (!p.enabled) {
      std::snprintf(line, sizeof line, "%-32s %s\n", p.name.c_str(), "(disabled)");
    } else {
      std::snprintf(line, sizeof line, "%-32s %5d %8d %+6lld\n", p.name.c_str(), p.runs, p.changes,
                    static_cast<long long>(p.node_delta));
    }
    out += line;
  }
  int ran = 0;
  for (const PassStats& p : passes) ran += p.runs;
  // An empty round (opt level 0, every pass disabled) is no round: saying "in 1 round" would
  // claim work that was not done.
  if (ran == 0)
    std::snprintf(line, sizeof line, "no pass ran: %zu node%s, unchanged\n", nodes_before, nodes_before == 1 ? "" : "s");
  else
    std::snprintf(line, sizeof line, "%zu -> %zu nodes in %d round%s\n", nodes_before, nodes_after, rounds,
                  rounds == 1 ? "" : "s");
  return out + line;
}

}  // namespace axon::graph
