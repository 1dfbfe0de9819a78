// TrainingSession against hand-derived backpropagation and torch.optim's update rules, and its
// checkpoints against an uninterrupted run, bit for bit.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <thread>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "graph/builder.h"
#include "tests/runtime/allocation_counter.h"
#include "tests/runtime/training_test_util.h"

using namespace axon;
using namespace axon::training_test;
using graph::Dim;
using graph::Shape;

namespace {

// The seed's network shape, 2-2-1: y = sigmoid(x·W1ᵀ + b1)·W2ᵀ + b2, weights picked by hand.
struct Net {
  double w1[2][2] = {{0.5, -0.3}, {0.8, 0.2}};
  double b1[2] = {0.1, -0.1};
  double w2[2] = {0.7, -0.4};
  double b2 = 0.05;
};

graph::Model ModelOf(const Net& n, bool sigmoid_output = false) {
  auto f = [](std::vector<double> v, std::vector<int64_t> shape) {
    return Tensor::FromVector(std::vector<float>(v.begin(), v.end()), std::move(shape));
  };
  graph::GraphBuilder b("net");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 2}));
  auto w1 = b.Weight("w1", f({n.w1[0][0], n.w1[0][1], n.w1[1][0], n.w1[1][1]}, {2, 2}));
  auto b1 = b.Weight("b1", f({n.b1[0], n.b1[1]}, {2}));
  auto w2 = b.Weight("w2", f({n.w2[0], n.w2[1]}, {1, 2}));
  auto b2 = b.Weight("b2", f({n.b2}, {1}));
  auto h = b.Op("Sigmoid", {b.Op("Gemm", {x, w1, b1}, {{"transB", int64_t{1}}})});
  auto y = b.Op("Gemm", {h, w2, b2}, {{"transB", int64_t{1}}});
  if (sigmoid_output) y = b.Op("Sigmoid", {y});
  b.Output(y, "y");
  graph::Model m;
  m.graph = b.Build();
  return m;
}

double Sig(double v) { return 1 / (1 + std::exp(-v)); }

// Applies f(parameter, gradient) to every weight of n.
template <class F>
void ForEach(Net& n, const Net& g, F f) {
  for (int j = 0; j < 2; ++j) {
    f(n.w1[j][0], g.w1[j][0]);
    f(n.w1[j][1], g.w1[j][1]);
    f(n.b1[j], g.b1[j]);
    f(n.w2[j], g.w2[j]);
  }
  f(n.b2, g.b2);
}

// MSE loss and its gradient by hand: L = mean_i (y_i - t_i)², backpropagated through the net.
double LossAndGrad(const Net& n, const std::vector<float>& x, const std::vector<float>& t, Net& g) {
  const std::size_t batch = t.size();
  ForEach(g, g, [](double& p, double) { p = 0; });
  double loss = 0;
  for (std::size_t i = 0; i < batch; ++i) {
    double h[2];
    for (int j = 0; j < 2; ++j) h[j] = Sig(n.w1[j][0] * x[2 * i] + n.w1[j][1] * x[2 * i + 1] + n.b1[j]);
    const double y = n.w2[0] * h[0] + n.w2[1] * h[1] + n.b2;
    loss += (y - t[i]) * (y - t[i]) / static_cast<double>(batch);
    const double dy = 2 * (y - t[i]) / static_cast<double>(batch);
    g.b2 += dy;
    for (int j = 0; j < 2; ++j) {
      g.w2[j] += dy * h[j];
      const double dz = dy * n.w2[j] * h[j] * (1 - h[j]);
      g.b1[j] += dz;
      g.w1[j][0] += dz * x[2 * i];
      g.w1[j][1] += dz * x[2 * i + 1];
    }
  }
  return loss;
}

