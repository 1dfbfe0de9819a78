// The executor's compile-time kernel prepare step: run once per node when a session is
// compiled, with the node's constant inputs, and its result handed to every run.
#include <catch2/catch.hpp>

#include <atomic>

#include "graph/builder.h"
#include "graph/ops/infer_helpers.h"
#include "runtime/kernel_registry.h"
#include "runtime/session_factory.h"

using namespace axon;

namespace {

std::atomic<int> prepare_calls{0};
std::atomic<int> runs_with_state{0};

// Y = X * W[0]; prepare reads the constant W once and hands the factor to the kernel.
AXON_OP(AxonTestScale).Inputs({"X", "W"}).Outputs({"Y"}).Infer(graph::SameShapeAndType);
AXON_KERNEL(
    AxonTestScale,
    [](runtime::KernelContext& k) {
      const float* factor = k.Prepared<float>();
      if (factor) ++runs_with_state;
      const float w = factor ? *factor : k.In(1).data<float>()[0];
      for (int64_t i = 0; i < k.Out(0).size(); ++i) k.Out(0).data<float>()[i] = k.In(0).data<float>()[i] * w;
    },
    [](const runtime::PrepareContext& ctx) -> std::shared_ptr<const void> {
      ++prepare_calls;
      if (!ctx.constants[1]) return nullptr;
      return std::make_shared<const float>(ctx.constants[1]->data<float>()[0]);
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

TEST_CASE("prepare runs once at compile time and its state reaches every run", "[runtime][executor]") {
  prepare_calls = 0;
  runs_with_state = 0;
  Session s = Compile(true);
  CHECK(prepare_calls == 1);
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
  CHECK(prepare_calls == 1);
  const std::vector<float> x = {1, 2, 3}, w = {-1};
  auto out = s.Run({{"x", Tensor::View(x.data(), {3})}, {"w", Tensor::View(w.data(), {1})}});
  CHECK(out[0].ToFloatVector() == std::vector<float>{-1, -2, -3});
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
