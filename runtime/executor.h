// Runs a verified graph: nodes in topological order, each output sized by the op's own shape
// inference on the concrete input shapes, then filled by the op's registered kernel.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "graph/ir.h"
#include "graph/op_schema.h"
#include "runtime/kernel_registry.h"

namespace axon::runtime {

class Executor {
 public:
  // Takes a graph that passed graph::Verify. Throws axon::Error for an op with no kernel.
  // memory_limit_bytes bounds the intermediates a run holds at once (inputs and weights aside):
  // a model and inputs that would need more fail with an axon::Error naming the node, instead
  // of exhausting the machine.
  Executor(graph::Graph graph, int64_t memory_limit_bytes);

  const graph::Graph& graph() const { return graph_; }
  // inputs are in graph.inputs order, already checked against the declared types.
  std::vector<Tensor> Run(std::vector<Tensor> inputs) const;

 private:
  struct Step {
    const graph::Node* node;
    const graph::OpSchema* schema;
    const Kernel* kernel;
    std::shared_ptr<const void> prepared;  // the kernel's prepare step, run at compile time
    std::vector<int> inputs;     // value slots; -1 for an omitted optional input
    std::vector<int> outputs;
    std::vector<int> release;    // slots whose last reader is this step
  };

  // True if t's storage is caller memory (a view, or one of the given input buffers) or a
  // constant: such a tensor must not be handed out as an output.
  bool SharesStorage(const Tensor& t, const std::vector<std::pair<const char*, std::size_t>>& inputs) const;

  graph::Graph graph_;
  int64_t memory_limit_bytes_;
  std::vector<Step> steps_;
  std::vector<Tensor> constants_;        // by slot; defined for initializers only
  std::vector<std::pair<const char*, std::size_t>> constant_ranges_;  // (start, bytes), sorted
  std::vector<int> input_slots_, output_slots_;
  std::size_t num_slots_ = 0;
};

}  // namespace axon::runtime
