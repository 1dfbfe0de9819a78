// Dropout in training: its gradient applies exactly the forward mask, each step draws a new mask
// from the session's seed, a checkpoint resumes the draws bit for bit, the thread count changes
// nothing, and inference (Predict, Evaluate, the saved model) is the identity.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "graph/autodiff.h"
#include "graph/builder.h"
#include "runtime/session_factory.h"
#include "tests/runtime/training_test_util.h"

using namespace axon;
using namespace axon::training_test;
using graph::Dim;
using graph::Shape;

namespace {

constexpr int64_t kBatch = 8, kFeatures = 16;

// y = Dropout(x · w + b) with w [16] and b [16] per feature: each output element's gradient
// shows whether it was kept.
graph::Model DropoutModel(float ratio) {
  graph::GraphBuilder b("dropout_net");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), kFeatures}));
  std::vector<float> w(kFeatures), bias(kFeatures);
  for (int64_t i = 0; i < kFeatures; ++i) w[i] = 0.5f + 0.05f * static_cast<float>(i), bias[i] = 0.1f;
  auto h = b.Op("Add", {b.Op("Mul", {x, b.Weight("w", Tensor::FromVector(w, {kFeatures}))}),
                        b.Weight("b", Tensor::FromVector(bias, {kFeatures}))});
  b.Output(b.Op("Dropout", {h}, {{"ratio", ratio}}), "y");
  graph::Model m;
  m.graph = b.Build();
  return m;
}

std::vector<float> Inputs(int k) {
  std::vector<float> x(kBatch * kFeatures);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i) + static_cast<float>(k)) + 1.5f;
  return x;
}
std::vector<float> Targets(int k) {
  std::vector<float> t(kBatch * kFeatures);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = std::cos(0.11f * static_cast<float>(i) - static_cast<float>(k));
  return t;
}

float StepOn(TrainingSession& s, int k) {
  std::vector<float> x = Inputs(k), t = Targets(k);
  return s.Step(Tensor::View(x.data(), {kBatch, kFeatures}), Tensor::View(t.data(), {kBatch, kFeatures}));
}

}  // namespace

TEST_CASE("autodiff: Dropout's gradient is dY · mask / (1 - ratio) with the forward's own mask, exactly",
          "[autodiff][dropout]") {
  const int64_t n = 4096;
  graph::GraphBuilder b("g");
  auto x = b.Input("x", DType::kF32, Shape({n}));
  auto seed = b.Input("seed", DType::kI64, Shape({2}));
  auto r = b.Input("r", DType::kF32, Shape({n}));
  auto y = b.Op("Dropout", {x, seed}, {{"ratio", 0.3f}});
  auto loss = b.Op("ReduceSum", {b.Op("Mul", {y, r})}, {{"keepdims", int64_t{0}}});
  b.Output(y, "y");  // renames y where it is read too
  b.Output(loss, "loss");
  graph::Graph g = b.Build();
  graph::AppendGradients(g, "loss", {"x"});
  graph::Model m;
  m.graph = std::move(g);
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 2}, "g");
  // x = 1 makes y the mask times the scale; dL/dx must be r times exactly that.
  const std::vector<float> ones(n, 1.0f);
  std::vector<float> rs(n);
  for (int64_t i = 0; i < n; ++i) rs[i] = std::cos(0.3f * static_cast<float>(i)) + 0.25f;
  const Tensor key = Tensor::FromVector(std::vector<int64_t>{7, 11}, {2});
  const auto out = s.Run({{"x", Tensor::View(ones.data(), {n})}, {"seed", key}, {"r", Tensor::View(rs.data(), {n})}});
  const std::vector<float> ys = out[0].ToFloatVector(), dx = out[2].ToFloatVector();
  const float scale = 1.0f / 0.7f;
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    INFO("element " << i);
    REQUIRE((ys[i] == 0.0f || ys[i] == scale));
    kept += ys[i] != 0.0f;
    CHECK(dx[i] == (ys[i] == 0.0f ? 0.0f : rs[i] * scale));
  }
  CHECK(kept > 0);
  CHECK(kept < n);
}

