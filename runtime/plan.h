// An execution plan: everything a run needs that depends only on the input shapes, worked out
// once. Every value's shape is resolved, every kernel bound (attributes parsed, variant chosen,
// constants prepared), every intermediate given an offset in one arena from value lifetimes. A
// run binds pointers and calls the bound steps: no shape inference, no lookup by name, no
// allocation.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "axon/tensor.h"
#include "runtime/adapter.h"
#include "runtime/inter_op.h"

namespace axon::runtime {

struct Plan {
  // The key: input dtypes and shapes (graph.inputs order), plus the data of the inputs whose
  // values shape inference read (a Reshape's shape fed at run time).
  std::vector<DType> input_types;
  std::vector<std::vector<int64_t>> input_shapes;
  std::vector<std::vector<char>> input_values;  // per input: its bytes, when its data is in the key

  // Where a value's bytes are on a run.
  enum class Place : uint8_t { kNone, kConstant, kInput, kArena, kOutput };
  struct Where {
    Place place = Place::kNone;
    int32_t index = -1;   // slot of the constant, input index, or output index
    int64_t offset = 0;   // bytes into the arena (kArena), or into the output (kOutput: a Concat's slice)
  };
  std::vector<Where> slots;  // per value slot
  // Per value slot, as planned: what tools (axon profile) show of a step's inputs; runs never read them.
  std::vector<std::vector<int64_t>> slot_shapes;
  std::vector<DType> slot_types;

  struct Step {
    StepFn run;
    std::size_t node;           // index into graph.nodes, for error messages
    uint32_t args, num_in, num_out;  // this step's pointers are args_[args, args + num_in + num_out)
    int64_t workspace = 0;      // its scratch: bytes into the arena (steps that may run at once differ)
  };
  std::vector<Step> steps;      // alias steps need no call and are left out
  // Which steps wait for which, when independent branches run at once (runtime/inter_op.h);
  // empty: the steps run one by one, in order.
  StepGraph graph;
  std::vector<int32_t> args;    // slot per step argument; -1 for an omitted optional input

  struct Output {
    int32_t slot;
    DType dtype;
    std::vector<int64_t> shape;
    int64_t bytes;
    int32_t copy_from = -1;  // slot to copy from after the steps (an input, a weight, a shared buffer)
    int32_t same_as = -1;    // earlier output listed with the same value
  };
  std::vector<Output> outputs;
  // (output, input) pairs that a run may bind to one buffer: the output's producer is the input's
  // only reader and updates it element by element (BoundStep::elementwise_in_place).
  std::vector<std::pair<int32_t, int32_t>> in_place_outputs;

  // Arena: [pointer table: one per slot, one per argument | buffers | workspace | a counter per
  // step when `graph` is not empty]. With a graph each step's scratch is a buffer of its own.
  int64_t buffers_offset = 0, workspace_offset = 0, counters_offset = 0, arena_bytes = 0;
  int64_t output_bytes = 0;  // of the outputs a run allocates (distinct ones)
};

}  // namespace axon::runtime
