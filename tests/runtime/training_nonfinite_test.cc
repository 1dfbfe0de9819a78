// TrainingSession refuses NaN and infinity on the way in (a hand-made model's weight, an edited or
// pre-checksum checkpoint's parameter or optimizer slot), naming the tensor, instead of training
// on until the loss turns NaN and the learning rate gets the blame.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "graph/builder.h"
#include "tests/runtime/training_test_util.h"

using namespace axon;
using namespace axon::training_test;

namespace {

// y = x·Wᵀ + b, W [3,2] and b [3], with `w[4]` as given.
graph::Model Linear(float w4) {
  graph::GraphBuilder b("linear");
  auto x = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 2}));
  const std::vector<float> w = {0.3f, -0.2f, 0.5f, 0.1f, w4, 0.6f}, bias = {0.1f, -0.1f, 0.05f};
  b.Output(b.Op("Gemm", {x, b.Weight("w", Tensor::FromVector(w, {3, 2})), b.Weight("b", Tensor::FromVector(bias, {3}))},
                {{"transB", int64_t{1}}}),
           "y");
  graph::Model m;
  m.graph = b.Build();
  return m;
}

const std::vector<float> kX = {0.5f, -1.0f, 2.0f, 0.25f};
const std::vector<float> kT = {1.0f, -0.5f, 0.25f, 0.0f, 1.0f, 2.0f};

}  // namespace

TEST_CASE("training: a model whose trainable parameter holds NaN or infinity is refused, naming it", "[training]") {
  const TrainingOptions options{.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.1f}};
  CHECK_THROWS_WITH(Load(Linear(std::nanf("")), options),
                    Catch::Contains("net.axon: trainable parameter 'w' holds NaN (element 4 of 6): training needs finite values"));
  CHECK_THROWS_WITH(Load(Linear(-std::numeric_limits<float>::infinity()), options),
                    Catch::Contains("trainable parameter 'w' holds -inf (element 4 of 6)"));
  CHECK_NOTHROW(Load(Linear(-0.4f), options));
}

TEST_CASE("training: Resume refuses a checkpoint whose parameter or optimizer slot holds NaN or infinity", "[training]") {
  TrainingSession s = Load(Linear(-0.4f), {.loss = "mse", .optimizer = {.name = "momentum", .lr = 0.1f}});
  s.Step(Tensor::View(kX.data(), {2, 2}), Tensor::View(kT.data(), {2, 3}));
  ScratchFile file;
  s.SaveCheckpoint(file.path);
  const formats::Checkpoint saved = formats::ReadCheckpointFile(file.path);
  CHECK_NOTHROW(TrainingSession::Resume(file.path));

  formats::Checkpoint c = saved;
  REQUIRE(c.training->slots.at("b").size() == 1);
  auto& [slot, value] = *c.training->slots.at("b").begin();
  value = value.Clone();
  value.data<float>()[2] = std::numeric_limits<float>::infinity();
  formats::WriteCheckpointFile(c, file.path);
  CHECK_THROWS_WITH(TrainingSession::Resume(file.path),
                    Catch::Contains("the checkpoint's optimizer slot '" + slot + "' of parameter 'b' holds +inf (element 2 of 3)"));

  c = saved;
  Tensor w = c.model.graph.initializers.at("w").Clone();
  w.data<float>()[0] = std::nanf("");
  c.model.graph.initializers.insert_or_assign("w", w);
  formats::WriteCheckpointFile(c, file.path);
  CHECK_THROWS_WITH(TrainingSession::Resume(file.path), Catch::Contains("trainable parameter 'w' holds NaN (element 0 of 6)"));
}
