// The optimizer ops inside a session, as a training session runs its update graph: one plan, the
// learning rate and step number changed between runs without re-planning or allocating, the
// results those of the kernels called directly, at 1 and 2 threads.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "axon/axon.h"
#include "graph/builder.h"
#include "runtime/kernels/optimizer.h"
#include "runtime/session_factory.h"
#include "tests/runtime/allocation_counter.h"

using namespace axon;
using graph::Shape;

namespace {

constexpr int64_t kN = 40003;  // several parallel blocks and a tail

std::vector<float> Random(uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(kN);
  for (float& x : v) x = dist(rng);
  return v;
}

// One SGD (momentum, Nesterov, weight decay) and one AdamW node over separate parameters, sharing
// LR and Step.
Session Compile(int threads) {
  graph::GraphBuilder b("update");
  const Shape param({kN}), scalar(std::vector<graph::Dim>{});
  const auto lr = b.Input("lr", DType::kF32, scalar), step = b.Input("step", DType::kI64, scalar);
  const auto sgd = b.OpN("SGD", {b.Input("w", DType::kF32, param), b.Input("gw", DType::kF32, param), lr, step,
                                 b.Input("vw", DType::kF32, param)},
                         2, {{"momentum", 0.9f}, {"nesterov", int64_t{1}}, {"weight_decay", 0.01f}});
  const auto adam = b.OpN("Adam", {b.Input("u", DType::kF32, param), b.Input("gu", DType::kF32, param), lr, step,
                                   b.Input("mu", DType::kF32, param), b.Input("vu", DType::kF32, param)},
                          3, {{"weight_decay", 0.01f}, {"decoupled", int64_t{1}}});
  b.Output(sgd[0], "w_new");
  b.Output(sgd[1], "vw_new");
  b.Output(adam[0], "u_new");
  b.Output(adam[1], "mu_new");
  b.Output(adam[2], "vu_new");
  graph::Model m;
  m.graph = b.Build();
  return detail::SessionFactory::FromModel(std::move(m), {.threads = threads}, "test");
}

}  // namespace

TEST_CASE("an update graph takes a new LR and Step every run, without re-planning or allocating",
          "[runtime][optimizer]") {
  const kernels::SgdConfig sgd{.momentum = 0.9, .dampening = 0, .weight_decay = 0.01, .nesterov = true};
  const kernels::AdamConfig adamw{.beta1 = 0.9, .beta2 = 0.999, .epsilon = 1e-8, .weight_decay = 0.01, .decoupled = true};
  const float lrs[] = {0.1f, 0.05f, 0.02f, 0.01f};
  for (int threads : {1, 2}) {
    INFO(threads << " threads");
    Session s = Compile(threads);
    float lr = 0;
    int64_t step = 0;
    // Parameters and state double-buffered here (the training session updates in place): outputs are copied back.
    std::vector<float> w = Random(1, -1, 1), vw(kN, 0.0f), u = Random(2, -1, 1), mu(kN, 0.0f), vu(kN, 0.0f);
    std::vector<float> gw = Random(3, -1, 1), gu = Random(4, -1, 1);
    std::vector<float> w_new(kN), vw_new(kN), u_new(kN), mu_new(kN), vu_new(kN);
    const std::vector<Tensor> inputs = {Tensor::View(&lr, {}),        Tensor::View(&step, {}),
                                        Tensor::View(w.data(), {kN}), Tensor::View(gw.data(), {kN}),
                                        Tensor::View(vw.data(), {kN}), Tensor::View(u.data(), {kN}),
                                        Tensor::View(gu.data(), {kN}), Tensor::View(mu.data(), {kN}),
                                        Tensor::View(vu.data(), {kN})};
    std::vector<Tensor> outputs = {Tensor::View(w_new.data(), {kN}), Tensor::View(vw_new.data(), {kN}),
                                   Tensor::View(u_new.data(), {kN}), Tensor::View(mu_new.data(), {kN}),
                                   Tensor::View(vu_new.data(), {kN})};
    // The same steps by the kernels directly, in place.
    std::vector<float> w_ref = w, vw_ref = vw, u_ref = u, mu_ref = mu, vu_ref = vu;
    for (int i = 0; i < 4; ++i) {
      INFO("step " << i + 1);
      lr = lrs[i];
      step = i + 1;
      if (i == 0) {
        s.RunInto(inputs, outputs);  // plans, allocates the arena
      } else {
        test::CountAllocations counter;
        s.RunInto(inputs, outputs);
        CHECK(counter.count() == 0);
      }
      const double lr_value = kernels::DecimalValue(lr);
      kernels::SgdF32(sgd, lr_value, step, w_ref.data(), gw.data(), vw_ref.data(), w_ref.data(), vw_ref.data(), kN);
      kernels::AdamF32(adamw, lr_value, step, u_ref.data(), gu.data(), mu_ref.data(), vu_ref.data(), u_ref.data(),
                       mu_ref.data(), vu_ref.data(), kN);
      CHECK(w_new == w_ref);
      CHECK(vw_new == vw_ref);
      CHECK(u_new == u_ref);
      CHECK(mu_new == mu_ref);
      CHECK(vu_new == vu_ref);
      CHECK(w_new != w);  // the step moved the parameters
      w = w_new, vw = vw_new, u = u_new, mu = mu_new, vu = vu_new;
      // New gradients for the next step, in the same buffers.
      for (int64_t k = 0; k < kN; ++k) gw[k] = -0.5f * gw[k], gu[k] = 0.25f - gu[k];
    }
  }
}
