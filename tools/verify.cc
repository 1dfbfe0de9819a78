// axon verify: every check loading a model makes, without running it.
#include <cmath>
#include <cstdio>
#include <string>

#include "axon/axon.h"
#include "formats/model_file.h"
#include "runtime/session_factory.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/output_names.h"
#include "tools/pass_options.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon verify MODEL [--opt-level N] [--disable-pass NAME ...]

Runs every check that loading MODEL (.axon, or ONNX: recognized by content) makes: the file's
own checks, the ONNX import, the graph verifier, shape and dtype inference and the graph passes,
without running the model. Prints one line and exits 0 when the model is valid; prints the error
and exits 1 otherwise.

An f32 initializer holding NaN or infinity is reported with a warning on stderr naming it (the
model still counts as valid: an inference model may hold -inf in an attention mask, say), since
axon train and TrainingSession refuse to train such a parameter.

options:
)" AXON_PASS_OPTIONS_USAGE;

std::string TensorList(const std::vector<TensorInfo>& infos) {
  constexpr std::size_t kMaxListed = 4;
  std::string s;
  for (std::size_t i = 0; i < infos.size() && i < kMaxListed; ++i) s += (i ? ", " : "") + infos[i].ToString();
  if (infos.size() > kMaxListed) s += ", ... " + std::to_string(infos.size() - kMaxListed) + " more";
  return s;
}

// Warns (stderr) about each f32 initializer holding NaN or infinity.
void WarnNonFinite(const graph::Graph& g) {
  for (const auto& [name, t] : g.initializers) {
    if (t.dtype() != DType::kF32) continue;
    const float* p = t.data<float>();
    int64_t nan = 0, inf = 0, first = -1;
    for (int64_t i = 0; i < t.size(); ++i) {
      if (std::isfinite(p[i])) continue;
      (std::isnan(p[i]) ? nan : inf) += 1;
      if (first < 0) first = i;
    }
    if (first < 0) continue;
    std::fprintf(stderr,
                 "warning: initializer '%s' holds %lld NaN and %lld infinite of its %lld values (the first at element "
                 "%lld): fine for a mask, but training refuses such a parameter\n",
                 Escaped(name).c_str(), static_cast<long long>(nan), static_cast<long long>(inf),
                 static_cast<long long>(t.size()), static_cast<long long>(first));
  }
}

int VerifyMain(const std::vector<std::string>& argv) {
  Args args("verify", argv, {"--opt-level", "--disable-pass"});
  const std::string path = args.Positional(0, "MODEL");
  args.MaxPositional(1);
  const PassChoice passes = ReadPassOptions(args);
  const formats::ModelFormat format = formats::SniffModelFile(path);
  graph::Model model = formats::ReadAnyModelFile(path);
  const std::size_t nodes = model.graph.nodes.size();
  int64_t params = 0;
  for (const auto& [name, t] : model.graph.initializers) params += t.size();
  WarnNonFinite(model.graph);
  // Loading as Session::Load does: verifier, inference, passes, executor.
  Session session = detail::SessionFactory::FromModel(std::move(model), {.threads = 1, .opt_level = passes.opt_level, .disabled_passes = passes.disabled}, path);
  std::printf("%s: valid %s model: %zu nodes, %lld parameters; inputs %s; outputs %s\n", Escaped(path).c_str(),
              format == formats::ModelFormat::kOnnx ? "ONNX" : ".axon", nodes, static_cast<long long>(params),
              Escaped(TensorList(session.inputs())).c_str(), Escaped(TensorList(session.outputs())).c_str());
  return 0;
}

}  // namespace

AXON_COMMAND("verify", "check a model (.axon or .onnx) as loading does, without running it", kUsage, VerifyMain);

}  // namespace axon::cli
