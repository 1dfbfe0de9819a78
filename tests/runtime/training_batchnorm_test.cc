// BatchNormalization trained in training mode (a PyTorch export after model.train(), marked
// exported_for_training by the ONNX importer): one step of a Linear + BatchNorm1d net against the
// hand-derived backward pass and torch's running-statistics update, the running statistics as
// state (not trained, updated each step, checkpointed, used by inference and the saved model).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "graph/builder.h"
#include "tests/runtime/training_test_util.h"

using namespace axon;
using namespace axon::training_test;
using graph::Dim;
using graph::Shape;

namespace {

constexpr int64_t kN = 4;
const std::vector<float> kW = {0.5f, -0.25f, 1.0f, 0.75f};  // [2 out, 2 in]
const std::vector<float> kGamma = {1.0f, 0.5f}, kBeta = {0.0f, 0.1f};
const std::vector<float> kRunMean = {0.2f, -0.1f}, kRunVar = {1.5f, 0.8f};
const std::vector<float> kX = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f, 1.0f, 1.0f};
const std::vector<float> kT = {1, 0, 0, 1, 0.5f, 0.5f, -1, 2};

// y = BatchNorm1d(x · Wᵀ), the node marked as a training-mode export.
graph::Model Net(bool exported_for_training = true) {
  graph::GraphBuilder b("bn_net");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 2}));
  auto h = b.Op("Gemm", {x, b.Weight("w", Tensor::FromVector(kW, {2, 2}))}, {{"transB", int64_t{1}}});
  auto y = b.Op("BatchNormalization",
                {h, b.Weight("bn.weight", Tensor::FromVector(kGamma, {2})), b.Weight("bn.bias", Tensor::FromVector(kBeta, {2})),
                 b.Weight("bn.running_mean", Tensor::FromVector(kRunMean, {2})),
                 b.Weight("bn.running_var", Tensor::FromVector(kRunVar, {2}))},
                {{"exported_for_training", int64_t{exported_for_training}}});
  b.Output(y, "y");
  graph::Model m;
  m.graph = b.Build();
  return m;
}

// The step by hand, in double: forward with batch statistics, MSE, backward through them.
struct HandStep {
  double loss = 0;
  double w[4], gamma[2], beta[2], mean[2], var[2];
};
HandStep ByHand(double lr) {
  HandStep r;
  double h[kN][2], xhat[kN][2], dy[kN][2], inv[2], bmean[2], bvar[2];
  for (int n = 0; n < kN; ++n)
    for (int o = 0; o < 2; ++o) h[n][o] = kX[2 * n] * kW[2 * o] + kX[2 * n + 1] * kW[2 * o + 1];
  for (int o = 0; o < 2; ++o) {
    double s = 0, sq = 0;
    for (int n = 0; n < kN; ++n) s += h[n][o];
    bmean[o] = s / kN;
    for (int n = 0; n < kN; ++n) sq += (h[n][o] - bmean[o]) * (h[n][o] - bmean[o]);
    bvar[o] = sq / kN;
    inv[o] = 1 / std::sqrt(bvar[o] + 1e-5);
    // torch: running = (1 − 0.1)·running + 0.1·stat, the variance unbiased (÷ (N − 1)).
    r.mean[o] = 0.9 * kRunMean[o] + 0.1 * bmean[o];
    r.var[o] = 0.9 * kRunVar[o] + 0.1 * sq / (kN - 1);
  }
  for (int n = 0; n < kN; ++n)
    for (int o = 0; o < 2; ++o) {
      xhat[n][o] = (h[n][o] - bmean[o]) * inv[o];
      const double y = kGamma[o] * xhat[n][o] + kBeta[o];
      r.loss += (y - kT[2 * n + o]) * (y - kT[2 * n + o]) / (2 * kN);
      dy[n][o] = 2 * (y - kT[2 * n + o]) / (2 * kN);
    }
  double dw[4] = {0, 0, 0, 0};
  for (int o = 0; o < 2; ++o) {
    double sdy = 0, sdyx = 0;
    for (int n = 0; n < kN; ++n) sdy += dy[n][o], sdyx += dy[n][o] * xhat[n][o];
    r.gamma[o] = kGamma[o] - lr * sdyx;
    r.beta[o] = kBeta[o] - lr * sdy;
    for (int n = 0; n < kN; ++n) {
      const double dh = kGamma[o] * inv[o] * (dy[n][o] - sdy / kN - xhat[n][o] * sdyx / kN);
      dw[2 * o] += dh * kX[2 * n];
      dw[2 * o + 1] += dh * kX[2 * n + 1];
    }
  }
  for (int i = 0; i < 4; ++i) r.w[i] = kW[i] - lr * dw[i];
  return r;
}

}  // namespace