void CheckParameters(TrainingSession& s, const Net& want, double tolerance = 1e-6) {
  const std::vector<float> w1 = s.Parameter("w1").ToFloatVector(), b1 = s.Parameter("b1").ToFloatVector(),
                           w2 = s.Parameter("w2").ToFloatVector(), b2 = s.Parameter("b2").ToFloatVector();
  CHECK(w1[0] == Approx(want.w1[0][0]).margin(tolerance));
  CHECK(w1[1] == Approx(want.w1[0][1]).margin(tolerance));
  CHECK(w1[2] == Approx(want.w1[1][0]).margin(tolerance));
  CHECK(w1[3] == Approx(want.w1[1][1]).margin(tolerance));
  CHECK(b1[0] == Approx(want.b1[0]).margin(tolerance));
  CHECK(b1[1] == Approx(want.b1[1]).margin(tolerance));
  CHECK(w2[0] == Approx(want.w2[0]).margin(tolerance));
  CHECK(w2[1] == Approx(want.w2[1]).margin(tolerance));
  CHECK(b2[0] == Approx(want.b2).margin(tolerance));
}

const std::vector<float> kX = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f};
const std::vector<float> kT = {1.0f, -0.5f, 0.25f};

}  // namespace

TEST_CASE("training: one SGD step equals the hand-derived update", "[training]") {
  const Net start;
  TrainingSession s = Load(ModelOf(start), {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.1f}});
  CHECK(s.parameters() == std::vector<std::string>{"b1", "b2", "w1", "w2"});
  CHECK(s.labels().ToString() == "labels: f32[batch,1]");
  Net g;
  const double loss = LossAndGrad(start, kX, kT, g);
  const float got = s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}));
  CHECK(got == Approx(loss).epsilon(1e-6));
  CHECK(s.step() == 1);
  Net want = start;
  ForEach(want, g, [](double& p, double d) { p -= 0.1 * d; });
  CheckParameters(s, want);
}

TEST_CASE("training: two momentum steps follow torch.optim.SGD (buffer = gradient on step 1)", "[training]") {
  const Net start;
  TrainingSession s = Load(ModelOf(start), {.loss = "mse", .optimizer = {.name = "momentum", .lr = 0.05f}});
  CHECK(*s.options().optimizer.momentum == 0.9f);
  Net n = start, g, v;
  LossAndGrad(n, kX, kT, g);
  v = g;
  ForEach(n, v, [](double& p, double d) { p -= 0.05 * d; });
  LossAndGrad(n, kX, kT, g);
  ForEach(v, g, [](double& b, double d) { b = 0.9 * b + d; });
  ForEach(n, v, [](double& p, double d) { p -= 0.05 * d; });
  for (int i = 0; i < 2; ++i) s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}));
  CheckParameters(s, n);
}

TEST_CASE("training: Adam's and AdamW's first step move each weight by lr against its gradient", "[training]") {
  for (const char* name : {"adam", "adamw"}) {
    INFO(name);
    const Net start;
    TrainingSession s = Load(ModelOf(start), {.loss = "mse", .optimizer = {.name = name, .lr = 0.01f}});
    const double decay = std::string(name) == "adamw" ? 0.01 : 0.0;  // AdamW's default, torch's
    CHECK(*s.options().optimizer.weight_decay == Approx(decay));
    Net g;
    LossAndGrad(start, kX, kT, g);
    // Step 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps); AdamW decays the weight first.
    Net want = start;
    ForEach(want, g, [&](double& p, double d) { p = p * (1 - 0.01 * decay) - 0.01 * d / (std::abs(d) + 1e-8); });
    s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}));
    CheckParameters(s, want, 1e-6);
  }
}

TEST_CASE("training: the learning rate defaults to torch.optim's: 0.001 for Adam and AdamW, 0.01 for SGD", "[training]") {
  // torch.optim.Adam(params) uses lr=1e-3; SGD has no default in torch, and 0.01 is `axon train`'s.
  for (const auto& [name, lr] : {std::pair{"adam", 0.001f}, {"adamw", 0.001f}, {"sgd", 0.01f}, {"momentum", 0.01f}}) {
    INFO(name);
    TrainingSession s = Load(ModelOf(Net{}), {.loss = "mse", .optimizer = {.name = name}});
    CHECK(*s.options().optimizer.lr == lr);
  }
}

