// axon bench: end-to-end latency and throughput of a model, like TFLite's benchmark_model.
#include <chrono>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "axon/axon.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/model_inputs.h"
#include "tools/output_names.h"
#include "tools/pass_options.h"
#include "tools/timing.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon bench MODEL [-i NAME=FILE.npy ...] [--dim NAME=V ...] [--threads N] [--runs N]
                  [--warmup N] [--memory-limit SIZE] [--opt-level N] [--disable-pass NAME ...] [--json]

Runs MODEL (.axon, or ONNX: recognized by content) WARMUP times (the first plans it), then RUNS
times, and prints the latency of one run (min, median, p90, max, mean) and the throughput in runs
per second. Runs write into buffers allocated once, as a server would (Session::RunInto).

Inputs not given with -i are made up: the declared shape with each symbolic dim from --dim, else
from a given input that binds it, else 1 (anonymous dims 1); f32 values uniform in [-1, 1) from a
fixed seed; integer and bool inputs all zeros (valid Gather indices; give -i for other values).

options:
  -i, --input NAME=FILE   bind model input NAME to a .npy file (see axon run --help)
  --dim NAME=V            size of symbolic dim NAME for made-up inputs (repeatable)
  --threads N             worker threads (default and most: one per core)
  --runs N                timed runs (default 50)
  --warmup N              untimed runs first (default 5, at least 1: the first one plans)
  --json                  also print the figures as one JSON object, on the last line: model,
                          threads, opt_level, runs, warmup, min_ms, median_ms, p90_ms, max_ms,
                          mean_ms, runs_per_s, first_run_ms, disabled_passes (a list of names)
)" AXON_MEMORY_LIMIT_USAGE AXON_PASS_OPTIONS_USAGE;

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

int BenchMain(const std::vector<std::string>& argv) {
  Args args("bench", argv, {"-i", "--dim", "--threads", "--runs", "--warmup", "--memory-limit", "--opt-level", "--disable-pass"}, {"--json"},
            {{"--input", "-i"}});
  const std::string model_path = args.Positional(0, "MODEL");
  args.MaxPositional(1);
  const int threads = args.IntValue("--threads", 0, 1);
  const int runs = args.IntValue("--runs", 50, 1);
  const int warmup = args.IntValue("--warmup", 5, 1);
  const int64_t memory_limit = args.BytesValue("--memory-limit", 0);
  // Their sum counts the runs (an int): past INT_MAX it would wrap and time nothing.
  if (int64_t{warmup} + runs > std::numeric_limits<int>::max())
    args.Fail("options --warmup and --runs add up to more than " + std::to_string(std::numeric_limits<int>::max()) + " runs");
  const PassChoice passes = ReadPassOptions(args);
  const int opt_level = passes.opt_level;

  Session session = Session::Load(model_path, {.threads = threads,
                                               .opt_level = opt_level,
                                               .memory_limit_bytes = memory_limit,
                                               .disabled_passes = passes.disabled});
  std::vector<std::string> made;
  std::vector<Tensor> inputs;
  for (auto& [name, t] : CompleteInputs(args, session, ReadInputs(args, session), made)) inputs.push_back(std::move(t));
  std::vector<Tensor> outputs;
  for (std::size_t o = 0; const auto& shape : session.OutputShapes(inputs))
    outputs.push_back(Tensor::Zeros(session.outputs()[o++].dtype, shape));

  std::vector<double> ms;
  double first_ms = 0;
  {
    Progress progress("axon bench: run", warmup + runs);
    for (int r = 0; r < warmup + runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      session.RunInto(inputs, outputs);
      const double t = MsSince(start);
      if (r == 0) first_ms = t;
      if (r >= warmup) ms.push_back(t);
      progress.Update(r + 1);
    }
  }
  const LatencyStats s = Summarize(ms);
  const double per_s = s.total > 0 ? 1e3 * runs / s.total : 0;
  std::printf("axon bench %s: %s, opt level %d%s\n", Escaped(model_path).c_str(),
              Counted(session.threads(), "thread").c_str(), opt_level, Without(passes.disabled).c_str());
  for (const std::string& line : made) std::printf("made-up input %s\n", Escaped(line).c_str());
  std::printf("warmup: %s (the first %.3f ms); timed: %s in %.3f ms\n", Counted(warmup, "run").c_str(), first_ms,
              Counted(runs, "run").c_str(), s.total);
  std::printf("latency ms: min %.4f  median %.4f  p90 %.4f  max %.4f  mean %.4f\n", s.min, s.median, s.p90, s.max, s.mean);
  std::printf("throughput: %.2f runs/s\n", per_s);
  if (args.Flag("--json")) {
    std::string disabled;
    for (const std::string& name : passes.disabled) {
      if (!disabled.empty()) disabled += ',';
      disabled += JsonString(name);
    }
    std::printf("{\"model\":%s,\"threads\":%d,\"opt_level\":%d,\"runs\":%d,\"warmup\":%d,\"min_ms\":%s,\"median_ms\":%s,"
                "\"p90_ms\":%s,\"max_ms\":%s,\"mean_ms\":%s,\"runs_per_s\":%s,\"first_run_ms\":%s,\"disabled_passes\":[%s]}\n",
                JsonString(model_path).c_str(), session.threads(), opt_level, runs, warmup, JsonNumber(s.min).c_str(),
                JsonNumber(s.median).c_str(), JsonNumber(s.p90).c_str(), JsonNumber(s.max).c_str(),
                JsonNumber(s.mean).c_str(), JsonNumber(per_s).c_str(), JsonNumber(first_ms).c_str(), disabled.c_str());
  }
  return 0;
}

}  // namespace

AXON_COMMAND("bench", "time a model end to end: latency percentiles, throughput", kUsage, BenchMain);

}  // namespace axon::cli
