// The loss ops' gradient rules (graph/ops/loss.cc): AppendGradients through each loss, in every
// reduction, with class weights and ignore_index, and through SoftmaxCrossEntropyLoss's log_prob
// output, run by a Session in f32 and compared with central differences of the double references
// (tests/runtime/kernels/loss_reference.h). A "none" loss is summed against random weights r
// (total = Σ r·loss), so every element's gradient gets its own factor.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "graph/autodiff.h"
#include "graph/builder.h"
#include "runtime/session_factory.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/loss_reference.h"

using namespace axon;
using graph::GraphBuilder;
using graph::Shape;
using kernels::PointwiseLoss;

namespace {

std::vector<float> Values(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.size()}; }

Shape ShapeOf(const std::vector<int64_t>& dims) { return Shape::FromValues(dims); }

// total = loss, or Σ r·loss for reduction none (r a graph input of the loss's shape).
std::string Total(GraphBuilder& b, const std::string& loss, bool none, const std::vector<int64_t>& loss_shape) {
  if (!none) return loss;
  const std::string r = b.Input("r", DType::kF32, ShapeOf(loss_shape));
  return b.Op("ReduceSum", {b.Op("Mul", {loss, r})}, {{"keepdims", int64_t{0}}});
}

// Builds the gradient graph of `total` with respect to x, runs it, returns grad:x.
std::vector<float> AutodiffGrad(GraphBuilder& b, const std::string& total, std::vector<NamedTensor> feeds) {
  b.Output(total, "total");
  graph::Graph g = b.Build();
  graph::AppendGradients(g, "total", {"x"});
  graph::Model m;
  m.graph = std::move(g);
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 1}, "loss_grad_test");
  const std::vector<Tensor> outs = s.Run(feeds);
  for (std::size_t k = 0; k < outs.size(); ++k)
    if (s.outputs()[k].name == "grad:x") return Values(outs[k]);
  FAIL("no grad:x output");
  return {};
}

void CheckClose(const std::vector<float>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": autodiff " << got[i] << ", finite difference " << want[i]);
    CHECK(std::fabs(got[i] - want[i]) <= 1e-6 + 1e-4 * std::fabs(want[i]));
  }
}

}  // namespace

TEST_CASE("autodiff through MSELoss, BCELoss and BCEWithLogitsLoss matches finite differences", "[autodiff][loss]") {
  const std::vector<int64_t> shape = {3, 4};
  for (PointwiseLoss loss : {PointwiseLoss::kMSE, PointwiseLoss::kBCE, PointwiseLoss::kBCEWithLogits}) {
    const char* op = loss == PointwiseLoss::kMSE ? "MSELoss" : loss == PointwiseLoss::kBCE ? "BCELoss" : "BCEWithLogitsLoss";
    for (const char* reduction : {"mean", "sum", "none"}) {
      INFO(op << " " << reduction);
      const bool none = std::string(reduction) == "none";
      const std::vector<float> x = loss == PointwiseLoss::kBCE ? test::RandomFloats(12, 1, 0.05f, 0.95f)
                                                               : test::RandomFloats(12, 1, -3, 3);
      const std::vector<float> t = test::RandomFloats(12, 2, 0, 1);
      const std::vector<float> r = none ? test::RandomFloats(12, 3, -1, 1) : std::vector<float>{1.0f};
      GraphBuilder b("loss_grad");
      const std::string xv = b.Input("x", DType::kF32, ShapeOf(shape));
      const std::string tv = b.Input("t", DType::kF32, ShapeOf(shape));
      const std::string l = b.Op(op, {xv, tv}, {{"reduction", std::string(reduction)}});
      std::vector<NamedTensor> feeds = {{"x", Tensor::FromVector(x, shape)}, {"t", Tensor::FromVector(t, shape)}};
      if (none) feeds.push_back({"r", Tensor::FromVector(r, shape)});
      const std::vector<float> got = AutodiffGrad(b, Total(b, l, none, shape), feeds);
      CheckClose(got, test::NumericGrad(
                          [&](const std::vector<double>& at) { return test::PointwiseLossRef(loss, at, t, reduction); },
                          x, r, 1e-6));
    }
  }
}