TEST_CASE("training: the three phases, and the reduce hook between them", "[training]") {
  const Net start;
  TrainingSession s = Load(ModelOf(start), {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.1f}});
  CHECK_THROWS_WITH(s.ApplyOptimizer(), Catch::Contains("call ComputeGradients first"));
  Net g;
  const double loss = LossAndGrad(start, kX, kT, g);
  CHECK(s.ComputeGradients(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1})) == Approx(loss).epsilon(1e-6));
  REQUIRE(s.gradients().size() == 4);
  CHECK(s.gradients()[1].ToFloatVector()[0] == Approx(g.b2).epsilon(1e-5));  // b2, in parameters() order
  CHECK(s.predictions().shape() == std::vector<int64_t>{3, 1});
  // An all-reduce over two identical workers would double then halve; here: halve in place.
  for (Tensor& grad : s.gradients())
    for (int64_t i = 0; i < grad.size(); ++i) grad.data<float>()[i] *= 0.5f;
  s.ApplyOptimizer();
  Net want = start;
  ForEach(want, g, [](double& p, double d) { p -= 0.1 * 0.5 * d; });
  CheckParameters(s, want);
  CHECK_THROWS_WITH(s.ApplyOptimizer(), Catch::Contains("call ComputeGradients first"));
}

TEST_CASE("training: the XOR network converges with MSE and SGD", "[training]") {
  const std::vector<float> x = {0, 0, 0, 1, 1, 0, 1, 1}, t = {0, 1, 1, 0};
  graph::GraphBuilder b("xor");
  auto in = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 2}));
  auto w1 = b.Weight("w1", Tensor::FromVector(std::vector<float>{0.62f, -0.41f, -0.55f, 0.30f, 0.12f, 0.68f, -0.21f, -0.59f}, {4, 2}));
  auto b1 = b.Weight("b1", Tensor::FromVector(std::vector<float>{0.1f, -0.3f, 0.25f, 0.05f}, {4}));
  auto w2 = b.Weight("w2", Tensor::FromVector(std::vector<float>{0.4f, -0.35f, 0.2f, -0.15f}, {1, 4}));
  auto b2 = b.Weight("b2", Tensor::FromVector(std::vector<float>{0.0f}, {1}));
  auto h = b.Op("Sigmoid", {b.Op("Gemm", {in, w1, b1}, {{"transB", int64_t{1}}})});
  b.Output(b.Op("Sigmoid", {b.Op("Gemm", {h, w2, b2}, {{"transB", int64_t{1}}})}), "y");
  graph::Model m;
  m.graph = b.Build();
  TrainingSession s = Load(m, {.loss = "mse", .optimizer = {.name = "sgd", .lr = 2.0f}});
  float loss = 1;
  for (int epoch = 0; epoch < 5000 && loss >= 0.01f; ++epoch) loss = s.Step(Tensor::View(x.data(), {4, 2}), Tensor::View(t.data(), {4, 1}));
  CHECK(loss < 0.01f);
  const std::vector<float> y = s.Predict(Tensor::View(x.data(), {4, 2}))[0].ToFloatVector();
  for (int i = 0; i < 4; ++i) CHECK((y[i] > 0.5f) == (t[i] > 0.5f));
}

