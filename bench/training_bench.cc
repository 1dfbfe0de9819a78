// Axon's side of bench/compare_training; bench/torch_training_bench.py is PyTorch's and measures the
// same way, on the same files (bench/export_training.py):
//   axon_training_bench xor MODEL_DIR THREADS EPOCHS
//       the seed's XOR net, full-batch SGD (lr 0.5) with MSE for EPOCHS epochs, timed as a whole
//       (from the loaded session: the first step, which plans, included)
//   axon_training_bench mlp MODEL_DIR THREADS BATCH
//       the 784-512-512-10 MLP, softmax cross-entropy and SGD (lr 0.01), one step at a time on one
//       batch: 10 untimed steps (their losses are the trajectory both sides must share), then timed
//       steps; then the two phases timed apart, and inference of the same model on the same batch
// Prints one JSON line: wall and process CPU time (ms; per step for mlp, in all for xor), losses,
// and for mlp the medians of the gradient phase (forward, loss, backward), the update phase and
// one inference run (Session::RunInto).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "axon/axon.h"
#include "formats/npy.h"

namespace {

using Clock = std::chrono::steady_clock;

// CPU time of all the process's threads: the work, whatever share of the cores the machine gave.
double ProcessCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double MsSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Runs setup() then f() until f ran at least 30 times and a second passed (at most 2000 times);
// returns f's median wall time and stores its mean process CPU time in cpu_ms.
template <class Setup, class F>
double Timed(Setup&& setup, F&& f, double& cpu_ms) {
  std::vector<double> times;
  double cpu = 0.0;
  const auto start = Clock::now();
  while (times.size() < 30 || (MsSince(start) < 1000.0 && times.size() < 2000)) {
    setup();
    const double cpu0 = ProcessCpuMs();
    const auto t0 = Clock::now();
    f();
    times.push_back(MsSince(t0));
    cpu += ProcessCpuMs() - cpu0;
  }
  cpu_ms = cpu / static_cast<double>(times.size());
  return Median(std::move(times));
}

int Xor(const std::string& dir, int threads, int epochs) {
  const axon::Tensor x = axon::formats::ReadNpyFile(dir + "/xor.x.npy");
  const axon::Tensor y = axon::formats::ReadNpyFile(dir + "/xor.y.npy");
  axon::TrainingSession t = axon::TrainingSession::Load(
      dir + "/xor.onnx", {.session = {.threads = threads}, .loss = "mse", .optimizer = {.name = "sgd", .lr = 0.5f}});
  float loss = 0.0f;
  const double cpu0 = ProcessCpuMs();
  const auto t0 = Clock::now();
  for (int e = 0; e < epochs; ++e) loss = t.Step(x, y);
  const double wall_ms = MsSince(t0), cpu_ms = ProcessCpuMs() - cpu0;
  std::printf("{\"threads\": %d, \"wall_ms\": %.3f, \"cpu_ms\": %.3f, \"epochs\": %d, \"loss\": %.9g}\n", t.threads(),
              wall_ms, cpu_ms, epochs, loss);
  return 0;
}

int Mlp(const std::string& dir, int threads, int batch) {
  const std::string b = std::to_string(batch);
  const axon::Tensor x = axon::formats::ReadNpyFile(dir + "/mlp.x." + b + ".npy");
  const axon::Tensor y = axon::formats::ReadNpyFile(dir + "/mlp.y." + b + ".npy");
  const std::string model = dir + "/mlp.onnx";
  axon::TrainingSession t = axon::TrainingSession::Load(
      model, {.session = {.threads = threads}, .loss = "ce", .optimizer = {.name = "sgd", .lr = 0.01f}});
  std::vector<float> losses;
  for (int i = 0; i < 10; ++i) losses.push_back(t.Step(x, y));

  double cpu_ms = 0.0, grad_cpu_ms = 0.0, update_cpu_ms = 0.0, infer_cpu_ms = 0.0;
  auto nothing = [] {};
  const double median_ms = Timed(nothing, [&] { t.Step(x, y); }, cpu_ms);
  const double grad_ms = Timed(nothing, [&] { t.ComputeGradients(x, y); }, grad_cpu_ms);
  const double update_ms = Timed([&] { t.ComputeGradients(x, y); }, [&] { t.ApplyOptimizer(); }, update_cpu_ms);

  axon::Session s = axon::Session::Load(model, {.threads = threads});
  const std::vector<axon::Tensor> in = {x};
  std::vector<axon::Tensor> out = {axon::Tensor::Zeros(axon::DType::kF32, s.OutputShapes(in)[0])};
  for (int i = 0; i < 3; ++i) s.RunInto(in, out);
  const double infer_ms = Timed(nothing, [&] { s.RunInto(in, out); }, infer_cpu_ms);

  std::printf(
      "{\"threads\": %d, \"median_ms\": %.4f, \"cpu_ms\": %.4f, \"loss_first\": %.9g, \"loss_10\": %.9g, "
      "\"grad_ms\": %.4f, \"grad_cpu_ms\": %.4f, \"update_ms\": %.4f, \"update_cpu_ms\": %.4f, "
      "\"infer_ms\": %.4f, \"infer_cpu_ms\": %.4f}\n",
      t.threads(), median_ms, cpu_ms, losses[0], losses[9], grad_ms, grad_cpu_ms, update_ms, update_cpu_ms,
      infer_ms, infer_cpu_ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 5 ? argv[1] : "";
  if (mode != "xor" && mode != "mlp") {
    std::fprintf(stderr, "usage: %s xor MODEL_DIR THREADS EPOCHS | mlp MODEL_DIR THREADS BATCH\n", argv[0]);
    return 2;
  }
  try {
    const int threads = std::atoi(argv[3]), n = std::atoi(argv[4]);
    return mode == "xor" ? Xor(argv[2], threads, n) : Mlp(argv[2], threads, n);
  } catch (const axon::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
