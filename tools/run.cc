// axon run: runs a model on .npy inputs and writes each output as DIR/<output>.npy.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "axon/axon.h"
#include "formats/npy.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/model_inputs.h"
#include "tools/output_names.h"
#include "tools/pass_options.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon run MODEL -i NAME=FILE.npy [-i ...] [-o DIR] [--threads N] [--memory-limit SIZE]
                [--opt-level N] [--disable-pass NAME ...]

Runs MODEL (.axon, or ONNX: recognized by content) once on the given inputs and writes each
output to DIR/<output name>.npy (DIR defaults to the current directory); the outputs are written
all or none. Prints each output's name, shape, the file it went to and, when small, its values,
then the run time.

-i NAME=FILE binds input NAME: an -i value is split at the '=' whose left side is the longest
name of one of the model's inputs (with inputs a and a=b, -i a=b=t.npy binds a=b to t.npy and
-i a=t.npy binds a). Any other value is a file name as a whole, bound to the model's only input
(so, for a single-input model, -i FILE.npy is enough and -i ./a=b.npy reads a=b.npy).

Output files: in an output's name every character other than an ASCII letter, digit, '.', '-'
or '_' becomes '_' (and '_' is put before a name that is empty or starts with '.'). A name
that is already a safe file name is written to exactly <name>.npy; one that had to be changed
gets _2, _3, ... appended when its file would be another output's. The printed line of each
output says which file it went to.

options:
  -i, --input NAME=FILE   bind model input NAME to a .npy file (f32, i64, i32, i8, u8 or bool; C order)
  -o, --output-dir DIR    where to write the outputs (created if missing)
  --threads N             worker threads (default and most: one per core)
  --no-save               print the outputs without writing them
)" AXON_MEMORY_LIMIT_USAGE AXON_PASS_OPTIONS_USAGE;

// -o's directory, made if missing; its errors are one line naming it, not std::filesystem's text.
void MakeOutputDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::kIo, dir.string() + ": cannot create the output directory: " + ec.message());
}

int RunMain(const std::vector<std::string>& argv) {
  Args args("run", argv, {"-i", "-o", "--threads", "--memory-limit", "--opt-level", "--disable-pass"}, {"--no-save"},
            {{"--input", "-i"}, {"--output-dir", "-o"}});
  const std::string model_path = args.Positional(0, "MODEL");
  args.MaxPositional(1);
  const int threads = args.IntValue("--threads", 0, 1);
  const int64_t memory_limit = args.BytesValue("--memory-limit", 0);
  const bool save = !args.Flag("--no-save");
  const std::filesystem::path dir = args.Value("-o").value_or(".");
  // A file where the output directory should be (-o /dev/null) is refused now, not after the run.
  if (std::error_code ec; save && std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
    MakeOutputDir(dir);
  const PassChoice passes = ReadPassOptions(args);
  Session session = Session::Load(model_path, {.threads = threads,
                                               .opt_level = passes.opt_level,
                                               .memory_limit_bytes = memory_limit,
                                               .disabled_passes = passes.disabled});

  const std::vector<NamedTensor> inputs = ReadInputs(args, session);

  const auto start = std::chrono::steady_clock::now();
  std::vector<Tensor> outputs = session.Run(inputs);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  if (save) MakeOutputDir(dir);
  // The outputs of one run belong together: all are written, or none (and none is reported).
  formats::FileBatch batch;
  std::vector<std::string> lines;
  std::vector<std::string> names;
  for (const TensorInfo& out : session.outputs()) names.push_back(out.name);
  const std::vector<std::string> stems = FileNamesFor(names);  // "a:0" and "a_0" get different files
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    std::string line = names[i] + ": " + std::string(DTypeName(outputs[i].dtype())) + ShapeToString(outputs[i].shape());
    if (save) {
      const std::filesystem::path file = dir / (stems[i] + ".npy");
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