TEST_CASE("training: checkpoint then resume equals an uninterrupted run, bit for bit", "[training]") {
  for (const char* optimizer : {"adamw", "momentum"}) {
    INFO(optimizer);
    const TrainingOptions options{.loss = "mse", .optimizer = {.name = optimizer, .lr = 0.05f, .nesterov = optimizer[0] == 'm'}};
    auto batch = [](int k) {  // a different batch every step
      std::vector<float> x(kX), t(kT);
      for (float& v : x) v = v * (1 + 0.1f * static_cast<float>(k)) - 0.05f * static_cast<float>(k);
      for (float& v : t) v += 0.02f * static_cast<float>(k);
      return std::make_pair(x, t);
    };
    auto step = [&](TrainingSession& s, int k) {
      auto [x, t] = batch(k);
      return s.Step(Tensor::View(x.data(), {3, 2}), Tensor::View(t.data(), {3, 1}));
    };
    TrainingSession whole = Load(ModelOf(Net{}), options);
    TrainingSession first = Load(ModelOf(Net{}), options);
    for (int k = 0; k < 5; ++k) step(whole, k), step(first, k);
    ScratchFile file;
    first.SaveCheckpoint(file.path, {.epoch = 3, .shuffle_seed = 42, .settings = {{"batch_size", 3}}});
    TrainingSession resumed = TrainingSession::Resume(file.path, {.threads = 1});
    CHECK(resumed.step() == 5);
    CHECK(resumed.loop_state().epoch == 3);
    CHECK(resumed.loop_state().shuffle_seed == 42);
    CHECK(resumed.loop_state().settings == std::map<std::string, double>{{"batch_size", 3}});
    CHECK(resumed.options().optimizer.name == optimizer);
    CHECK(resumed.options().optimizer.nesterov == options.optimizer.nesterov);
    CHECK(resumed.options().loss == "mse");
    for (int k = 5; k < 9; ++k) {
      const float a = step(whole, k), b = step(resumed, k);
      CHECK(std::memcmp(&a, &b, sizeof a) == 0);
    }
    for (const std::string& p : whole.parameters()) {
      INFO(p);
      CHECK(Bytes(whole.Parameter(p)) == Bytes(resumed.Parameter(p)));
    }
    // The checkpoint is an inference model too.
    Session plain = Session::Load(file.path, {.threads = 1});
    CHECK(plain.outputs()[0].name == "y");
  }
}

TEST_CASE("training: a NaN loss stops before the update, and NaN weights are never saved", "[training]") {
  TrainingSession s = Load(ModelOf(Net{}), {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.1f}});
  const std::vector<float> bad = {1.0f, std::nanf(""), 0.0f};
  const std::vector<char> before = Bytes(s.Parameter("w1"));
  CHECK_THROWS_WITH(s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(bad.data(), {3, 1})),
                    Catch::Contains("net.axon: loss is NaN at step 1; the parameters were not updated"));
  CHECK(Bytes(s.Parameter("w1")) == before);
  CHECK(s.step() == 0);

  ScratchFile good;
  s.SaveModel(good.path);
  const std::string saved = formats::SerializeModel(formats::ReadModelFile(good.path));
  CHECK(s.NonFiniteParameter().empty());
  // Gradients made NaN through the reduce hook make NaN weights: NonFiniteParameter names the
  // first, saving them is refused, and the file keeps its last good contents.
  s.ComputeGradients(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}));
  s.gradients()[2].data<float>()[0] = std::nanf("");
  s.ApplyOptimizer();
  CHECK(s.NonFiniteParameter() == "w1");
  CHECK_THROWS_WITH(s.SaveModel(good.path),
                    Catch::Contains("parameter 'w1' holds NaN or infinity after optimizer step 1 (training diverged)"));
  CHECK_THROWS_WITH(s.SaveCheckpoint(good.path), Catch::Contains("parameter 'w1' holds NaN or infinity after optimizer step 1"));
  CHECK(formats::SerializeModel(formats::ReadModelFile(good.path)) == saved);
}

TEST_CASE("training: the saved model runs as the session predicts", "[training]") {
  TrainingSession s = Load(ModelOf(Net{}, true), {.loss = "bce", .optimizer = {.name = "adam", .lr = 0.01f}});
  const std::vector<float> t = {1, 0, 1};
  for (int i = 0; i < 3; ++i) s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(t.data(), {3, 1}));
  ScratchFile file;
  s.SaveModel(file.path);
  Session plain = Session::Load(file.path, {.threads = 1});
  const std::vector<Tensor> ran = plain.Run({{"x", Tensor::View(kX.data(), {3, 2})}});
  const std::vector<Tensor> predicted = s.Predict(Tensor::View(kX.data(), {3, 2}));
  CHECK(Bytes(ran[0]) == Bytes(predicted[0]));
  const TrainingSession::Evaluation e = s.Evaluate(Tensor::View(kX.data(), {3, 2}), Tensor::View(t.data(), {3, 1}));
  CHECK(Bytes(e.predictions) == Bytes(predicted[0]));
  double bce = 0;
  for (int i = 0; i < 3; ++i) {
    const double p = predicted[0].data<float>()[i];
    bce -= (t[i] * std::log(p) + (1 - t[i]) * std::log(1 - p)) / 3;
  }
  CHECK(e.loss == Approx(bce).epsilon(1e-5));
}

