// axon demo: the seed's 2-4-1 sigmoid network for XOR, built with the graph builder, saved as
// .axon, loaded back through the public API and run on the four XOR inputs.
#include <cstdio>
#include <filesystem>
#include <random>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "formats/npy.h"
#include "graph/builder.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/output_names.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon demo [-o MODEL] [--seed N]

Builds the seed's XOR network (2 inputs, 4 sigmoid hidden units, 1 sigmoid output; weights
drawn as randn * 0.01 like the seed, biases zero), saves it as MODEL (default xor.axon in the
current directory) and the four XOR inputs as x.npy beside it, loads the model back and runs it
on them. The network is untrained, so its outputs sit near 0.5. Prints where the files went and
a command, with full paths, that runs the saved model again from any directory.

options:
  -o, --output MODEL   where to save the model (default ./xor.axon)
  --seed N             seed for the weight initialisation (default 0)
)";

Tensor RandomNormal(std::mt19937& rng, std::vector<int64_t> shape, float scale) {
  Tensor t = Tensor::Zeros(DType::kF32, std::move(shape));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = scale * normal(rng);
  return t;
}

graph::Model BuildXorModel(unsigned seed) {
  std::mt19937 rng(seed);
  graph::GraphBuilder b("xor_2_4_1");
  const auto x = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 2}));
  // Weights are [out, in] as in the seed (weights_ih is hidden x input), hence transB.
  const auto w1 = b.Weight("hidden.weight", RandomNormal(rng, {4, 2}, 0.01f));
  const auto b1 = b.Weight("hidden.bias", Tensor::Zeros(DType::kF32, {4}));
  const auto w2 = b.Weight("output.weight", RandomNormal(rng, {1, 4}, 0.01f));
  const auto b2 = b.Weight("output.bias", Tensor::Zeros(DType::kF32, {1}));
  const auto h = b.Op("Sigmoid", {b.Op("Gemm", {x, w1, b1}, {{"transB", int64_t{1}}}, "hidden")}, {}, "hidden_act");
  const auto y = b.Op("Sigmoid", {b.Op("Gemm", {h, w2, b2}, {{"transB", int64_t{1}}}, "output")}, {}, "output_act");
  b.Output(y, "y");
  graph::Model model;
  model.graph = b.Build();
  model.producer_version = Version();
  model.metadata["description"] = "seed XOR network 2-4-1, sigmoid, untrained";
  return model;
}

int DemoMain(const std::vector<std::string>& argv) {
  Args args("demo", argv, {"-o", "--seed"}, {}, {{"--output", "-o"}});
  args.MaxPositional(0);
  const std::string path = args.Value("-o").value_or("xor.axon");
  const int seed = args.IntValue("--seed", 0, 0);

  const std::vector<float> xs = {0, 0, 0, 1, 1, 0, 1, 1};
  const std::string inputs = (std::filesystem::path(path).parent_path() / "x.npy").string();
  // The model and its inputs are written together: both appear, or neither.
  formats::FileBatch batch;
  formats::StageModelFile(batch, BuildXorModel(static_cast<unsigned>(seed)), path);
  formats::StageNpyFile(batch, inputs, Tensor::View(xs.data(), {4, 2}));
  batch.Commit();
  const std::string model_file = std::filesystem::absolute(path).lexically_normal().string();
  const std::string inputs_file = std::filesystem::absolute(inputs).lexically_normal().string();
  std::printf("built the seed's 2-4-1 sigmoid XOR network and saved it to %s\n", model_file.c_str());
  std::printf("saved the four XOR inputs to %s\n", inputs_file.c_str());

  Session session = Session::Load(path, {.threads = 1});
  std::printf("loaded it back: input %s, output %s\n", session.inputs()[0].ToString().c_str(),
              session.outputs()[0].ToString().c_str());
  const std::vector<Tensor> out = session.Run({{"x", Tensor::View(xs.data(), {4, 2})}});
  const float* y = out[0].data<float>();
  std::printf("\n  x1  x2  | xor | y (untrained)\n");
  for (int i = 0; i < 4; ++i)
    std::printf("  %2.0f  %2.0f  |  %d  | %.6f\n", xs[2 * i], xs[2 * i + 1], static_cast<int>(xs[2 * i]) ^ static_cast<int>(xs[2 * i + 1]), y[i]);
  std::printf("\nthe weights are untrained, so y is near 0.5 for every input\n");
  // The binary actually running, so the command works as printed even where axon is not on PATH.
  std::error_code ec;
  std::string axon = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec || axon.empty()) axon = "axon";
  std::printf("run it again with: %s run %s -i %s\n", ShellQuoted(axon).c_str(), ShellQuoted(model_file).c_str(),
              ShellQuoted(inputs_file).c_str());
  return 0;
}

}  // namespace

AXON_COMMAND("demo", "build, save, load and run the seed's XOR network", kUsage, DemoMain);

}  // namespace axon::cli
