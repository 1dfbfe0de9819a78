// Adapters of Gather and of its gradient, GatherGrad: the layout comes from the planned shapes
// (GatherGrad's data shape from its Like input, whose bytes it never reads); each run checks its
// indices first and refuses a bad one with an axon::Error (the executor prefixes the node) naming
// the index, its position and the data's shape.
#include <string>

#include "runtime/adapter.h"
#include "runtime/kernels/gather.h"
#include "runtime/kernels/gather_grad.h"

namespace axon::runtime {
namespace {

struct Bound {
  kernels::GatherLayout layout;
  std::size_t axis;
  std::string data_desc;
};

// data: the gathered tensor's shape; indices: input `indices_input`'s.
Bound Layout(const BindContext& b, const std::vector<int64_t>& data, DType dtype, std::size_t indices_input) {
  const auto axis = static_cast<std::size_t>(
      graph::NormalizeAxis(b.attrs().Int("axis"), static_cast<int64_t>(data.size())).value());  // checked by the schema
  kernels::GatherLayout layout;
  for (std::size_t k = 0; k < axis; ++k) layout.outer *= data[k];
  layout.axis_dim = data[axis];
  layout.count = 1;
  for (int64_t d : b.InShape(indices_input)) layout.count *= d;
  layout.inner_bytes = static_cast<int64_t>(DTypeSize(dtype));
  for (std::size_t k = axis + 1; k < data.size(); ++k) layout.inner_bytes *= data[k];
  return Bound{layout, axis, std::string(DTypeName(dtype)) + ShapeToString(data)};
}

template <class I>
void CheckIndices(const Bound& p, const I* indices) {
  const int64_t bad = kernels::FindIndexOutOfRange(indices, p.layout.count, p.layout.axis_dim);
  if (bad >= 0)
    throw Error(ErrorCode::kInvalidArgument,
                "index " + std::to_string(indices[bad]) + " (indices element " + std::to_string(bad) +
                    ") is out of range for axis " + std::to_string(p.axis) + " of data " + p.data_desc +
                    (p.layout.axis_dim == 0 ? std::string(", which is empty")
                                            : ": valid are " + std::to_string(-p.layout.axis_dim) + " to " +
                                                  std::to_string(p.layout.axis_dim - 1)));
}

template <class I>
StepFn GatherStep(Bound p) {
  return [p = std::move(p)](const StepArgs& a) {
    CheckIndices(p, a.In<I>(1));
    kernels::GatherCopy(p.layout, a.in[0], a.In<I>(1), a.out[0]);
  };
}

template <class I>
StepFn GatherGradStep(Bound p) {
  return [p = std::move(p)](const StepArgs& a) {
    CheckIndices(p, a.In<I>(1));
    kernels::GatherGradF32(p.layout, a.In<float>(0), a.In<I>(1), a.Out<float>(0));
  };
}

}  // namespace

AXON_ADAPTER(Gather, [](const BindContext& b) {
  Bound p = Layout(b, b.InShape(0), b.InType(0), 1);
  if (b.InType(1) == DType::kI64) return BoundStep{.run = GatherStep<int64_t>(std::move(p))};
  return BoundStep{.run = GatherStep<int32_t>(std::move(p))};
});

AXON_ADAPTER(GatherGrad, [](const BindContext& b) {
  Bound p = Layout(b, b.InShape(2), DType::kF32, 1);
  BoundStep step{.run = b.InType(1) == DType::kI64 ? GatherGradStep<int64_t>(std::move(p))
                                                   : GatherGradStep<int32_t>(std::move(p))};
  step.shape_only_inputs = uint64_t{1} << 2;
  return step;
});

}  // namespace axon::runtime