TEST_CASE("training: one SGD step of Linear + BatchNorm1d in training mode equals the hand-derived one",
          "[training][batchnorm]") {
  TrainingSession s = Load(Net(), {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.1f}});
  // The running statistics are state, not parameters.
  CHECK(s.parameters() == std::vector<std::string>{"bn.bias", "bn.weight", "w"});
  const float loss = s.Step(Tensor::View(kX.data(), {kN, 2}), Tensor::View(kT.data(), {kN, 2}));
  const HandStep want = ByHand(0.1);
  CHECK(loss == Approx(want.loss).epsilon(1e-5));
  const std::vector<float> w = s.Parameter("w").ToFloatVector(), g = s.Parameter("bn.weight").ToFloatVector(),
                           b = s.Parameter("bn.bias").ToFloatVector();
  for (int i = 0; i < 4; ++i) CHECK(w[i] == Approx(want.w[i]).margin(1e-6));
  for (int o = 0; o < 2; ++o) {
    CHECK(g[o] == Approx(want.gamma[o]).margin(1e-6));
    CHECK(b[o] == Approx(want.beta[o]).margin(1e-6));
  }
  // The saved model is the inference form with the updated running statistics.
  ScratchFile file;
  s.SaveModel(file.path);
  const graph::Model saved = formats::ReadModelFile(file.path);
  const std::vector<float> rm = saved.graph.initializers.at("bn.running_mean").ToFloatVector(),
                           rv = saved.graph.initializers.at("bn.running_var").ToFloatVector();
  for (int o = 0; o < 2; ++o) {
    CHECK(rm[o] == Approx(want.mean[o]).margin(1e-7));
    CHECK(rv[o] == Approx(want.var[o]).margin(1e-7));
  }
  // Inference (the saved model, and Predict) normalizes with them: y = γ·(h − rm)/√(rv + ε) + β.
  std::vector<double> expect;
  for (int n = 0; n < kN; ++n)
    for (int o = 0; o < 2; ++o) {
      const double h = kX[2 * n] * w[2 * o] + kX[2 * n + 1] * w[2 * o + 1];
      expect.push_back(g[o] * (h - rm[o]) / std::sqrt(rv[o] + 1e-5) + b[o]);
    }
  Session plain = Session::Load(file.path, {.threads = 1});
  const std::vector<float> run = plain.Run({{"x", Tensor::View(kX.data(), {kN, 2})}})[0].ToFloatVector();
  const std::vector<float> predicted = s.Predict(Tensor::View(kX.data(), {kN, 2}))[0].ToFloatVector();
  for (std::size_t i = 0; i < expect.size(); ++i) {
    CHECK(run[i] == Approx(expect[i]).margin(1e-5));
    CHECK(predicted[i] == run[i]);
  }
  // Predicting changes no statistic: a second save holds the same bytes.
  ScratchFile again;
  s.SaveModel(again.path);
  CHECK(Bytes(formats::ReadModelFile(again.path).graph.initializers.at("bn.running_var")) ==
        Bytes(saved.graph.initializers.at("bn.running_var")));
}

