// Concat in place: producers write straight into their slices of the Concat's output, which then
// copies nothing; checked against values computed here from the formulas, on 1, 2 and 4 threads,
// with and without inter-op parallelism, and with the cases that must keep the copy.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "graph/builder.h"
#include "runtime/executor.h"
#include "runtime/session_factory.h"

namespace axon {
namespace {

using graph::Shape;

Tensor Filled(std::vector<int64_t> shape, float phase) {
  Tensor t = Tensor::Zeros(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = std::sin(phase + 0.71f * static_cast<float>(i));
  return t;
}

struct Ran {
  std::size_t concat_steps = 0;  // steps of the plan that run a Concat
  bool graph = false;            // the plan runs as a step graph
  std::vector<std::vector<float>> out;
};

Ran Run(const graph::Graph& g, const std::vector<Tensor>& inputs, bool inter_op, int threads) {
  runtime::ExecutorOptions options;
  options.inter_op = inter_op;
  runtime::Executor executor(g, options);
  tbb::task_arena arena(std::min(threads, tbb::info::default_concurrency()));
  Ran ran;
  arena.execute([&] {
    const auto plan = executor.PlanFor(inputs);
    for (const auto& step : plan->steps) ran.concat_steps += g.nodes[step.node].op_type == "Concat";
    ran.graph = !plan->graph.empty();
    for (int r = 0; r < 3; ++r) {
      std::vector<std::vector<float>> out;
      for (const Tensor& t : executor.Run(*plan, inputs)) out.push_back(t.ToFloatVector());
      if (r > 0) REQUIRE(out == ran.out);  // a slice written on one run is not clobbered by the next
      ran.out = std::move(out);
    }
  });
  return ran;
}

float Sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

// Within float rounding of the reference (the kernels' exp is not libm's).
void CheckNear(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) REQUIRE(got[i] == Approx(want[i]).margin(1e-6));
}

// x [1, C, H, W] -> Relu(x) and Sigmoid(x) (two producers that may run at once) -> Concat on
// channels -> Tanh, like a fire module's expansions; `concat_out`: the Concat is a graph output too.
graph::Graph Fire(int64_t c, int64_t hw, bool concat_out) {
  graph::GraphBuilder b("fire");
  auto x = b.Input("x", DType::kF32, Shape({1, c, hw, hw}));
  auto cat = b.Op("Concat", {b.Op("Relu", {x}), b.Op("Sigmoid", {x})}, {{"axis", int64_t{1}}}, "cat");
  b.Output(b.Op("Tanh", {cat}), "y");
  if (concat_out) b.Output(cat, "cat");
  return b.Build();
}

}  // namespace

TEST_CASE("a Concat's producers write into its output, and it copies nothing", "[runtime][concat_in_place]") {
  for (const int64_t hw : {4, 64}) {  // 64: 1 MiB a producer, worth running at once
    for (const bool concat_out : {false, true}) {
      INFO("hw " << hw << (concat_out ? ", Concat output is a graph output" : ""));
      const int64_t c = 16, plane = c * hw * hw;
      const Tensor x = Filled({1, c, hw, hw}, 0.3f);
      std::vector<float> cat(static_cast<std::size_t>(2 * plane)), y(cat.size());
      for (int64_t i = 0; i < plane; ++i) {
        const float v = x.data<float>()[i];
        cat[static_cast<std::size_t>(i)] = std::max(v, 0.0f);
        cat[static_cast<std::size_t>(plane + i)] = Sigmoid(v);
      }
      for (std::size_t i = 0; i < cat.size(); ++i) y[i] = std::tanh(cat[i]);
      const graph::Graph g = Fire(c, hw, concat_out);
      for (const bool inter_op : {false, true}) {
        for (const int threads : {1, 2, 4}) {
          INFO((inter_op ? "inter-op, " : "") << threads << " threads");
          const Ran ran = Run(g, {x}, inter_op, threads);
          CHECK(ran.concat_steps == 0);
          if (inter_op && hw == 64 && threads > 1) CHECK(ran.graph);  // the producers may run at once
          REQUIRE(ran.out.size() == (concat_out ? 2u : 1u));
          CheckNear(ran.out[0], y);
          if (concat_out) CheckNear(ran.out[1], cat);
        }
      }
    }
  }
}

TEST_CASE("a Concat keeps its copy where its inputs cannot be its slices", "[runtime][concat_in_place]") {
  const Tensor x = Filled({1, 16, 4, 4}, 0.1f), z = Filled({1, 16, 4, 4}, 0.9f);
  auto reference = [&](const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<float> cat = a;
    cat.insert(cat.end(), b.begin(), b.end());
    return cat;
  };
  std::vector<float> relu_x, sig_x;
  for (float v : x.ToFloatVector()) relu_x.push_back(std::max(v, 0.0f)), sig_x.push_back(Sigmoid(v));
  SECTION("an input is a graph input") {
    graph::GraphBuilder b("input_part");
    auto xi = b.Input("x", DType::kF32, Shape({1, 16, 4, 4}));
    auto zi = b.Input("z", DType::kF32, Shape({1, 16, 4, 4}));
    b.Output(b.Op("Concat", {b.Op("Relu", {xi}), zi}, {{"axis", int64_t{1}}}), "y");
    const Ran ran = Run(b.Build(), {x, z}, false, 1);
    CHECK(ran.concat_steps == 1);
    CheckNear(ran.out[0], reference(relu_x, z.ToFloatVector()));
  }
  SECTION("an input has another reader") {
    graph::GraphBuilder b("shared_part");
    auto xi = b.Input("x", DType::kF32, Shape({1, 16, 4, 4}));
    auto r = b.Op("Relu", {xi});
    b.Output(b.Op("Concat", {r, b.Op("Sigmoid", {xi})}, {{"axis", int64_t{1}}}), "y");
    b.Output(b.Op("Neg", {r}), "n");
    const Ran ran = Run(b.Build(), {x}, false, 1);
    CHECK(ran.concat_steps == 1);
    CheckNear(ran.out[0], reference(relu_x, sig_x));
  }
  SECTION("the outer dims are not all 1: slices would interleave") {
    graph::GraphBuilder b("axis2");
    auto xi = b.Input("x", DType::kF32, Shape({1, 16, 4, 4}));
    b.Output(b.Op("Concat", {b.Op("Relu", {xi}), b.Op("Sigmoid", {xi})}, {{"axis", int64_t{2}}}), "y");
    const Ran ran = Run(b.Build(), {x}, false, 1);
    CHECK(ran.concat_steps == 1);
    std::vector<float> want;
    for (int64_t ch = 0; ch < 16; ++ch) {
      want.insert(want.end(), relu_x.begin() + ch * 16, relu_x.begin() + (ch + 1) * 16);
      want.insert(want.end(), sig_x.begin() + ch * 16, sig_x.begin() + (ch + 1) * 16);
    }
    CheckNear(ran.out[0], want);
  }
  SECTION("a slice would start off a 64-byte boundary") {
    graph::GraphBuilder b("unaligned");
    auto xi = b.Input("x", DType::kF32, Shape({1, 3}));
    auto ri = b.Op("Relu", {xi});
    b.Output(b.Op("Concat", {ri, b.Op("Sigmoid", {xi}), b.Op("Neg", {xi})}, {{"axis", int64_t{1}}}), "y");
    const Tensor small = Tensor::FromVector(std::vector<float>{-1.0f, 0.5f, 2.0f}, {1, 3});
    const Ran ran = Run(b.Build(), {small}, false, 1);
    CHECK(ran.concat_steps == 1);
    CheckNear(ran.out[0], {0.0f, 0.5f, 2.0f, Sigmoid(-1.0f), Sigmoid(0.5f), Sigmoid(2.0f), 1.0f, -0.5f, -2.0f});
  }
  SECTION("a Concat of a Concat: the inner one joins, the outer one copies") {
    graph::GraphBuilder b("nested");
    auto xi = b.Input("x", DType::kF32, Shape({1, 16, 4, 4}));
    auto inner = b.Op("Concat", {b.Op("Relu", {xi}), b.Op("Sigmoid", {xi})}, {{"axis", int64_t{1}}});
    b.Output(b.Op("Concat", {inner, b.Op("Relu", {xi})}, {{"axis", int64_t{1}}}), "y");
    const Ran ran = Run(b.Build(), {x}, false, 1);
    CHECK(ran.concat_steps == 1);
    CheckNear(ran.out[0], reference(reference(relu_x, sig_x), relu_x));
  }
}

TEST_CASE("a session's Concat in place, run into caller buffers", "[runtime][concat_in_place]") {
  const Tensor x = Filled({1, 16, 8, 8}, 0.2f);
  graph::Model m;
  m.graph = Fire(16, 8, true);
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 2}, "fire");
  const std::vector<float> want_y = s.Run({{"x", x}})[0].ToFloatVector();
  std::vector<float> y(want_y.size(), -7.0f), cat(want_y.size(), -7.0f);
  std::vector<Tensor> outputs = {Tensor::View(y.data(), {1, 32, 8, 8}), Tensor::View(cat.data(), {1, 32, 8, 8})};
  const std::vector<Tensor> inputs = {x};
  s.RunInto(inputs, outputs);
  CHECK(y == want_y);
  for (std::size_t i = 0; i < cat.size(); ++i) REQUIRE(std::tanh(cat[i]) == Approx(y[i]).margin(1e-6));
}

}  // namespace axon