TEST_CASE("autodiff through SoftmaxCrossEntropyLoss (both outputs) and NegativeLogLikelihoodLoss",
          "[autodiff][loss]") {
  struct Case {
    std::vector<int64_t> shape;
    bool weights;
    std::optional<int64_t> ignore;
    const char* reduction;
    bool use_log_prob;  // SoftmaxCrossEntropyLoss only: total += Σ q·log_prob
  };
  const std::vector<Case> cases = {
      {{4, 5}, false, std::nullopt, "mean", false}, {{4, 5}, true, 2, "mean", false},
      {{4, 5}, true, std::nullopt, "sum", true},    {{3, 4, 2}, false, 0, "none", false},
      {{3, 4, 2}, true, std::nullopt, "mean", true},
  };
  for (const Case& c : cases) {
    for (bool softmax : {true, false}) {
      if (c.use_log_prob && !softmax) continue;
      const char* op = softmax ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss";
      INFO(op << " " << ShapeToString(c.shape) << " " << c.reduction << (c.weights ? " weighted" : "")
              << (c.ignore ? " ignore " + std::to_string(*c.ignore) : std::string())
              << (c.use_log_prob ? " with log_prob" : ""));
      const test::ClassDims d = test::DimsOf(c.shape);
      std::vector<int64_t> sample_shape = c.shape;
      sample_shape.erase(sample_shape.begin() + 1);
      const int64_t count = d.n * d.c * d.inner, samples = d.n * d.inner;
      const std::vector<float> x = test::RandomFloats(count, 4, -2, 2);
      std::vector<int64_t> labels(static_cast<std::size_t>(samples));
      for (int64_t s = 0; s < samples; ++s) labels[static_cast<std::size_t>(s)] = (s * 3 + 1) % d.c;
      const std::vector<float> w = c.weights ? test::RandomFloats(d.c, 5, 0.2f, 2) : std::vector<float>{};
      const bool none = std::string(c.reduction) == "none";
      const std::vector<float> r = none ? test::RandomFloats(samples, 6, -1, 1) : std::vector<float>{1.0f};
      const std::vector<float> q = test::RandomFloats(count, 7, -1, 1);

      GraphBuilder b("class_loss_grad");
      std::vector<std::string> inputs = {b.Input("x", DType::kF32, ShapeOf(c.shape)),
                                         b.Input("labels", DType::kI64, ShapeOf(sample_shape))};
      if (c.weights) inputs.push_back(b.Weight("w", Tensor::FromVector(w, {d.c})));
      std::map<std::string, graph::Attribute> attrs = {{"reduction", std::string(c.reduction)}};
      if (c.ignore) attrs["ignore_index"] = *c.ignore;
      const std::vector<std::string> outs = b.OpN(op, inputs, c.use_log_prob ? 2 : 1, attrs);
      std::string total = Total(b, outs[0], none, sample_shape);
      std::vector<NamedTensor> feeds = {{"x", Tensor::FromVector(x, c.shape)},
                                        {"labels", Tensor::FromVector(labels, sample_shape)}};
      if (none) feeds.push_back({"r", Tensor::FromVector(r, sample_shape)});
      if (c.use_log_prob) {
        const std::string qv = b.Input("q", DType::kF32, ShapeOf(c.shape));
        total = b.Op("Add", {total, b.Op("ReduceSum", {b.Op("Mul", {outs[1], qv})}, {{"keepdims", int64_t{0}}})});
        feeds.push_back({"q", Tensor::FromVector(q, c.shape)});
      }
      const std::vector<float> got = AutodiffGrad(b, total, feeds);
      // total as one function of x: Σ r·loss (+ Σ q·log_prob), differentiated in double.
      const std::vector<float> one = {1.0f};
      CheckClose(got, test::NumericGrad(
                          [&](const std::vector<double>& at) {
                            std::vector<double> log_prob;
                            const std::vector<double> l =
                                test::ClassLossRef(softmax, at, c.shape, labels, w, c.ignore, c.reduction, &log_prob);
                            double t = 0;
                            for (std::size_t i = 0; i < l.size(); ++i) t += r[i] * l[i];
                            if (c.use_log_prob)
                              for (std::size_t i = 0; i < log_prob.size(); ++i) t += q[i] * log_prob[i];
                            return std::vector<double>{t};
                          },
                          x, one, 1e-5));
    }
  }
}
