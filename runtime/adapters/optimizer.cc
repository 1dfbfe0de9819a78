// Adapters of the optimizer ops: hyperparameters read once per plan; LR and Step read from their
// buffers on every run (a training session changes them each step under the same plan). Any output
// may take the buffer of any input (X's, a slot's): the kernels read each element before writing it,
// so a training session updates its parameters and their state in place.
#include <bit>
#include <cstdint>
#include <string>

#include "runtime/adapter.h"
#include "runtime/kernels/optimizer.h"

namespace axon::runtime {
namespace {

// The step number of this run, refused before anything is written when it is not 1-based.
int64_t StepOf(const StepArgs& a) {
  const int64_t step = *a.In<int64_t>(3);
  if (step < 1)
    throw Error(ErrorCode::kInvalidArgument, "Step must be >= 1 (the 1-based number of the step being taken), got " +
                                                 std::to_string(step));
  return step;
}

// The shortest-decimal round trip costs more than updating a small parameter (the seed's XOR net
// has 4..8 of them a step), and the rate changes rarely: each thread keeps its last conversion.
double LearningRate(const StepArgs& a) {
  thread_local uint32_t last_bits = 0;
  thread_local double last_value = 0.0;  // DecimalValue(0.0f)
  const float lr = *a.In<float>(2);
  const auto bits = std::bit_cast<uint32_t>(lr);
  if (bits != last_bits) {
    last_value = kernels::DecimalValue(lr);
    last_bits = bits;
  }
  return last_value;
}

double Hyper(const BindContext& b, const char* attr) { return kernels::DecimalValue(b.attrs().Float(attr)); }

}  // namespace

AXON_ADAPTER(SGD, [](const BindContext& b) {
  const kernels::SgdConfig c{.momentum = Hyper(b, "momentum"),
                             .dampening = Hyper(b, "dampening"),
                             .weight_decay = Hyper(b, "weight_decay"),
                             .nesterov = b.attrs().Int("nesterov") != 0};
  const int64_t n = b.OutElements(0);
  const bool buffer = c.momentum != 0;  // then the schema made sure V and V_new are there
  return BoundStep{.run =
                       [c, n, buffer](const StepArgs& a) {
                         kernels::SgdF32(c, LearningRate(a), StepOf(a), a.In<float>(0), a.In<float>(1),
                                         buffer ? a.In<float>(4) : nullptr, a.Out<float>(0),
                                         buffer ? a.Out<float>(1) : nullptr, n);
                       },
                   .in_place_input = 0,
                   .elementwise_in_place = true};
});

AXON_ADAPTER(Adam, [](const BindContext& b) {
  const kernels::AdamConfig c{.beta1 = Hyper(b, "beta1"),
                              .beta2 = Hyper(b, "beta2"),
                              .epsilon = Hyper(b, "epsilon"),
                              .weight_decay = Hyper(b, "weight_decay"),
                              .decoupled = b.attrs().Int("decoupled") != 0};
  const int64_t n = b.OutElements(0);
  return BoundStep{.run =
                       [c, n](const StepArgs& a) {
                         kernels::AdamF32(c, LearningRate(a), StepOf(a), a.In<float>(0), a.In<float>(1),
                                          a.In<float>(4), a.In<float>(5), a.Out<float>(0), a.Out<float>(1),
                                          a.Out<float>(2), n);
                       },
                   .in_place_input = 0,
                   .elementwise_in_place = true};
});

}  // namespace axon::runtime
