// The paths a training step takes for speed keep its results exact: the forward GEMMs of trained
// weights (passed unpacked, computed as Cᵀ when the batch is the smaller side) give the bits of the
// saved model's inference, where the same weights are packed once; the updates in place give the
// bits of any thread count; Step's SGD folded into the weight gradients gives the bits of the two phases.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "graph/builder.h"
#include "tests/runtime/training_test_util.h"

using namespace axon;
using namespace axon::training_test;
using graph::Dim;
using graph::Shape;

namespace {

Tensor Random(std::vector<int64_t> shape, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(static_cast<std::size_t>(ElementCount(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::FromVector(v, std::move(shape));
}

const char* const kNames[] = {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"};

// 40-96-10 ReLU MLP in PyTorch's layout (Gemm with transB), with the given weights.
std::string MlpBytes(const std::map<std::string, Tensor>& w) {
  graph::GraphBuilder b("mlp");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 40}));
  auto h = b.Op("Relu", {b.Op("Gemm", {x, b.Weight(kNames[0], w.at(kNames[0])), b.Weight(kNames[1], w.at(kNames[1]))},
                              {{"transB", int64_t{1}}})});
  b.Output(b.Op("Gemm", {h, b.Weight(kNames[2], w.at(kNames[2])), b.Weight(kNames[3], w.at(kNames[3]))},
                {{"transB", int64_t{1}}}),
           "y");
  graph::Model m;
  m.graph = b.Build();
  return formats::SerializeModel(m);
}

std::map<std::string, Tensor> Initial() {
  return {{kNames[0], Random({96, 40}, 1, 0.16f)},
          {kNames[1], Random({96}, 2, 0.16f)},
          {kNames[2], Random({10, 96}, 3, 0.1f)},
          {kNames[3], Random({10}, 4, 0.1f)}};
}

}  // namespace

TEST_CASE("training: steps at 1 and 2 threads give the same bits, and predictions those of the saved model",
          "[training]") {
  // Batch 21: at least a vector of rows and fewer than the 96 hidden units, with edge tiles.
  const Tensor x = Random({21, 40}, 5, 1.0f);
  std::vector<int64_t> classes(21);
  for (std::size_t i = 0; i < classes.size(); ++i) classes[i] = static_cast<int64_t>(i * 7 % 10);
  const Tensor labels = Tensor::FromVector(classes, {21});
  const std::string start = MlpBytes(Initial());
  std::vector<std::vector<char>> after[2];
  for (int threads : {1, 2}) {
    TrainingOptions options{.session = {.threads = threads}, .loss = "ce", .optimizer = {.name = "momentum", .lr = 0.05f}};
    TrainingSession s = TrainingSession::LoadFromBytes(start.data(), start.size(), options, "mlp");
    for (int step = 0; step < 4; ++step) s.Step(x, labels);
    std::map<std::string, Tensor> trained;
    for (const char* name : kNames) {
      trained[name] = s.Parameter(name);
      after[threads - 1].push_back(Bytes(trained[name]));
    }
    const std::string saved = MlpBytes(trained);
    Session plain = Session::LoadFromBytes(saved.data(), saved.size(), {.threads = threads});
    INFO(threads << " thread(s)");
    CHECK(Bytes(plain.Run({{"x", x}})[0]) == Bytes(s.Predict(x)[0]));
  }
  CHECK(after[0] == after[1]);
}

TEST_CASE("training: Step's SGD folded into the weight gradients gives the bits of the two phases", "[training][sgd_fold]") {
  // Step folds plain SGD into the weight-gradient GEMMs (runtime/sgd_fold.h); ComputeGradients
  // then ApplyOptimizer never fold. Batch 21: the sum in the GEMM's registers; batch 300: two K
  // blocks, the gradient through scratch. With and without weight decay, at 1 and 2 threads.
  const std::string start = MlpBytes(Initial());
  for (int64_t batch : {21, 300})
    for (float decay : {0.0f, 0.01f})
      for (int threads : {1, 2}) {
        INFO("batch " << batch << ", weight decay " << decay << ", " << threads << " thread(s)");
        const TrainingOptions options{.session = {.threads = threads},
                                      .loss = "ce",
                                      .optimizer = {.name = "sgd", .lr = 0.05f, .weight_decay = decay}};
        TrainingSession folded = TrainingSession::LoadFromBytes(start.data(), start.size(), options, "mlp");
        TrainingSession phases = TrainingSession::LoadFromBytes(start.data(), start.size(), options, "mlp");
        for (int step = 0; step < 3; ++step) {
          const Tensor x = Random({batch, 40}, 10 + static_cast<uint32_t>(step), 1.0f);
          std::vector<int64_t> classes(static_cast<std::size_t>(batch));
          for (std::size_t i = 0; i < classes.size(); ++i) classes[i] = static_cast<int64_t>((i * 7 + step) % 10);
          const Tensor labels = Tensor::FromVector(classes, {batch});
          const float a = folded.Step(x, labels);
          // The fold ran: it keeps no gradients to show.
          CHECK_THROWS_WITH(folded.gradients(), Catch::Contains("folded its SGD update") && Catch::Contains("ComputeGradients"));
          const float b = phases.ComputeGradients(x, labels);
          CHECK(phases.gradients().size() == 4);
          phases.ApplyOptimizer();
          CHECK(std::memcmp(&a, &b, sizeof a) == 0);
          CHECK(Bytes(folded.predictions()) == Bytes(phases.predictions()));
          for (const char* name : kNames) {
            INFO(name << " after step " << step + 1);
            CHECK(Bytes(folded.Parameter(name)) == Bytes(phases.Parameter(name)));
          }
        }
        CHECK(folded.step() == 3);
        // A NaN loss updates nothing, folded weights included.
        std::vector<float> bad(static_cast<std::size_t>(batch) * 40, 0.5f);
        bad[7] = std::nanf("");
        const Tensor labels = Tensor::FromVector(std::vector<int64_t>(static_cast<std::size_t>(batch), 3), {batch});
        std::vector<std::vector<char>> before;
        for (const char* name : kNames) before.push_back(Bytes(folded.Parameter(name)));
        CHECK_THROWS_WITH(folded.Step(Tensor::View(bad.data(), {batch, 40}), labels),
                          Catch::Contains("loss is NaN at step 4; the parameters were not updated"));
        for (std::size_t k = 0; k < before.size(); ++k) CHECK(Bytes(folded.Parameter(kNames[k])) == before[k]);
        CHECK(folded.step() == 3);
        // The two phases work on after a folded Step, and keep their gradients.
        folded.ComputeGradients(Random({batch, 40}, 99, 1.0f), labels);
        CHECK(folded.gradients().size() == 4);
      }
}
