// axon demo: the seed's 2-4-1 sigmoid network trained on XOR with MSE and SGD, saved, loaded back
// and run; then an MLP trained on a generated 3-class spiral, saved, reloaded and scored.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "formats/npy.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/mlp.h"
#include "tools/output_names.h"
#include "tools/train_data.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon demo [-o MODEL] [--seed N]

1. The seed's XOR network: 2 inputs, 4 sigmoid hidden units, 1 sigmoid output, initialized as
   torch.nn.Linear does, trained on the four XOR cases with the mean squared error and plain
   SGD (lr 0.5, full batch), printing the loss every 1000 epochs as the seed's example
   does, until the loss is below 0.01. Saves it as MODEL (default xor.axon in the current
   directory) and the four inputs as x.npy beside it, loads the model back, runs it and checks
   all four answers. Prints a command, with full paths, that runs the saved model again.
2. A 2-64-64-3 ReLU MLP trained on a generated 3-class spiral (300 points) with cross-entropy
   and Adam, saved as spiral.axon beside MODEL, reloaded and scored: accuracy (at least 95%) on
   its training points and on 3000 new points of the same spirals, and the time taken.

options:
  -o, --output MODEL   where to save the XOR model (default ./xor.axon)
  --seed N             seed of the initializations and of the spiral data (default 0)
)";

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

TrainingSession Trainable(const graph::Model& model, const TrainingOptions& options) {
  const std::string bytes = formats::SerializeModel(model);
  return TrainingSession::LoadFromBytes(bytes.data(), bytes.size(), options, "demo");
}

// The model with the session's trained parameters.
graph::Model Trained(graph::Model model, const TrainingSession& session) {
  for (const std::string& p : session.parameters()) model.graph.initializers[p] = session.Parameter(p);
  return model;
}

std::string AbsolutePath(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

void XorDemo(const std::string& path, uint64_t seed) {
  const std::vector<float> xs = {0, 0, 0, 1, 1, 0, 1, 1}, ts = {0, 1, 1, 0};
  const Tensor x = Tensor::View(xs.data(), {4, 2}), t = Tensor::View(ts.data(), {4, 1});
  graph::Model model = BuildMlp({.layers = {2, 4, 1}, .activation = "sigmoid", .activate_output = true, .seed = seed});
  model.graph.name = "xor_2_4_1";
  model.metadata["description"] = "the seed's XOR network 2-4-1, sigmoid, trained with MSE and SGD";
  std::printf("training the seed's 2-4-1 sigmoid XOR network: MSE, SGD (lr 0.5), full batch\n");
  TrainingSession session =
      Trainable(model, {.session = {.threads = 1}, .loss = "mse", .optimizer = {.name = "sgd", .lr = 0.5f}});
  const auto start = Clock::now();
  constexpr int kMaxEpochs = 100000;
  float loss = 1;
  int epoch = 0;
  for (; epoch < kMaxEpochs && !(loss < 0.01f); ++epoch) {
    loss = session.Step(x, t);
    if (epoch % 1000 == 0) std::printf("Epoch %d, Loss: %.8g\n", epoch, loss);
  }
  if (!(loss < 0.01f))
    throw Error(ErrorCode::kInternal, "XOR did not train: loss " + std::to_string(loss) + " after " + std::to_string(epoch) +
                                          " epochs (try another --seed)");
  std::printf("Epoch %d, Loss: %.8g: below 0.01 after %d epochs (%.3f s)\n", epoch - 1, loss, epoch, Seconds(start));

  const std::string inputs = (std::filesystem::path(path).parent_path() / "x.npy").string();
  // The model and its inputs are written together: both appear, or neither.
  formats::FileBatch batch;
  formats::StageModelFile(batch, Trained(model, session), path);
  formats::StageNpyFile(batch, inputs, x);
  batch.Commit();
  const std::string model_file = AbsolutePath(path), inputs_file = AbsolutePath(inputs);
  std::printf("trained the seed's 2-4-1 sigmoid XOR network and saved it to %s\n", model_file.c_str());
  std::printf("saved the four XOR inputs to %s\n", inputs_file.c_str());

  Session loaded = Session::Load(path, {.threads = 1});
  std::printf("loaded it back: input %s, output %s\n", loaded.inputs()[0].ToString().c_str(),
              loaded.outputs()[0].ToString().c_str());
  const std::vector<Tensor> out = loaded.Run({{"x", x}});
  const float* y = out[0].data<float>();
  std::printf("\n  x1  x2  | xor | y\n");
  int right = 0;
  for (int i = 0; i < 4; ++i) {
    const int want = static_cast<int>(xs[2 * i]) ^ static_cast<int>(xs[2 * i + 1]);
    const bool ok = (y[i] > 0.5f) == (want == 1);
    right += ok;
    std::printf("  %2.0f  %2.0f  |  %d  | %.6f %s\n", xs[2 * i], xs[2 * i + 1], want, y[i], ok ? "right" : "WRONG");
  }
  std::printf("\n%d of 4 answers right\n", right);
  if (right != 4) throw Error(ErrorCode::kInternal, "the trained XOR network answers " + std::to_string(4 - right) + " case(s) wrong");
  // The binary actually running, so the command works as printed even where axon is not on PATH.
  std::error_code ec;
  std::string axon = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec || axon.empty()) axon = "axon";
  std::printf("run it again with: %s run %s -i %s\n", ShellQuoted(axon).c_str(), ShellQuoted(model_file).c_str(),
              ShellQuoted(inputs_file).c_str());
}