TEST_CASE("training: running statistics are checkpointed and resume bit for bit, and unmarked nodes keep the "
          "inference form", "[training][batchnorm]") {
  const TrainingOptions options{.loss = "mse", .optimizer = {.name = "adam", .lr = 0.05f}};
  TrainingSession whole = Load(Net(), options), first = Load(Net(), options);
  auto step = [](TrainingSession& s, int k) {
    std::vector<float> x = kX;
    for (float& v : x) v = v * (1 + 0.1f * static_cast<float>(k)) + 0.05f * static_cast<float>(k);
    return s.Step(Tensor::View(x.data(), {kN, 2}), Tensor::View(kT.data(), {kN, 2}));
  };
  for (int k = 0; k < 3; ++k) step(whole, k), step(first, k);
  ScratchFile file;
  first.SaveCheckpoint(file.path);
  TrainingSession resumed = TrainingSession::Resume(file.path, {.threads = 1});
  for (int k = 3; k < 6; ++k) {
    const float a = step(whole, k), b = step(resumed, k);
    CHECK(std::memcmp(&a, &b, sizeof a) == 0);
  }
  ScratchFile x, y;
  whole.SaveModel(x.path);
  resumed.SaveModel(y.path);
  const graph::Model mx = formats::ReadModelFile(x.path), my = formats::ReadModelFile(y.path);
  for (const char* name : {"bn.running_mean", "bn.running_var", "w", "bn.weight"})
    CHECK(Bytes(mx.graph.initializers.at(name)) == Bytes(my.graph.initializers.at(name)));
  CHECK(Bytes(mx.graph.initializers.at("bn.running_mean")) != Bytes(Tensor::FromVector(kRunMean, {2})));

  // A node not marked (an export after model.eval()) trains in the inference form: its running
  // statistics stay as they are.
  TrainingSession eval_form = Load(Net(false), options);
  step(eval_form, 0);
  ScratchFile z;
  eval_form.SaveModel(z.path);
  CHECK(formats::ReadModelFile(z.path).graph.initializers.at("bn.running_mean").ToFloatVector() == kRunMean);
}

TEST_CASE("training: a BatchNormalization with training_mode=1 (opset 14+ export) trains so and is saved in "
          "inference form", "[training][batchnorm]") {
  graph::Model m = Net(false);
  for (graph::Node& n : m.graph.nodes)
    if (n.op_type == "BatchNormalization") {
      n.attrs["training_mode"] = int64_t{1};
      n.outputs.push_back("unread_mean");
      n.outputs.push_back("unread_var");
    }
  TrainingSession s = Load(m, {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.1f}});
  const float loss = s.Step(Tensor::View(kX.data(), {kN, 2}), Tensor::View(kT.data(), {kN, 2}));
  CHECK(loss == Approx(ByHand(0.1).loss).epsilon(1e-5));
  ScratchFile file;
  s.SaveModel(file.path);
  const graph::Model saved = formats::ReadModelFile(file.path);
  for (const graph::Node& n : saved.graph.nodes)
    if (n.op_type == "BatchNormalization") {
      CHECK(std::get<int64_t>(n.attrs.at("training_mode")) == 0);
      CHECK(std::get<int64_t>(n.attrs.at("exported_for_training")) == 1);
      CHECK(n.outputs.size() == 1);
    }
  CHECK(saved.graph.initializers.at("bn.running_mean").ToFloatVector()[0] == Approx(ByHand(0.1).mean[0]).margin(1e-7));
  // It runs as the session predicts (the inference form), and trains in training mode again.
  Session plain = Session::Load(file.path, {.threads = 1});
  CHECK(plain.Run({{"x", Tensor::View(kX.data(), {kN, 2})}})[0].ToFloatVector() ==
        s.Predict(Tensor::View(kX.data(), {kN, 2}))[0].ToFloatVector());
  TrainingSession again = TrainingSession::Load(file.path, {.session = {.threads = 1}, .loss = "mse"});
  CHECK(again.parameters().size() == 3);
  again.Step(Tensor::View(kX.data(), {kN, 2}), Tensor::View(kT.data(), {kN, 2}));
  ScratchFile next;
  again.SaveModel(next.path);
  CHECK(formats::ReadModelFile(next.path).graph.initializers.at("bn.running_mean").ToFloatVector() !=
        saved.graph.initializers.at("bn.running_mean").ToFloatVector());
}
