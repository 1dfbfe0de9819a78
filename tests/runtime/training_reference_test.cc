// A whole training run against PyTorch 1.13: the same MLP, initial weights, batches and settings
// give the same losses and final weights (tests/data/training_reference.py made the numbers).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <filesystem>
#include <unistd.h>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "graph/builder.h"
#include "tests/runtime/training_torch_reference.h"

using namespace axon;
namespace ref = axon::torch_reference;

namespace {

// nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3)) as PyTorch exports it.
TrainingSession Mlp(const ref::Case& c) {
  graph::GraphBuilder b("mlp");
  auto x = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 4}));
  auto w = [&](const char* name, std::size_t i, std::vector<int64_t> shape) {
    return b.Weight(name, Tensor::FromVector(ref::kInitial[i], std::move(shape)));
  };
  auto h = b.Op("Relu", {b.Op("Gemm", {x, w("fc1.weight", 0, {5, 4}), w("fc1.bias", 1, {5})}, {{"transB", int64_t{1}}})});
  b.Output(b.Op("Gemm", {h, w("fc2.weight", 2, {3, 5}), w("fc2.bias", 3, {3})}, {{"transB", int64_t{1}}}), "y");
  graph::Model m;
  m.graph = b.Build();
  TrainingOptions options;
  options.session.threads = 1;
  options.loss = c.loss;
  options.optimizer.name = c.optimizer;
  options.optimizer.lr = c.lr;
  if (std::string(c.optimizer) == "sgd" || std::string(c.optimizer) == "momentum") {
    options.optimizer.momentum = c.momentum;
    options.optimizer.dampening = c.dampening;
    options.optimizer.nesterov = c.nesterov;
  }
  options.optimizer.weight_decay = c.weight_decay;
  const std::string bytes = formats::SerializeModel(m);
  return TrainingSession::LoadFromBytes(bytes.data(), bytes.size(), options, "mlp");
}

}  // namespace