// Three interleaved spiral arms in the plane, `per_class` points each (the cs231n set): radius
// 0..1, angle 4 radians per arm plus N(0, 0.2) noise.
std::pair<Tensor, Tensor> Spiral(int64_t per_class, uint64_t seed) {
  constexpr int64_t kClasses = 3;
  Tensor x = Tensor::Zeros(DType::kF32, {per_class * kClasses, 2});
  Tensor y = Tensor::Zeros(DType::kI64, {per_class * kClasses});
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.2);
  for (int64_t c = 0; c < kClasses; ++c)
    for (int64_t i = 0; i < per_class; ++i) {
      const int64_t k = c * per_class + i;
      const double r = per_class > 1 ? static_cast<double>(i) / static_cast<double>(per_class - 1) : 0.0;
      const double angle = 4.0 * (static_cast<double>(c) + r) + noise(rng);
      x.data<float>()[2 * k] = static_cast<float>(r * std::sin(angle));
      x.data<float>()[2 * k + 1] = static_cast<float>(r * std::cos(angle));
      y.data<int64_t>()[k] = c;
    }
  return {x, y};
}

double Accuracy(Session& session, const Tensor& x, const Tensor& y) {
  const Tensor logits = session.Run({{session.inputs()[0].name, x}})[0];
  int64_t count = 0;
  const int64_t right = CountCorrect("ce", logits, y, count);
  return 100.0 * static_cast<double>(right) / static_cast<double>(count);
}

void SpiralDemo(const std::string& xor_path, uint64_t seed) {
  const std::string path = (std::filesystem::path(xor_path).parent_path() / "spiral.axon").string();
  const auto [x, y] = Spiral(100, seed);
  const graph::Model model = BuildMlp({.layers = {2, 64, 64, 3}, .activation = "relu", .seed = seed});
  constexpr int kEpochs = 300, kBatch = 32;
  std::printf("\ntraining a 2-64-64-3 ReLU MLP on a 3-class spiral (%lld points): cross-entropy, Adam (lr 0.01), "
              "batch %d, shuffled, %d epochs\n",
              static_cast<long long>(x.shape()[0]), kBatch, kEpochs);
  TrainingSession session = Trainable(model, {.session = {.threads = 1}, .loss = "ce", .optimizer = {.name = "adam", .lr = 0.01f}});
  const Dataset data{x, y, 0, x.shape()[0]};
  Batcher batcher(data);
  const auto start = Clock::now();
  for (int epoch = 0; epoch < kEpochs; ++epoch) {
    const std::vector<int64_t> order = EpochOrder(data.size(), true, seed, epoch);
    double loss_sum = 0;
    for (int64_t first = 0; first < data.size(); first += kBatch) {
      const int64_t n = std::min<int64_t>(kBatch, data.size() - first);
      const auto [bx, by] = batcher.Gather(order, first, n);
      loss_sum += static_cast<double>(session.Step(*bx, *by)) * static_cast<double>(n);
    }
    if ((epoch + 1) % 50 == 0) std::printf("epoch %d, loss %.6f\n", epoch + 1, loss_sum / static_cast<double>(data.size()));
  }
  const double train_seconds = Seconds(start);
  formats::WriteModelFile(Trained(model, session), path);
  Session loaded = Session::Load(path, {.threads = 1});
  const double train_accuracy = Accuracy(loaded, x, y);
  const auto [test_x, test_y] = Spiral(1000, seed + 1);
  const double test_accuracy = Accuracy(loaded, test_x, test_y);
  std::printf("saved it to %s, loaded it back: accuracy %.1f%% on its training points, %.1f%% on 3000 new points; "
              "trained in %.2f s (%d steps)\n",
              AbsolutePath(path).c_str(), train_accuracy, test_accuracy, train_seconds, static_cast<int>(session.step()));
  if (train_accuracy < 95.0)
    throw Error(ErrorCode::kInternal, "the spiral MLP reached only " + std::to_string(train_accuracy) + "% (try another --seed)");
}

int DemoMain(const std::vector<std::string>& argv) {
  Args args("demo", argv, {"-o", "--seed"}, {}, {{"--output", "-o"}});
  args.MaxPositional(0);
  const std::string path = args.Value("-o").value_or("xor.axon");
  const uint64_t seed = args.Uint64Value("--seed", 0);
  CheckWritableTarget(path);  // before the training it would waste
  // The demo also writes x.npy and spiral.axon beside MODEL: MODEL must be neither.
  for (const char* beside : {"x.npy", "spiral.axon"})
    if (SameFile(path, (std::filesystem::path(path).parent_path() / beside).string()))
      args.Fail("-o " + path + " names the file the demo writes its " +
                (std::string(beside) == "x.npy" ? "XOR inputs" : "spiral model") + " to (" + beside + " beside MODEL)");
  XorDemo(path, seed);
  SpiralDemo(path, seed);
  return 0;
}

}  // namespace

AXON_COMMAND("demo", "train the seed's XOR network and a spiral classifier, save, reload and run them", kUsage, DemoMain);

}  // namespace axon::cli