TEST_CASE("training: a step allocates nothing once its batch shape has been seen", "[training]") {
  TrainingSession s = Load(ModelOf(Net{}), {.loss = "mse", .optimizer = {.name = "adam", .lr = 0.01f}});
  const Tensor x = Tensor::View(kX.data(), {3, 2}), t = Tensor::View(kT.data(), {3, 1});
  s.Step(x, t);
  s.Step(x, t);  // and a second step, as every later one runs
  test::CountAllocations count;
  for (int i = 0; i < 4; ++i) s.Step(x, t);
  CHECK(count.count() == 0);
}

TEST_CASE("training: class labels are data, not part of a plan's key", "[training]") {
  graph::GraphBuilder b("classes");
  auto in = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 2}));
  auto w = b.Weight("w", Tensor::FromVector(std::vector<float>{0.5f, -0.25f, 1.0f, 0.75f}, {2, 2}));
  auto bias = b.Weight("b", Tensor::FromVector(std::vector<float>{0.1f, -0.1f}, {2}));
  b.Output(b.Op("Gemm", {in, w, bias}, {{"transB", int64_t{1}}}), "y");
  graph::Model m;
  m.graph = b.Build();
  TrainingOptions options;
  options.loss = "ce";
  options.optimizer.name = "momentum";
  TrainingSession s = Load(m, options);
  const std::vector<int64_t> a = {0, 1, 1}, c = {1, 0, 1};
  const Tensor x = Tensor::View(kX.data(), {3, 2}), ta = Tensor::View(a.data(), {3}), tc = Tensor::View(c.data(), {3});
  s.Step(x, ta);
  s.Step(x, tc);
  test::CountAllocations count;
  for (int i = 0; i < 4; ++i) s.Step(x, i % 2 ? ta : tc);
  CHECK(count.count() == 0);
}

TEST_CASE("training: what is trained, and errors that name the problem", "[training]") {
  graph::GraphBuilder b("mixed");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 2}));
  auto w = b.Weight("w", Tensor::FromVector(std::vector<float>{1, 2, 3, 4}, {2, 2}));
  auto frozen = b.Weight("frozen", Tensor::FromVector(std::vector<float>{0.5f, 0.5f}, {2}));
  auto scale = b.Weight("scale", Tensor::FromVector(std::vector<float>{2.0f}, {}));  // rank 0: a constant
  auto unused = b.Weight("unused", Tensor::FromVector(std::vector<float>{1, 1}, {2}));
  auto y = b.Op("Mul", {b.Op("Add", {b.Op("MatMul", {x, w}), frozen}), scale});
  b.Output(y, "y");
  b.Output(b.Op("Relu", {unused}), "other");
  graph::Model two;
  two.graph = b.Build();
  // Options spelled out member by member: GCC 12 warns (falsely) about designated initializers
  // that leave out OptimizerOptions here.
  auto frozen_ones = [](std::vector<std::string> names) {
    TrainingOptions o;
    o.frozen = std::move(names);
    return o;
  };
  CHECK_THROWS_WITH(Load(two, TrainingOptions()), Catch::Contains("net.axon: the model has 2 outputs (y, other); training needs exactly one"));
  two.graph.outputs.pop_back();
  two.graph.nodes.pop_back();
  TrainingSession s = Load(two, frozen_ones({"frozen"}));
  CHECK(s.parameters() == std::vector<std::string>{"w"});
  CHECK_THROWS_WITH(Load(two, frozen_ones({"nope"})), Catch::Contains("cannot freeze 'nope': the model has no initializer of that name"));
  CHECK_THROWS_WITH(Load(two, frozen_ones({"w", "frozen"})), Catch::Contains("nothing to train"));
  TrainingOptions hinge;
  hinge.loss = "hinge";
  CHECK_THROWS_WITH(Load(two, hinge), Catch::Contains("unknown loss 'hinge' (known: mse, bce, bce-logits, ce, nll)"));
  CHECK_THROWS_WITH(Load(two, {.optimizer = {.name = "rmsprop"}}), Catch::Contains("unknown optimizer 'rmsprop'"));
  CHECK_THROWS_WITH(Load(two, {.optimizer = {.name = "sgd", .nesterov = true}}),
                    Catch::Contains("Nesterov momentum requires a momentum > 0 and zero dampening"));
  CHECK_THROWS_WITH(Load(two, {.optimizer = {.name = "sgd", .lr = -1}}), Catch::Contains("learning rate must be finite and >= 0"));
  const std::vector<float> xs = {1, 2}, wrong = {1, 2, 3};
  CHECK_THROWS_WITH(s.Step(Tensor::View(xs.data(), {1, 2}), Tensor::View(wrong.data(), {1, 3})),
                    Catch::Contains("input 'labels' must be labels: f32[batch,2], got f32[1,3]"));
  const std::vector<int64_t> classes = {0};
  TrainingOptions ce;
  ce.loss = "ce";
  CHECK_THROWS_WITH(Load(two, ce).Step(Tensor::View(xs.data(), {1, 2}), Tensor::View(classes.data(), {1, 1})),
                    Catch::Contains("(labels: i64[batch])"));
}