TEST_CASE("training: an MLP follows PyTorch's trajectory for each loss and optimizer", "[training][torch]") {
  for (const ref::Case& c : ref::kCases) {
    INFO(c.name);
    TrainingSession s = Mlp(c);
    for (int k = 0; k < ref::kSteps; ++k) {
      const Tensor x = Tensor::View(ref::kX[static_cast<std::size_t>(k)].data(), {ref::kBatch, 4});
      std::vector<float> rounded;
      Tensor labels;
      if (std::string(c.loss) == "ce") {
        labels = Tensor::View(ref::kClasses[static_cast<std::size_t>(k)].data(), {ref::kBatch});
      } else {
        rounded = ref::kTargets[static_cast<std::size_t>(k)];
        if (std::string(c.loss) == "bce-logits")
          for (float& v : rounded) v = std::round(v);
        labels = Tensor::View(rounded.data(), {ref::kBatch, 3});
      }
      INFO("step " << k + 1);
      CHECK(s.Step(x, labels) == Approx(c.losses[static_cast<std::size_t>(k)]).epsilon(1e-5));
    }
    const char* names[] = {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"};
    for (std::size_t i = 0; i < 4; ++i) {
      INFO(names[i]);
      const std::vector<float> got = s.Parameter(names[i]).ToFloatVector();
      REQUIRE(got.size() == c.final[i].size());
      for (std::size_t j = 0; j < got.size(); ++j) CHECK(got[j] == Approx(c.final[i][j]).epsilon(1e-5).margin(1e-6));
    }
  }
}

namespace {

// Trains `m` (whose initializers are names[i] = initial[i]) for kSteps steps of CE on `x(k)` and
// the reference classes, checking each loss and, from the saved model, every parameter and running
// statistic after the last step.
void CheckAgainstTorch(const graph::Model& m, const OptimizerOptions& optimizer, const std::vector<std::string>& names,
                       const std::function<Tensor(int)>& x, const std::vector<float>& losses,
                       const std::vector<std::vector<float>>& final) {
  TrainingOptions options;
  options.session.threads = 1;
  options.loss = "ce";
  options.optimizer = optimizer;
  const std::string bytes = formats::SerializeModel(m);
  TrainingSession s = TrainingSession::LoadFromBytes(bytes.data(), bytes.size(), options, m.graph.name);
  for (int k = 0; k < ref::kSteps; ++k) {
    INFO("step " << k + 1);
    const Tensor labels = Tensor::View(ref::kClasses[static_cast<std::size_t>(k)].data(), {ref::kBatch});
    CHECK(s.Step(x(k), labels) == Approx(losses[static_cast<std::size_t>(k)]).epsilon(1e-5));
  }
  // The running statistics live in the saved model, beside the parameters.
  const std::string path =
      (std::filesystem::temp_directory_path() / ("axon_" + m.graph.name + "_" + std::to_string(::getpid()) + ".axon")).string();
  s.SaveModel(path);
  const graph::Model saved = formats::ReadModelFile(path);
  std::filesystem::remove(path);
  for (std::size_t i = 0; i < names.size(); ++i) {
    INFO(names[i]);
    const std::vector<float> got = saved.graph.initializers.at(names[i]).ToFloatVector();
    REQUIRE(got.size() == final[i].size());
    for (std::size_t j = 0; j < got.size(); ++j) CHECK(got[j] == Approx(final[i][j]).epsilon(1e-5).margin(1e-6));
  }
}

}  // namespace

TEST_CASE("training: an MLP with BatchNorm1d in train() follows PyTorch's trajectory, running statistics included",
          "[training][torch][batchnorm]") {
  // nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3)) exported in
  // train(): the BatchNormalization node marked exported_for_training, ONNX's momentum 0.9.
  const std::vector<std::string> names = {"0.weight",       "0.bias",        "1.weight", "1.bias",
                                          "1.running_mean", "1.running_var", "3.weight", "3.bias"};
  const std::vector<int64_t> shapes[] = {{5, 4}, {5}, {5}, {5}, {5}, {5}, {3, 5}, {3}};
  graph::GraphBuilder b("bn_mlp");
  std::vector<std::string> w;
  for (std::size_t i = 0; i < 8; ++i) w.push_back(b.Weight(names[i], Tensor::FromVector(ref::kBatchNormInitial[i], shapes[i])));
  auto x = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 4}));
  auto h = b.Op("Gemm", {x, w[0], w[1]}, {{"transB", int64_t{1}}});
  h = b.Op("BatchNormalization", {h, w[2], w[3], w[4], w[5]}, {{"momentum", 0.9f}, {"exported_for_training", int64_t{1}}});
  b.Output(b.Op("Gemm", {b.Op("Relu", {h}), w[6], w[7]}, {{"transB", int64_t{1}}}), "y");
  graph::Model m;
  m.graph = b.Build();
  CheckAgainstTorch(
      m, {.name = "momentum", .lr = 0.1f, .momentum = 0.9f}, names,
      [](int k) { return Tensor::View(ref::kX[static_cast<std::size_t>(k)].data(), {ref::kBatch, 4}); },
      ref::kBatchNormLosses, ref::kBatchNormFinal);
}

TEST_CASE("training: a CNN with BatchNorm2d in train() follows PyTorch's trajectory, running statistics included",
          "[training][torch][batchnorm]") {
  // nn.Conv2d(1, 2, 3, bias=False), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(18, 3), Adam.
  const std::vector<std::string> names = {"0.weight",      "1.weight", "1.bias", "1.running_mean",
                                          "1.running_var", "4.weight", "4.bias"};
  const std::vector<int64_t> shapes[] = {{2, 1, 3, 3}, {2}, {2}, {2}, {2}, {3, 18}, {3}};
  graph::GraphBuilder b("bn_cnn");
  std::vector<std::string> w;
  for (std::size_t i = 0; i < names.size(); ++i)
    w.push_back(b.Weight(names[i], Tensor::FromVector(ref::kConvBatchNormInitial[i], shapes[i])));
  auto x = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 1, 5, 5}));
  auto h = b.Op("Conv", {x, w[0]}, {{"kernel_shape", std::vector<int64_t>{3, 3}}});
  h = b.Op("BatchNormalization", {h, w[1], w[2], w[3], w[4]}, {{"momentum", 0.9f}, {"exported_for_training", int64_t{1}}});
  h = b.Op("Flatten", {b.Op("Relu", {h})}, {{"axis", int64_t{1}}});
  b.Output(b.Op("Gemm", {h, w[5], w[6]}, {{"transB", int64_t{1}}}), "y");
  graph::Model m;
  m.graph = b.Build();
  CheckAgainstTorch(
      m, {.name = "adam", .lr = 0.01f}, names,
      [](int k) { return Tensor::View(ref::kConvImages[static_cast<std::size_t>(k)].data(), {ref::kBatch, 1, 5, 5}); },
      ref::kConvBatchNormLosses, ref::kConvBatchNormFinal);
}
