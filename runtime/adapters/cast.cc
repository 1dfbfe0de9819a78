// Cast's adapter: the dtypes come from the plan (the schema mapped the `to` code); a cast to the
// input's own dtype is a relabelling with no step.
#include "runtime/adapter.h"
#include "runtime/kernels/cast.h"

namespace axon::runtime {

AXON_ADAPTER(Cast, [](const BindContext& b) {
  const DType from = b.InType(0), to = b.OutType(0);
  if (from == to) return AliasOf(0);
  const int64_t n = b.OutElements(0);
  BoundStep step{.run = [from, to, n](const StepArgs& a) { kernels::Cast(from, to, a.in[0], a.out[0], n); }};
  if (DTypeSize(from) == DTypeSize(to)) step.in_place_input = 0;  // f32 <-> i32, between the byte types
  return step;
});

}  // namespace axon::runtime
