#include "tools/mlp.h"

#include <cmath>
#include <random>

#include "axon/axon.h"
#include "graph/builder.h"

namespace axon::cli {

const char* MlpActivations() { return "relu, sigmoid, tanh"; }

namespace {

std::string ActivationOp(const std::string& name) {
  if (name == "relu") return "Relu";
  if (name == "sigmoid") return "Sigmoid";
  if (name == "tanh") return "Tanh";
  throw Error(ErrorCode::kInvalidArgument, "unknown activation '" + name + "' (known: " + MlpActivations() + ")");
}

Tensor Uniform(std::mt19937_64& rng, std::vector<int64_t> shape, float bound) {
  Tensor t = Tensor::Zeros(DType::kF32, std::move(shape));
  std::uniform_real_distribution<float> uniform(-bound, bound);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.size(); ++i) p[i] = uniform(rng);
  return t;
}

}  // namespace

graph::Model BuildMlp(const MlpSpec& spec) {
  if (spec.layers.size() < 2)
    throw Error(ErrorCode::kInvalidArgument, "an MLP needs at least two layer sizes (inputs and outputs), got " +
                                                 std::to_string(spec.layers.size()));
  constexpr int64_t kMaxWidth = int64_t{1} << 20;
  for (int64_t n : spec.layers)
    if (n < 1 || n > kMaxWidth)
      throw Error(ErrorCode::kInvalidArgument, "layer size " + std::to_string(n) + " is out of range 1.." + std::to_string(kMaxWidth));
  const std::string activation = ActivationOp(spec.activation);
  std::mt19937_64 rng(spec.seed);
  std::string name = "mlp";
  for (int64_t n : spec.layers) name += "_" + std::to_string(n);
  graph::GraphBuilder b(name);
  std::string h = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), spec.layers[0]}));
  const std::size_t count = spec.layers.size() - 1;
  for (std::size_t i = 0; i < count; ++i) {
    const int64_t in = spec.layers[i], out = spec.layers[i + 1];
    const float bound = 1.0f / std::sqrt(static_cast<float>(in));
    const std::string layer = "fc" + std::to_string(i + 1);
    const std::string w = b.Weight(layer + ".weight", Uniform(rng, {out, in}, bound));
    const std::string bias = b.Weight(layer + ".bias", Uniform(rng, {out}, bound));
    h = b.Op("Gemm", {h, w, bias}, {{"transB", int64_t{1}}}, layer);
    if (i + 1 < count || spec.activate_output) h = b.Op(activation, {h}, {}, layer + "_" + spec.activation);
  }
  b.Output(h, "y");
  graph::Model model;
  model.graph = b.Build();
  model.producer_version = Version();
  std::string sizes;
  for (int64_t n : spec.layers) sizes += (sizes.empty() ? "" : "-") + std::to_string(n);
  model.metadata["description"] = "MLP " + sizes + ", " + spec.activation + ", torch.nn.Linear initialization, seed " +
                                  std::to_string(spec.seed);
  return model;
}

}  // namespace axon::cli
