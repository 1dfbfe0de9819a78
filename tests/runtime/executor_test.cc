// The executor: adapters' prepared constants (made once per session, shared by every plan), and
// aliasing ops that need no memory of their own.
#include <catch2/catch.hpp>

#include <atomic>

#include "graph/builder.h"
#include "graph/ops/infer_helpers.h"
#include "runtime/adapter.h"
#include "runtime/session_factory.h"

using namespace axon;

namespace {

std::atomic<int> prepare_calls{0};
std::atomic<int> runs_with_state{0};

// Y = X * W[0]; the adapter prepares the factor from a constant W once, and every run reads it.
AXON_OP(AxonTestScale).Inputs({"X", "W"}).Outputs({"Y"}).Infer(graph::SameShapeAndType);
AXON_ADAPTER(AxonTestScale, [](const runtime::BindContext& b) {
  runtime::Prepared<float> factor;
  if (const Tensor* w = b.Constant(1)) {
    factor = b.Prepare<float>(0, {1}, [w] {
      ++prepare_calls;
      return std::make_shared<const float>(w->data<float>()[0]);
    });
  }
  const int64_t n = b.OutElements(0);
  return runtime::BoundStep{.run = [factor, n](const runtime::StepArgs& a) {
    if (factor.get()) ++runs_with_state;
    const float w = factor.get() ? *factor.get() : a.In<float>(1)[0];
    for (int64_t i = 0; i < n; ++i) a.Out<float>(0)[i] = a.In<float>(0)[i] * w;
  }};
});

Session Compile(bool weight_is_constant) {
  graph::GraphBuilder b("scale");
  auto x = b.Input("x", DType::kF32, graph::Shape({3}));
  auto w = weight_is_constant ? b.Weight("w", Tensor::FromVector(std::vector<float>{2.5f}, {1}))
                              : b.Input("w", DType::kF32, graph::Shape({1}));
  b.Output(b.Op("AxonTestScale", {x, w}), "y");
  graph::Model m;
  m.graph = b.Build();
  return detail::SessionFactory::FromModel(std::move(m), {.threads = 1}, "test");
}

}  // namespace

TEST_CASE("StepArgs::In is null past a node's inputs (a trailing optional input left off)", "[executor]") {
  // The plan keeps a step's inputs and outputs in one array: in[1] of a one-input step is its output.
  float x = 1, y = 2;
  const void* argv[] = {&x, &y};
  const runtime::StepArgs a{argv, const_cast<void* const*>(argv + 1), nullptr, 1};
  CHECK(a.In<float>(0) == &x);
  CHECK(a.In<float>(1) == nullptr);
  CHECK(a.In<float>(2) == nullptr);
  CHECK(a.Out<float>(0) == &y);
}

TEST_CASE("prepare runs once, when the session is first planned, and its state reaches every run", "[runtime][executor]") {
  prepare_calls = 0;
  runs_with_state = 0;
  Session s = Compile(true);
  CHECK(prepare_calls <= 1);
  const std::vector<float> x = {1, 2, 3};
  for (int i = 0; i < 3; ++i) {
    auto out = s.Run({{"x", Tensor::View(x.data(), {3})}});
    CHECK(out[0].ToFloatVector() == std::vector<float>{2.5f, 5.0f, 7.5f});
  }
  CHECK(prepare_calls == 1);
  CHECK(runs_with_state == 3);
}

TEST_CASE("prepare sees no constant for an input fed at run time", "[runtime][executor]") {
  prepare_calls = 0;
  runs_with_state = 0;
  Session s = Compile(false);
  const std::vector<float> x = {1, 2, 3}, w = {-1};
  auto out = s.Run({{"x", Tensor::View(x.data(), {3})}, {"w", Tensor::View(w.data(), {1})}});
  CHECK(out[0].ToFloatVector() == std::vector<float>{-1, -2, -3});
  CHECK(prepare_calls == 0);
  CHECK(runs_with_state == 0);
}

TEST_CASE("aliasing ops allocate nothing and count their input's buffer once", "[runtime][executor]") {
  // Relu makes 4000 bytes; Reshape, Flatten and Identity only relabel them. Under a 6000-byte
  // limit this runs only if the aliases allocate nothing (each would need 4000 more).
  graph::GraphBuilder b("aliases");
  auto x = b.Input("x", DType::kF32, graph::Shape({1000}));
  auto shape = b.Weight("shape", Tensor::FromVector(std::vector<int64_t>{10, 100}, {2}));
  auto r = b.Op("Relu", {x});
  b.Output(b.Op("Identity", {b.Op("Flatten", {b.Op("Reshape", {r, shape})})}), "y");
  graph::Model m;
  m.graph = b.Build();
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 1, .memory_limit_bytes = 6000}, "test");
  std::vector<float> xv(1000, -1.0f);
  xv[7] = 3.0f;
  auto out = s.Run({{"x", Tensor::View(xv.data(), {1000})}});
  REQUIRE(out[0].shape() == std::vector<int64_t>{10, 100});
  CHECK(out[0].data<float>()[7] == 3.0f);
  CHECK(out[0].data<float>()[8] == 0.0f);
}
