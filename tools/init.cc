// axon init: a new model to train, made without any other tool.
#include <cstdio>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/mlp.h"
#include "tools/output_names.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon init mlp --layers N,N,...,N [--activation NAME] [--seed S] -o MODEL.axon

Writes a new, untrained multi-layer perceptron to MODEL.axon (atomically): input x f32[batch,N0],
one fully connected layer per pair of sizes (torch.nn.Linear: Gemm with weight [out,in] and
transB=1, plus bias), the activation after every layer but the last, output y. Weights and
biases are initialized as torch.nn.Linear's defaults: uniform in +-1/sqrt(fan_in), drawn from a
64-bit Mersenne Twister seeded with S. Train it with axon train.

options:
  --layers N,...   layer sizes, input first and output last (at least two), e.g. 2,4,1
  --activation A   relu (default), sigmoid or tanh
  --seed S         seed of the initialization (default 0; the same seed gives the same file)
  -o, --output F   where to write the model
)";

std::vector<int64_t> ParseLayers(const Args& args, const std::string& text) {
  std::vector<int64_t> sizes;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    std::size_t used = 0;
    long long n = 0;
    try {
      n = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || item[0] < '0' || item[0] > '9' || n < 1)
      args.Fail("--layers needs sizes >= 1 separated by commas (e.g. 2,4,1), got '" + text + "'");
    sizes.push_back(n);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (sizes.size() < 2) args.Fail("--layers needs at least two sizes (inputs and outputs), got '" + text + "'");
  return sizes;
}

int InitMain(const std::vector<std::string>& argv) {
  Args args("init", argv, {"--layers", "--activation", "--seed", "-o"}, {}, {{"--output", "-o"}});
  const std::string kind = args.Positional(0, "the kind of model (mlp)");
  args.MaxPositional(1);
  if (kind != "mlp") args.Fail("unknown model kind '" + kind + "' (known: mlp)");
  const auto layers = args.Value("--layers");
  if (!layers) args.Fail("missing --layers (e.g. --layers 2,4,1)");
  const auto out = args.Value("-o");
  if (!out) args.Fail("missing -o MODEL.axon");
  MlpSpec spec;
  spec.layers = ParseLayers(args, *layers);
  spec.activation = args.Value("--activation").value_or("relu");
  spec.seed = args.Uint64Value("--seed", 0);
  const graph::Model model = BuildMlp(spec);
  formats::WriteModelFile(model, *out);
  int64_t parameters = 0;
  for (const auto& [name, t] : model.graph.initializers) parameters += t.size();
  std::printf("%s: %s (%lld parameters in %zu tensors)\n", Escaped(*out).c_str(),
              model.metadata.at("description").c_str(), static_cast<long long>(parameters),
              model.graph.initializers.size());
  return 0;
}

}  // namespace

AXON_COMMAND("init", "write a new model to train (an MLP, initialized as PyTorch does)", kUsage, InitMain);

}  // namespace axon::cli