TEST_CASE("training: Dropout draws a new mask every step from the seed, and a checkpoint resumes the draws bit for bit",
          "[training][dropout]") {
  const TrainingOptions options{.loss = "mse", .optimizer = {.name = "adam", .lr = 0.01f}, .seed = 2024};
  TrainingSession whole = Load(DropoutModel(0.25f), options);
  TrainingSession first = Load(DropoutModel(0.25f), options);
  std::vector<std::vector<float>> masks;
  for (int k = 0; k < 3; ++k) {
    StepOn(whole, k);
    StepOn(first, k);
    std::vector<float> kept;
    for (float v : whole.predictions().ToFloatVector()) kept.push_back(v != 0.0f);
    masks.push_back(kept);
  }
  CHECK(masks[0] != masks[1]);
  CHECK(masks[1] != masks[2]);
  ScratchFile file;
  first.SaveCheckpoint(file.path);
  CHECK(formats::ReadCheckpointFile(file.path).training->rng_seed == 2024);
  CHECK(formats::ReadCheckpointFile(file.path).training->rng_counter == 3);
  TrainingSession resumed = TrainingSession::Resume(file.path, {.threads = 2});
  CHECK(resumed.options().seed == 2024);
  for (int k = 3; k < 6; ++k) {
    const float a = StepOn(whole, k), b = StepOn(resumed, k);
    CHECK(std::memcmp(&a, &b, sizeof a) == 0);
    CHECK(Bytes(whole.predictions()) == Bytes(resumed.predictions()));
  }
  for (const std::string& p : whole.parameters()) CHECK(Bytes(whole.Parameter(p)) == Bytes(resumed.Parameter(p)));

  // Another seed draws other masks; the thread count changes nothing.
  TrainingSession other = Load(DropoutModel(0.25f), {.loss = "mse", .optimizer = {.name = "adam", .lr = 0.01f}, .seed = 7});
  TrainingSession threaded = Load(DropoutModel(0.25f), options, 2);
  const float a = StepOn(other, 0), b = StepOn(threaded, 0);
  TrainingSession again = Load(DropoutModel(0.25f), options);
  const float c = StepOn(again, 0);
  CHECK(a != c);
  CHECK(std::memcmp(&b, &c, sizeof b) == 0);
}

TEST_CASE("training: the gradient through Dropout is the masked, rescaled one (hand-derived)", "[training][dropout]") {
  // y = m·(x·w + b)/(1 - p); L = mean (y - t)²: dL/dw_j = Σ_n 2/(N·F)·(y - t)·m/(1 - p)·x, dL/db_j
  // the same without x. The mask is read off the predictions (x·w + b > 0 here).
  const float p = 0.5f;
  TrainingSession s = Load(DropoutModel(p), {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.1f}});
  std::vector<float> x = Inputs(0), t = Targets(0);
  s.ComputeGradients(Tensor::View(x.data(), {kBatch, kFeatures}), Tensor::View(t.data(), {kBatch, kFeatures}));
  const std::vector<float> y = s.predictions().ToFloatVector();
  const std::vector<float> w = s.Parameter("w").ToFloatVector(), b = s.Parameter("b").ToFloatVector();
  std::vector<double> gw(kFeatures, 0.0), gb(kFeatures, 0.0);
  int64_t dropped = 0;
  for (int64_t n = 0; n < kBatch; ++n)
    for (int64_t j = 0; j < kFeatures; ++j) {
      const std::size_t i = static_cast<std::size_t>(n * kFeatures + j);
      const double h = static_cast<double>(x[i]) * w[j] + b[j];
      const double m = y[i] != 0.0f ? 1.0 : 0.0;
      dropped += y[i] == 0.0f;
      if (m != 0.0) CHECK(y[i] == Approx(h / (1 - p)).epsilon(1e-6));
      const double dy = 2.0 * (m * h / (1 - p) - t[i]) / (kBatch * kFeatures) * m / (1 - p);
      gw[j] += dy * x[i];
      gb[j] += dy;
    }
  CHECK(dropped > 0);
  const std::vector<std::string>& names = s.parameters();
  for (std::size_t k = 0; k < names.size(); ++k) {
    const std::vector<double>& want = names[k] == "w" ? gw : gb;
    const std::vector<float> got = s.gradients()[k].ToFloatVector();
    for (int64_t j = 0; j < kFeatures; ++j) CHECK(got[j] == Approx(want[j]).margin(1e-6));
  }
}

TEST_CASE("training: Predict, Evaluate and the saved model run Dropout as the identity", "[training][dropout]") {
  TrainingSession s = Load(DropoutModel(0.5f), {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.05f}});
  StepOn(s, 0);
  std::vector<float> x = Inputs(1), t = Targets(1);
  const Tensor xt = Tensor::View(x.data(), {kBatch, kFeatures});
  const std::vector<float> w = s.Parameter("w").ToFloatVector(), b = s.Parameter("b").ToFloatVector();
  std::vector<float> want;
  for (int64_t n = 0; n < kBatch; ++n)
    for (int64_t j = 0; j < kFeatures; ++j) want.push_back(x[static_cast<std::size_t>(n * kFeatures + j)] * w[j] + b[j]);
  CHECK(s.Predict(xt)[0].ToFloatVector() == want);
  CHECK(s.Evaluate(xt, Tensor::View(t.data(), {kBatch, kFeatures})).predictions.ToFloatVector() == want);
  ScratchFile file;
  s.SaveModel(file.path);
  Session plain = Session::Load(file.path, {.threads = 1});
  CHECK(plain.Run({{"x", xt}})[0].ToFloatVector() == want);
}
