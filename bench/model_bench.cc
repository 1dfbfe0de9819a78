// One model through Axon's Session, measured as bench/ort_bench.js measures ONNX Runtime, so that
// bench/compare_models can put the two side by side:
//   axon_model_bench MODEL INPUT.npy OUTPUT.npy THREADS
// loads MODEL (.onnx or .axon), runs it on INPUT.npy, writes the output to OUTPUT.npy, and prints
// one JSON line:
//   load_ms   Session::Load (read, import, verify, graph passes)
//   first_ms  the first run (plans it: shapes, kernel binding, weight packing, arena)
//   median_ms median of the timed runs into preallocated outputs (RunInto), after warmup; no file
//             I/O inside the timing; runs: how many (at least 20 and at least a second's worth)
//   cpu_ms    the process's CPU time (user + system) over the timed runs, per run: the work, on a
//             machine where other processes take turns on the cores
//   rss_base_mb, rss_peak_mb  the process's peak resident set before loading, and at the end
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "axon/axon.h"
#include "formats/npy.h"

namespace {

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// User plus system CPU time of the whole process, in ms: on a shared machine the work done,
// whatever share of a core the scheduler gave.
double ProcessCpuMs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
          static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3);
}

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MODEL INPUT.npy OUTPUT.npy THREADS\n", argv[0]);
    return 2;
  }
  try {
    const axon::Tensor input = axon::formats::ReadNpyFile(argv[2]);
    const int threads = std::atoi(argv[4]);
    const double rss_base = PeakRssMb();

    auto t0 = std::chrono::steady_clock::now();
    axon::Session session = axon::Session::Load(argv[1], {.threads = threads});
    const double load_ms = MsSince(t0);
    if (session.inputs().size() != 1 || session.outputs().size() != 1)
      throw axon::Error(axon::ErrorCode::kUnsupported, std::string(argv[1]) + ": the bench takes one input and one output");

    const std::vector<axon::Tensor> inputs = {input};
    t0 = std::chrono::steady_clock::now();
    const std::vector<std::vector<int64_t>> shapes = session.OutputShapes(inputs);
    std::vector<axon::Tensor> outputs = {axon::Tensor::Zeros(session.outputs()[0].dtype, shapes[0])};
    session.RunInto(inputs, outputs);
    const double first_ms = MsSince(t0);

    for (int i = 0; i < 3; ++i) session.RunInto(inputs, outputs);
    std::vector<double> times;
    const double cpu_start = ProcessCpuMs();
    const auto start = std::chrono::steady_clock::now();
    while (times.size() < 20 || (MsSince(start) < 1000.0 && times.size() < 5000)) {
      t0 = std::chrono::steady_clock::now();
      session.RunInto(inputs, outputs);
      times.push_back(MsSince(t0));
    }
    const double cpu_ms = (ProcessCpuMs() - cpu_start) / static_cast<double>(times.size());
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
    const double median_ms = times[times.size() / 2];

    axon::formats::WriteNpyFile(argv[3], outputs[0]);
    std::printf(
        "{\"load_ms\": %.3f, \"first_ms\": %.3f, \"median_ms\": %.4f, \"cpu_ms\": %.4f, \"runs\": %zu, "
        "\"threads\": %d, \"rss_base_mb\": %.1f, \"rss_peak_mb\": %.1f}\n",
        load_ms, first_ms, median_ms, cpu_ms, times.size(), session.threads(), rss_base, PeakRssMb());
  } catch (const axon::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