TEST_CASE("training: BatchNormalization's scale and bias train, its running statistics do not", "[training]") {
  // PyTorch keeps running_mean and running_var as buffers, outside the optimizer.
  graph::GraphBuilder b("bn");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 2}));
  auto w = b.Weight("w", Tensor::FromVector(std::vector<float>{0.5f, -0.25f, 1.0f, 0.75f}, {2, 2}));
  auto h = b.Op("Gemm", {x, w}, {{"transB", int64_t{1}}});
  auto scale = b.Weight("bn.weight", Tensor::FromVector(std::vector<float>{1.0f, 0.5f}, {2}));
  auto bias = b.Weight("bn.bias", Tensor::FromVector(std::vector<float>{0.0f, 0.1f}, {2}));
  auto mean = b.Weight("bn.running_mean", Tensor::FromVector(std::vector<float>{0.2f, -0.1f}, {2}));
  auto var = b.Weight("bn.running_var", Tensor::FromVector(std::vector<float>{1.5f, 0.8f}, {2}));
  b.Output(b.Op("BatchNormalization", {h, scale, bias, mean, var}), "y");
  graph::Model m;
  m.graph = b.Build();
  TrainingSession s = Load(m, {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.1f}});
  CHECK(s.parameters() == std::vector<std::string>{"bn.bias", "bn.weight", "w"});
  const std::vector<float> t = {1, 0, 0, 1, 0.5f, 0.5f};
  s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(t.data(), {3, 2}));
  CHECK(s.step() == 1);
}

TEST_CASE("training: a value read only by an op without a gradient rule is not trained", "[training]") {
  // Resize has no gradient rule: its f32 scales stay constant, the weight after it trains.
  graph::GraphBuilder b("resize");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 1, 2, 2}));
  auto scales = b.Weight("scales", Tensor::FromVector(std::vector<float>{1, 1, 2, 2}, {4}));
  auto w = b.Weight("w", Tensor::FromVector(std::vector<float>{0.5f}, {1, 1, 1, 1}));
  b.Output(b.Op("Mul", {b.Op("Resize", {x, "", scales}), w}), "y");
  graph::Model m;
  m.graph = b.Build();
  TrainingSession s = Load(m, {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.1f}});
  CHECK(s.parameters() == std::vector<std::string>{"w"});
  // y = w·up(x) with every target 2·up(x): the loss falls and w heads for 2.
  const std::vector<float> xs = {1, 2, 3, 4};
  std::vector<float> t;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) t.push_back(2 * xs[static_cast<std::size_t>((r / 2) * 2 + c / 2)]);
  const float first = s.Step(Tensor::View(xs.data(), {1, 1, 2, 2}), Tensor::View(t.data(), {1, 1, 4, 4}));
  const float second = s.Step(Tensor::View(xs.data(), {1, 1, 2, 2}), Tensor::View(t.data(), {1, 1, 4, 4}));
  CHECK(second < first);
  CHECK(s.Parameter("w").ToFloatVector()[0] > 0.5f);
}

