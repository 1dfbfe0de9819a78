// axon run: runs a model on .npy inputs and writes each output as DIR/<output>.npy.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "axon/axon.h"
#include "formats/npy.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/output_names.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon run MODEL -i NAME=FILE.npy [-i ...] [-o DIR] [--threads N]

Runs MODEL (.axon) once on the given inputs and writes each output to DIR/<output name>.npy
(DIR defaults to the current directory); the outputs are written all or none. Prints each
output's name, shape and, when small, its values, then the run time. With a single-input model, -i FILE.npy is enough.

options:
  -i, --input NAME=FILE   bind model input NAME to a .npy file (f32 or i64, C order)
  -o, --output-dir DIR    where to write the outputs (created if missing)
  --threads N             worker threads (default: one per core)
  --no-save               print the outputs without writing them
)";

int RunMain(const std::vector<std::string>& argv) {
  Args args("run", argv, {"-i", "-o", "--threads"}, {"--no-save"},
            {{"--input", "-i"}, {"--output-dir", "-o"}});
  const std::string model_path = args.Positional(0, "MODEL");
  args.MaxPositional(1);
  Session session = Session::Load(model_path, {.threads = args.IntValue("--threads", 0, 1)});

  std::vector<NamedTensor> inputs;
  for (const std::string& spec : args.Values("-i")) {
    std::string name, file = spec;
    if (auto eq = spec.find('='); eq != std::string::npos) {
      name = spec.substr(0, eq);
      file = spec.substr(eq + 1);
    } else if (session.inputs().size() == 1) {
      name = session.inputs()[0].name;
    } else {
      args.Fail("model has " + std::to_string(session.inputs().size()) + " inputs: give each as -i NAME=FILE.npy");
    }
    inputs.emplace_back(name, formats::ReadNpyFile(file));
  }

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
  std::printf("run time: %.3f ms (%d threads)\n", ms, session.threads());
  return 0;
}

}  // namespace

AXON_COMMAND("run", "run a model on .npy inputs, write .npy outputs", kUsage, RunMain);

}  // namespace axon::cli
