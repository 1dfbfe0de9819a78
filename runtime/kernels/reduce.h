// Reductions over any set of axes (ReduceSum, ReduceMean, ReduceMax), Highway-dispatched.
//
// One general strided kernel serves every axes set. The input's dims are collapsed (size-1 dims
// dropped, neighbours that are both reduced or both kept merged) into alternating kept and
// reduced groups. When the innermost group is reduced ("rows"), each output reduces contiguous
// runs, with vectors along the run. When it is kept ("columns"), adjacent outputs read adjacent
// elements, so vectors run across outputs and walk the reduced groups. Either way the terms of
// one output are summed pairwise (blocks of a few vectors, combined in a binary tree), so the
// rounding error grows with log(n), not n: a 1e6-element f32 sum stays within a few ulps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace axon::kernels {

enum class ReduceOp {
  kSum,   // an empty reduction gives 0
  kMean,  // the sum divided by the count; an empty reduction gives NaN (0 / 0, as numpy)
  kMax,   // NaN anywhere gives NaN; an empty reduction gives -inf (i64: its minimum), as ONNX says
};

// Most dims a shape may have (graph::kMaxRank; the adapter checks they agree). Collapsed groups
// alternate, so at most half of them are of one kind.
inline constexpr int kReduceMaxRank = 64;
inline constexpr int kReduceMaxGroups = kReduceMaxRank / 2;

// A reduction's walk, made by MakeReduceLayout from a shape and the reduced axes. A plain value
// with fixed arrays: it can be made during a run (axes known only then) without allocating.
struct ReduceLayout {
  int64_t outputs = 1;   // outer outputs: the product of the kept groups other than `inner`
  int64_t inner = 1;     // columns: the innermost (kept) group's length; rows: 1
  int64_t row = 1;       // rows: the innermost (reduced) group's length, contiguous; columns: 1
  int64_t reduced = 1;   // elements each output reduces (the count a mean divides by)
  int kept = 0;          // the outer kept groups, innermost first, with their input strides
  int64_t kept_dims[kReduceMaxGroups] = {}, kept_strides[kReduceMaxGroups] = {};
  int red = 0;           // the reduced groups other than `row`, innermost first
  int64_t red_dims[kReduceMaxGroups] = {}, red_strides[kReduceMaxGroups] = {};
  int64_t red_count = 1; // product of red_dims: the runs (rows) or rows (columns) an output reads
  bool rows = true;      // the innermost group is reduced (or there is none)
  bool copy = false;     // nothing to reduce (only size-1 dims are): y is x
  // > 1: too few outputs to share among threads, so each output's reduction is cut into this many
  // pieces, reduced in parallel into the workspace and then combined. Depends on the shape only,
  // never on the thread count, so results do not either.
  int64_t chunks = 1;
  int64_t Outputs() const { return outputs * inner; }  // elements of y
};

// axes_mask bit i set: dim i is reduced. shape has at most kReduceMaxRank dims.
ReduceLayout MakeReduceLayout(std::span<const int64_t> shape, uint64_t axes_mask);

// Scratch the reduction needs (0 unless layout.chunks > 1).
std::size_t ReduceWorkspaceBytes(const ReduceLayout& layout, std::size_t element_size);
// An upper bound of ReduceWorkspaceBytes over every layout whose output has out_elements elements,
// for a step that learns its axes only when it runs.
std::size_t ReduceWorkspaceBound(int64_t out_elements, std::size_t element_size);

// y = reduction of x under layout; workspace holds ReduceWorkspaceBytes (64-byte aligned). x and y
// must not overlap unless layout.copy. Results depend on the Highway target (lane order) but
// never on the thread count. Allocates nothing.
void ReduceF32(ReduceOp op, const ReduceLayout& layout, const float* x, float* y, void* workspace);
// kSum and kMax only; a sum that overflows wraps around (two's complement), as numpy's does.
void ReduceI64(ReduceOp op, const ReduceLayout& layout, const int64_t* x, int64_t* y, void* workspace);

}  // namespace axon::kernels