TEST_CASE("training: a learning-rate schedule, and what Resume refuses", "[training]") {
  TrainingSession s = Load(ModelOf(Net{}), {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.1f}});
  s.set_learning_rate(0.0f);  // a step with lr 0 changes nothing (no weight decay)
  const std::vector<char> before = Bytes(s.Parameter("w1"));
  s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}));
  CHECK(Bytes(s.Parameter("w1")) == before);
  CHECK(s.options().optimizer.lr == 0.0f);
  CHECK_THROWS_WITH(s.set_learning_rate(-1.0f), Catch::Contains("learning rate must be finite and >= 0"));
  s.set_learning_rate(0.25f);
  ScratchFile file;
  s.SaveCheckpoint(file.path);
  CHECK(TrainingSession::Resume(file.path).options().optimizer.lr == 0.25f);
  CHECK_THROWS_WITH(s.SaveCheckpoint(file.path, {.settings = {{"lr", 1}}}),
                    Catch::Contains("loop setting 'lr' has the name of one of the optimizer's hyper-parameters"));

  // A plain model is no checkpoint; a checkpoint must say which loss it was trained with.
  s.SaveModel(file.path);
  CHECK_THROWS_WITH(TrainingSession::Resume(file.path), Catch::Contains("has no training state: not a checkpoint"));
  formats::Checkpoint c{formats::ReadModelFile(file.path), formats::TrainingState{}};
  c.training->optimizer = "sgd";
  formats::WriteCheckpointFile(c, file.path);
  CHECK_THROWS_WITH(TrainingSession::Resume(file.path), Catch::Contains("does not record its loss"));
}

TEST_CASE("training: Resume refuses an edited checkpoint: step out of range, optimizer state cut out", "[training]") {
  TrainingSession s = Load(ModelOf(Net{}), {.loss = "mse", .optimizer = {.name = "momentum", .lr = 0.1f}});
  s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}));
  ScratchFile file;
  s.SaveCheckpoint(file.path);
  const formats::Checkpoint saved = formats::ReadCheckpointFile(file.path);
  REQUIRE(saved.training->slots.size() == s.parameters().size());
  auto resume_edited = [&](auto edit) {
    formats::Checkpoint c = saved;
    edit(*c.training);
    formats::WriteCheckpointFile(c, file.path);
    return TrainingSession::Resume(file.path);
  };
  // step + 1 must never overflow: INT64_MAX (and anything from 2^62) is no step count.
  CHECK_THROWS_WITH(resume_edited([](formats::TrainingState& t) { t.step = INT64_MAX; }),
                    Catch::Contains("step 9223372036854775807 is out of range"));
  CHECK_THROWS_WITH(resume_edited([](formats::TrainingState& t) { t.epoch = int64_t{1} << 62; }),
                    Catch::Contains("epoch 4611686018427387904 is out of range"));
  // A parameter whose momentum buffer was removed would otherwise silently stay frozen.
  const std::string cut = s.parameters().front();
  CHECK_THROWS_WITH(resume_edited([&](formats::TrainingState& t) { t.slots.erase(cut); }),
                    Catch::Contains("no optimizer state for parameter '" + cut + "'"));
  TrainingSession ok = resume_edited([&](formats::TrainingState& t) { t.step = (int64_t{1} << 62) - 1; });
  CHECK(ok.parameters() == s.parameters());
  CHECK_THROWS_WITH(ok.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1})),
                    Catch::Contains("is the last one counted"));
}

