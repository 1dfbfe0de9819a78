// The paths a training step takes for speed keep its results exact: the forward GEMMs of trained
// weights (passed unpacked, computed as Cᵀ when the batch is the smaller side) give the bits of the
// saved model's inference, where the same weights are packed once; the updates in place give the
// bits of any thread count.
#include <catch2/catch.hpp>

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
