// Slice's adapter. The output shape was planned from the index inputs' values; the step needs
// their values too (where to start, which way to step). When they are constants the layout is
// made once here; otherwise (graph inputs, whose values key the plan) each run makes it from the
// inputs' bytes, without allocating. Either way ResolveSliceAxis, the rule shape inference used,
// gives the starts, and the counts are checked against the planned shape.
#include <array>
#include <string>

#include "graph/ops/slice_rule.h"
#include "runtime/adapter.h"
#include "runtime/kernels/fill.h"
#include "runtime/kernels/slice.h"

namespace axon::runtime {
namespace {

struct SliceBinding {
  std::vector<int64_t> x_shape, y_shape;
  int64_t n = 0;          // entries in starts (and ends, axes, steps)
  std::size_t inputs = 3; // inputs the node lists: 3 to 5 (Slice), 4 to 6 (SliceGrad)
  bool index_i64 = true;  // else i32
  std::size_t esize = 0;
  std::size_t first_index = 1;  // the node's input that is starts: 1 (Slice), 2 (SliceGrad)
};

template <class I>
kernels::StridedLayout LayoutFrom(const SliceBinding& s, const I* starts, const I* ends, const I* axes, const I* steps) {
  const int rank = static_cast<int>(s.x_shape.size());
  std::array<int64_t, kernels::kMaxSliceDims> start{}, step{};
  std::array<bool, kernels::kMaxSliceDims> sliced{};
  step.fill(1);
  for (int64_t j = 0; j < s.n; ++j) {
    int64_t axis = axes ? axes[j] : j;
    if (axis < 0) axis += rank;
    // The schema checked these values when the plan was made; a change since is a bug.
    if (axis < 0 || axis >= rank || sliced[axis] || (steps && steps[j] == 0))
      throw Error(ErrorCode::kInternal, "Slice's axes or steps differ from those the plan was made for");
    sliced[axis] = true;
    const graph::SliceAxis a = graph::ResolveSliceAxis(s.x_shape[axis], starts[j], ends[j], steps ? steps[j] : 1);
    if (a.count != s.y_shape[axis])
      throw Error(ErrorCode::kInternal, "Slice takes " + std::to_string(a.count) + " elements of axis " +
                                            std::to_string(axis) + ", the plan made room for " +
                                            std::to_string(s.y_shape[axis]));
    start[axis] = a.start;
    step[axis] = a.step;
  }
  return kernels::MakeStridedLayout(rank, s.x_shape.data(), s.y_shape.data(), start.data(), step.data(), s.esize);
}

// in: inputs 0..4, null where omitted (a run's argument list holds only the inputs the node has).
kernels::StridedLayout LayoutFrom(const SliceBinding& s, const std::array<const void*, 5>& in) {
  if (s.index_i64)
    return LayoutFrom(s, static_cast<const int64_t*>(in[1]), static_cast<const int64_t*>(in[2]),
                      static_cast<const int64_t*>(in[3]), static_cast<const int64_t*>(in[4]));
  return LayoutFrom(s, static_cast<const int32_t*>(in[1]), static_cast<const int32_t*>(in[2]),
                    static_cast<const int32_t*>(in[3]), static_cast<const int32_t*>(in[4]));
}


// A step that moves elements between the data (x) and the dense slice (y); `move` is StridedCopy
// or StridedScatter. The layout is made once when the index inputs are constants.
template <class Move>
BoundStep SliceStep(const BindContext& b, SliceBinding s, Move move) {
  // Index inputs as LayoutFrom takes them (at 1..4); omitted ones are null.
  std::array<const void*, 5> constants{};
  bool all_constant = true;
  for (std::size_t k = 1; k < 5; ++k) {
    const std::size_t i = s.first_index + k - 1;
    if (!b.HasIn(i)) continue;
    const Tensor* t = b.IsConstant(i) ? b.Constant(i) : nullptr;
    all_constant = all_constant && t;
    constants[k] = t ? t->raw_data() : nullptr;
  }
  if (all_constant) return BoundStep{.run = [layout = LayoutFrom(s, constants), move](const StepArgs& a) { move(layout, a); }};
  return BoundStep{.run = [s = std::move(s), move](const StepArgs& a) {
    std::array<const void*, 5> in{};
    for (std::size_t k = 1; k < 5; ++k)
      if (const std::size_t i = s.first_index + k - 1; i < s.inputs) in[k] = a.in[i];
    move(LayoutFrom(s, in), a);
  }};
}

}  // namespace

AXON_ADAPTER(Slice, [](const BindContext& b) {
  SliceBinding s{b.InShape(0), b.OutShape(0), b.InShape(1).at(0), b.NumInputs(), b.InType(1) == DType::kI64,
                 DTypeSize(b.InType(0))};
  if (s.x_shape == s.y_shape && s.n == 0) return AliasOf(0);  // nothing sliced
  return SliceStep(b, std::move(s), [](const kernels::StridedLayout& l, const StepArgs& a) {
    kernels::StridedCopy(l, a.in[0], a.out[0]);
  });
});

// dX = zeros of Like's shape with dY scattered back where Slice took it. Like's bytes are not read.
AXON_ADAPTER(SliceGrad, [](const BindContext& b) {
  SliceBinding s{b.InShape(1), b.InShape(0), b.InShape(2).at(0), b.NumInputs(), b.InType(2) == DType::kI64,
                 DTypeSize(b.InType(0)), 2};
  int64_t elements = 1;
  for (int64_t d : s.x_shape) elements *= d;
  const std::size_t esize = s.esize;
  BoundStep step = SliceStep(b, std::move(s), [elements, esize](const kernels::StridedLayout& l, const StepArgs& a) {
    constexpr std::array<char, 16> kZero{};  // an element of any dtype, all bits 0
    kernels::Fill(a.out[0], elements, kZero.data(), esize);
    kernels::StridedScatter(l, a.in[0], a.out[0]);
  });
  step.shape_only_inputs = uint64_t{1} << 1;
  return step;
});

}  // namespace axon::runtime
