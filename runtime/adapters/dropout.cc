// Adapter of Dropout: the identity (an alias) without a Seed; with one, the kernel reads the
// (seed, counter) pair on every run, so one plan serves every step.
#include "runtime/adapter.h"
#include "runtime/kernels/dropout.h"

namespace axon::runtime {

AXON_ADAPTER(Dropout, [](const BindContext& b) {
  if (!b.HasIn(1)) return AliasOf(0);
  const int64_t n = b.OutElements(0);
  const float ratio = b.attrs().Float("ratio");
  const auto stream = static_cast<uint64_t>(b.attrs().Int("stream"));
  return BoundStep{.run =
                       [n, ratio, stream](const StepArgs& a) {
                         const int64_t* seed = a.In<int64_t>(1);
                         kernels::DropoutF32(a.In<float>(0), a.Out<float>(0), n, ratio,
                                             {static_cast<uint64_t>(seed[0]), static_cast<uint64_t>(seed[1]), stream});
                       },
                   .in_place_input = 0};
});

}  // namespace axon::runtime
