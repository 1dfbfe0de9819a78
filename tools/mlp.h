// Multi-layer perceptrons as `axon init mlp` and `axon demo` make them: torch.nn.Linear layers
// (Gemm with weight [out, in], transB = 1) with an activation between them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/ir.h"

namespace axon::cli {

struct MlpSpec {
  std::vector<int64_t> layers;        // sizes: input, hidden..., output (at least two)
  std::string activation = "relu";    // relu, sigmoid or tanh
  bool activate_output = false;       // also after the last layer (the seed's XOR net)
  uint64_t seed = 0;
};

// Activations MlpSpec accepts, for usage texts and errors: "relu, sigmoid, tanh".
const char* MlpActivations();

// Input "x" f32[batch, layers[0]], output "y" f32[batch, layers.back()], weights "fc<i>.weight"
// and "fc<i>.bias" drawn as torch.nn.Linear's defaults do: kaiming_uniform_ with a = sqrt(5),
// i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight and the bias alike, from a
// std::mt19937_64 seeded with spec.seed. Throws axon::Error for a spec it cannot build.
graph::Model BuildMlp(const MlpSpec& spec);

}  // namespace axon::cli
