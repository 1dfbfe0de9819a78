// Concat's and Split's adapters: the layout of blocks is made once per plan from the planned
// shapes (Split's sizes are its outputs' dims, so its split input is never read at run time).
// One part is the whole tensor: a relabelling.
#include "runtime/adapter.h"
#include "runtime/kernels/concat_split.h"

namespace axon::runtime {

AXON_ADAPTER(Concat, [](const BindContext& b) {
  if (b.NumInputs() == 1) return AliasOf(0);
  const auto rank = static_cast<int64_t>(b.OutShape(0).size());
  const auto axis = static_cast<std::size_t>(graph::NormalizeAxis(b.attrs().Int("axis"), rank).value());  // checked by the schema
  std::vector<std::vector<int64_t>> parts;
  for (std::size_t i = 0; i < b.NumInputs(); ++i) parts.push_back(b.InShape(i));
  const kernels::ConcatLayout layout = kernels::MakeConcatLayout(parts, axis, DTypeSize(b.OutType(0)));
  return BoundStep{.run = [layout](const StepArgs& a) { kernels::ConcatCopy(layout, a.in, a.out[0]); },
                   .joins_inputs = layout.outer == 1};
});

AXON_ADAPTER(Split, [](const BindContext& b) {
  const std::size_t n = b.node().outputs.size();
  if (n == 1) return AliasOf(0);
  const auto rank = static_cast<int64_t>(b.InShape(0).size());
  const auto axis = static_cast<std::size_t>(graph::NormalizeAxis(b.attrs().Int("axis"), rank).value());  // checked by the schema
  std::vector<std::vector<int64_t>> parts;
  for (std::size_t o = 0; o < n; ++o) parts.push_back(b.OutShape(o));
  return BoundStep{.run = [layout = kernels::MakeConcatLayout(parts, axis, DTypeSize(b.InType(0)))](const StepArgs& a) {
    kernels::SplitCopy(layout, a.in[0], a.out);
  }};
});

}  // namespace axon::runtime
