// Gather's adapter: the layout comes from the planned shapes; each run checks its indices first
// and refuses a bad one with an axon::Error (the executor prefixes the node) naming the index,
// its position and the data's shape.
#include <string>

#include "runtime/adapter.h"
#include "runtime/kernels/gather.h"

namespace axon::runtime {
namespace {

template <class I>
StepFn GatherStep(const kernels::GatherLayout& layout, std::size_t axis, std::string data_desc) {
  return [layout, axis, data_desc = std::move(data_desc)](const StepArgs& a) {
    const I* indices = a.In<I>(1);
    const int64_t bad = kernels::FindIndexOutOfRange(indices, layout.count, layout.axis_dim);
    if (bad >= 0)
      throw Error(ErrorCode::kInvalidArgument,
                  "index " + std::to_string(indices[bad]) + " (indices element " + std::to_string(bad) +
                      ") is out of range for axis " + std::to_string(axis) + " of data " + data_desc +
                      (layout.axis_dim == 0 ? std::string(", which is empty")
                                            : ": valid are " + std::to_string(-layout.axis_dim) + " to " +
                                                  std::to_string(layout.axis_dim - 1)));
    kernels::GatherCopy(layout, a.in[0], indices, a.out[0]);
  };
}

}  // namespace

AXON_ADAPTER(Gather, [](const BindContext& b) {
  const std::vector<int64_t>& data = b.InShape(0);
  const auto axis = static_cast<std::size_t>(
      graph::NormalizeAxis(b.attrs().Int("axis"), static_cast<int64_t>(data.size())).value());  // checked by the schema
  kernels::GatherLayout layout;
  for (std::size_t k = 0; k < axis; ++k) layout.outer *= data[k];
  layout.axis_dim = data[axis];
  layout.count = 1;
  for (int64_t d : b.InShape(1)) layout.count *= d;
  layout.inner_bytes = static_cast<int64_t>(DTypeSize(b.InType(0)));
  for (std::size_t k = axis + 1; k < data.size(); ++k) layout.inner_bytes *= data[k];
  std::string desc = std::string(DTypeName(b.InType(0))) + ShapeToString(data);
  if (b.InType(1) == DType::kI64) return BoundStep{.run = GatherStep<int64_t>(layout, axis, std::move(desc))};
  return BoundStep{.run = GatherStep<int32_t>(layout, axis, std::move(desc))};
});

}  // namespace axon::runtime
