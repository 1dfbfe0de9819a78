// ScatterND's adapter: the layout comes from the planned shapes; each run checks its index tuples
// first and refuses a bad one with an axon::Error (the executor prefixes the node) naming the
// index, its tuple and the data's shape. The output may take data's buffer (written in place).
#include <string>

#include "runtime/adapter.h"
#include "runtime/kernels/scatter_nd.h"

namespace axon::runtime {
namespace {

template <class T>
StepFn ReduceStep(const kernels::ScatterNDLayout& layout, kernels::ScatterReduction reduction) {
  return [layout, reduction](const StepArgs& a) {
    kernels::ScatterNDReduce<T>(layout, reduction, a.In<T>(0), a.In<int64_t>(1), a.In<T>(2), a.Out<T>(0));
  };
}

StepFn Scatter(const kernels::ScatterNDLayout& layout, kernels::ScatterReduction reduction, DType dtype) {
  if (reduction == kernels::ScatterReduction::kNone) {
    return [layout](const StepArgs& a) {
      kernels::ScatterNDReplace(layout, a.in[0], a.In<int64_t>(1), a.in[2], a.out[0]);
    };
  }
  switch (dtype) {  // the schema allows the reductions on these dtypes only
    case DType::kI32: return ReduceStep<int32_t>(layout, reduction);
    case DType::kI64: return ReduceStep<int64_t>(layout, reduction);
    case DType::kI8: return ReduceStep<int8_t>(layout, reduction);
    case DType::kU8: return ReduceStep<uint8_t>(layout, reduction);
    default: return ReduceStep<float>(layout, reduction);
  }
}

}  // namespace

AXON_ADAPTER(ScatterND, [](const BindContext& b) {
  const std::vector<int64_t>& data = b.InShape(0);
  const std::vector<int64_t>& indices = b.InShape(1);
  kernels::ScatterNDLayout layout;
  const auto k = static_cast<std::size_t>(indices.back());  // <= data's rank: checked by the schema
  layout.dims.assign(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(k));
  layout.count = 1;
  for (std::size_t i = 0; i + 1 < indices.size(); ++i) layout.count *= indices[i];
  for (std::size_t i = k; i < data.size(); ++i) layout.slice *= data[i];
  layout.data_elements = 1;
  for (int64_t d : data) layout.data_elements *= d;
  layout.element_bytes = static_cast<int64_t>(DTypeSize(b.InType(0)));
  const std::string& r = b.attrs().String("reduction");
  const auto reduction = r == "add"   ? kernels::ScatterReduction::kAdd
                         : r == "mul" ? kernels::ScatterReduction::kMul
                                      : kernels::ScatterReduction::kNone;
  StepFn scatter = Scatter(layout, reduction, b.InType(0));
  const std::string data_desc = std::string(DTypeName(b.InType(0))) + ShapeToString(data);
  BoundStep step;
  step.run = [layout, scatter = std::move(scatter), data_desc](const StepArgs& a) {
    int64_t entry = 0;
    const int64_t bad = kernels::FindScatterIndexOutOfRange(layout, a.In<int64_t>(1), &entry);
    if (bad >= 0) {
      const int64_t value = a.In<int64_t>(1)[bad * static_cast<int64_t>(layout.dims.size()) + entry];
      const int64_t dim = layout.dims[static_cast<std::size_t>(entry)];
      throw Error(ErrorCode::kInvalidArgument,
                  "index " + std::to_string(value) + " (entry " + std::to_string(entry) + " of index tuple " +
                      std::to_string(bad) + ") is out of range for dim " + std::to_string(entry) + " of data " +
                      data_desc + ": valid are " + std::to_string(-dim) + " to " + std::to_string(dim - 1));
    }
    scatter(a);
  };
  step.in_place_input = 0;
  return step;
});

}  // namespace axon::runtime