TEST_CASE("training: an empty batch is an error, and concurrent calls are refused rather than raced", "[training]") {
  TrainingSession s = Load(ModelOf(Net{}), {.loss = "mse", .optimizer = {.name = "sgd", .lr = 0.01f}});
  const std::vector<char> before = Bytes(s.Parameter("w1"));
  CHECK_THROWS_WITH(s.Step(Tensor::Zeros(DType::kF32, {0, 2}), Tensor::Zeros(DType::kF32, {0, 1})),
                    Catch::Contains("an empty batch"));
  CHECK(Bytes(s.Parameter("w1")) == before);
  CHECK(s.step() == 0);

  // Two threads stepping one session: every overlap is refused with the same error, and the
  // session keeps working afterwards.
  // Steps until an overlap happens (or 20 s pass): on a loaded machine one thread may run many
  // steps in one time slice before the other starts, so a fixed step count could see none.
  std::atomic<bool> refused{false}, other_error{false};
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto hammer = [&] {
    while (!refused && !other_error && std::chrono::steady_clock::now() < give_up) {
      try {
        s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}));
      } catch (const Error& e) {
        (std::string(e.what()).find("TrainingSession is not thread-safe") != std::string::npos ? refused : other_error) = true;
      }
    }
  };
  std::thread a(hammer), b(hammer);
  a.join();
  b.join();
  CHECK(refused);
  CHECK_FALSE(other_error);
  CHECK(std::isfinite(s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}))));

  // The readers and writers of the session's buffers take the same flag: each, called while
  // another thread steps, is refused at some overlap, never racing the step. gradients() races
  // ComputeGradients: after a Step that folded SGD into its GEMMs it has none to give (an error
  // of its own, not a race).
  ScratchFile file;
  const std::vector<std::pair<const char*, std::function<void()>>> calls = {
      {"Parameter", [&] { s.Parameter("w1"); }},
      {"gradients", [&] { s.gradients(); }},
      {"predictions", [&] { s.predictions(); }},
      {"step", [&] { s.step(); }},
      {"options", [&] { s.options(); }},
      {"set_learning_rate", [&] { s.set_learning_rate(0.01f); }},
      {"SaveModel", [&] { s.SaveModel(file.path); }},
      {"SaveCheckpoint", [&] { s.SaveCheckpoint(file.path); }},
  };
  for (const auto& [name, call] : calls) {
    INFO(name);
    std::atomic<bool> call_refused{false}, failed{false};
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    auto run = [&](const std::function<void()>& fn) {
      while (!call_refused && !failed && std::chrono::steady_clock::now() < until) {
        try {
          fn();
        } catch (const Error& e) {
          (std::string(e.what()).find("TrainingSession is not thread-safe") != std::string::npos ? call_refused : failed) = true;
        }
      }
    };
    const Tensor x = Tensor::View(kX.data(), {3, 2}), t = Tensor::View(kT.data(), {3, 1});
    const bool gradients = std::string(name) == "gradients";
    if (gradients) s.ComputeGradients(x, t);  // so that there are gradients before the race starts
    std::thread stepper(run, gradients ? std::function<void()>([&] { s.ComputeGradients(x, t); })
                                       : std::function<void()>([&] { s.Step(x, t); }));
    std::thread other(run, call);
    stepper.join();
    other.join();
    CHECK(call_refused);
    CHECK_FALSE(failed);
  }
}

TEST_CASE("training: a checkpoint from before trained_parameters was recorded resumes as written", "[training]") {
  // Such files hold state for every parameter they trained (frozen ones have none): the count
  // adds a check, not information, so without it the parameters with state are the trained ones.
  TrainingSession s = Load(ModelOf(Net{}), {.loss = "mse", .optimizer = {.name = "momentum", .lr = 0.1f}});
  s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}));
  ScratchFile file;
  s.SaveCheckpoint(file.path);
  formats::Checkpoint old = formats::ReadCheckpointFile(file.path);
  REQUIRE(old.training->hyper_parameters.erase("trained_parameters") == 1);
  formats::WriteCheckpointFile(old, file.path);
  TrainingSession resumed = TrainingSession::Resume(file.path, {.threads = 1});
  CHECK(resumed.parameters() == s.parameters());
  const float a = s.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}));
  const float b = resumed.Step(Tensor::View(kX.data(), {3, 2}), Tensor::View(kT.data(), {3, 1}));
  CHECK(std::memcmp(&a, &b, sizeof a) == 0);
  for (const std::string& p : s.parameters()) CHECK(Bytes(s.Parameter(p)) == Bytes(resumed.Parameter(p)));
  // Without the count, state cut from one parameter leaves it frozen (the old files' meaning).
  old.training->slots.erase("w1");
  formats::WriteCheckpointFile(old, file.path);
  const TrainingSession partial = TrainingSession::Resume(file.path, {.threads = 1});
  CHECK(std::find(partial.parameters().begin(), partial.parameters().end(), "w1") == partial.parameters().end());
}
