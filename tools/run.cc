// axon run: runs a model on .npy inputs and writes each output as DIR/<output>.npy.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string_view>
#include <utility>

#include "axon/axon.h"
#include "formats/npy.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/output_names.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon run MODEL -i NAME=FILE.npy [-i ...] [-o DIR] [--threads N] [--memory-limit SIZE]

Runs MODEL (.axon) once on the given inputs and writes each output to DIR/<output name>.npy
(DIR defaults to the current directory); the outputs are written all or none. Prints each
output's name, shape and, when small, its values, then the run time.

-i NAME=FILE binds input NAME: an -i value is split at the first '=' whose left side is the name
of one of the model's inputs. Any other value is a file name as a whole, bound to the model's
only input (so, for a single-input model, -i FILE.npy is enough and -i ./a=b.npy reads a=b.npy).

options:
  -i, --input NAME=FILE   bind model input NAME to a .npy file (f32 or i64, C order)
  -o, --output-dir DIR    where to write the outputs (created if missing)
  --threads N             worker threads (default and most: one per core)
  --memory-limit SIZE     most memory the run may hold for intermediates, scratch and outputs,
                          in bytes or with K, M, G (default: half of this machine's memory);
                          a model or inputs that need more fail naming the node
  --no-save               print the outputs without writing them
)";

// "x: f32[batch,2], y: f32[3]", cut short for a file with very many inputs.
std::string InputList(const Session& session) {
  constexpr std::size_t kMaxListed = 16;
  const auto& ins = session.inputs();
  std::string s;
  for (std::size_t i = 0; i < ins.size() && i < kMaxListed; ++i) s += (i ? ", " : "") + ins[i].ToString();
  if (ins.size() > kMaxListed) s += ", ... " + std::to_string(ins.size() - kMaxListed) + " more";
  return s;
}

// The input an -i value binds and the file to read (the rule is in kUsage). Decided from the
// model's input names alone, so a file name may hold '=' and nothing is opened before the
// binding is known to be good.
std::pair<std::string, std::string> ParseInputSpec(const Args& args, const Session& session,
                                                   const std::set<std::string_view>& input_names,
                                                   const std::string& spec) {
  for (auto eq = spec.find('='); eq != std::string::npos; eq = spec.find('=', eq + 1))
    if (input_names.count(std::string_view(spec).substr(0, eq))) return {spec.substr(0, eq), spec.substr(eq + 1)};
  if (session.inputs().size() != 1)
    args.Fail("-i " + spec + " names none of the model's " + std::to_string(session.inputs().size()) +
              " inputs (" + InputList(session) + "): give each as -i NAME=FILE.npy");
  // A mistyped name reads better as such than as a missing file called "nmae=x.npy".
  if (auto eq = spec.find('='); eq != std::string::npos && !std::filesystem::exists(spec))
    args.Fail("-i " + spec + ": the model has no input '" + spec.substr(0, eq) + "' (its input is " +
              InputList(session) + ") and there is no file '" + spec + "'");
  return {session.inputs()[0].name, spec};
}

int RunMain(const std::vector<std::string>& argv) {
  Args args("run", argv, {"-i", "-o", "--threads", "--memory-limit"}, {"--no-save"},
            {{"--input", "-i"}, {"--output-dir", "-o"}});
  const std::string model_path = args.Positional(0, "MODEL");
  args.MaxPositional(1);
  const int threads = args.IntValue("--threads", 0, 1);
  const int64_t memory_limit = args.BytesValue("--memory-limit", 0);
  Session session = Session::Load(model_path, {.threads = threads, .memory_limit_bytes = memory_limit});

  std::set<std::string_view> input_names;
  for (const TensorInfo& in : session.inputs()) input_names.insert(in.name);
  std::vector<std::pair<std::string, std::string>> bindings;  // input name, file
  std::set<std::string> bound;
  for (const std::string& spec : args.Values("-i")) {
    auto binding = ParseInputSpec(args, session, input_names, spec);
    if (!bound.insert(binding.first).second) args.Fail("input '" + binding.first + "' is given twice");
    bindings.push_back(std::move(binding));
  }
  std::vector<NamedTensor> inputs;
  for (const auto& [name, file] : bindings) inputs.emplace_back(name, formats::ReadNpyFile(file));

  const auto start = std::chrono::steady_clock::now();
  std::vector<Tensor> outputs = session.Run(inputs);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  const std::filesystem::path dir = args.Value("-o").value_or(".");
  if (!args.Flag("--no-save")) std::filesystem::create_directories(dir);
  // The outputs of one run belong together: all are written, or none (and none is reported).
  formats::FileBatch batch;
  std::vector<std::string> lines;
  std::set<std::string> written;  // "a:0" and "a_0" make the same file name: never overwrite
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const std::string& name = session.outputs()[i].name;
    std::string line = name + ": " + std::string(DTypeName(outputs[i].dtype())) + ShapeToString(outputs[i].shape());
    if (!args.Flag("--no-save")) {
      std::string stem = FileNameFor(name);
      for (int n = 2; written.count(stem); ++n) stem = FileNameFor(name) + "_" + std::to_string(n);
      written.insert(stem);
      const std::filesystem::path file = dir / (stem + ".npy");
      formats::StageNpyFile(batch, file.string(), outputs[i]);
      line += " -> " + file.string();
    }
    if (std::string preview = PreviewValues(outputs[i]); !preview.empty()) line += "  " + preview;
    lines.push_back(std::move(line));
  }
  batch.Commit();
  for (const std::string& line : lines) std::printf("%s\n", Escaped(line).c_str());
  std::printf("run time: %.3f ms (%d thread%s", ms, session.threads(), session.threads() == 1 ? "" : "s");
  if (threads > session.threads()) std::printf("; --threads %d is more than this machine runs at once", threads);
  std::printf(")\n");
  return 0;
}

}  // namespace

AXON_COMMAND("run", "run a model on .npy inputs, write .npy outputs", kUsage, RunMain);

}  // namespace axon::cli
