// Numpy broadcasting over one to three operands, for the ops outside BinaryF32's arithmetic:
// comparisons (A, B), Where (condition, X, Y) and Expand (one input). The layout follows
// MakeBinaryLayout's rules (runtime/kernels/elementwise.h), generalized to a count of operands:
// BinaryLayout keeps exactly two stride lists, and Where needs three.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/parallel.h"

namespace axon::kernels {

inline constexpr std::size_t kMaxBroadcastOperands = 3;

// How y and its operands are walked, made once from the planned shapes: shapes right-aligned,
// stride 0 on broadcast dims, size-1 dims of y dropped, neighbouring dims merged where stepping
// the outer one equals stepping the inner one fully in every operand. What remains is an outer
// odometer over rows and one inner run along which each operand has stride 1 or 0.
struct BroadcastLayout {
  std::size_t operands = 0;
  std::vector<int64_t> dims;                                           // outer dims, outermost first
  std::array<std::vector<int64_t>, kMaxBroadcastOperands> strides;     // per operand, per outer dim
  int64_t inner = 1;                                                   // length of the inner run
  std::array<int64_t, kMaxBroadcastOperands> inner_stride{};           // 1: contiguous; 0: one value
  int64_t rows = 1;                                                    // product of dims
  int64_t elements = 1;                                                // of y
  // Work items are (row, chunk) pairs, row-major; a chunk is a slice of one row's inner run.
  int64_t chunk = 1, chunks_per_row = 1;
};

// The shapes are trusted: y_shape is the numpy broadcast of every operand's shape (the op's
// schema checked that), 1 <= shapes.size() <= kMaxBroadcastOperands.
BroadcastLayout MakeBroadcastLayout(const std::vector<std::vector<int64_t>>& shapes, const std::vector<int64_t>& y_shape);

// Calls run(offsets, y_offset, n) for every inner run of work items [begin, end): offsets[k] is
// operand k's element offset at the run's start (it then advances by inner_stride[k]), y_offset
// y's, n the run's length.
template <class Run>
void ForEachBroadcastRun(const BroadcastLayout& p, int64_t begin, int64_t end, Run&& run) {
  const std::size_t rank = p.dims.size();
  int64_t row = begin / p.chunks_per_row, chunk = begin % p.chunks_per_row;
  // Odometer position of `row`; merged dims never outnumber a shape's (64), so no allocation.
  std::array<int64_t, 64> index{};
  std::array<int64_t, kMaxBroadcastOperands> off{};
  for (std::size_t k = rank, rest = static_cast<std::size_t>(row); k-- > 0;) {
    index[k] = static_cast<int64_t>(rest % static_cast<std::size_t>(p.dims[k]));
    rest /= static_cast<std::size_t>(p.dims[k]);
    for (std::size_t o = 0; o < p.operands; ++o) off[o] += index[k] * p.strides[o][k];
  }
  for (int64_t item = begin; item < end; ++item) {
    const int64_t c0 = chunk * p.chunk;
    std::array<int64_t, kMaxBroadcastOperands> at{};
    for (std::size_t o = 0; o < p.operands; ++o) at[o] = off[o] + c0 * p.inner_stride[o];
    run(at, row * p.inner + c0, std::min(p.chunk, p.inner - c0));
    if (++chunk < p.chunks_per_row) continue;
    chunk = 0;
    ++row;
    for (std::size_t k = rank; k-- > 0;) {
      for (std::size_t o = 0; o < p.operands; ++o) off[o] += p.strides[o][k];
      if (++index[k] < p.dims[k]) break;
      for (std::size_t o = 0; o < p.operands; ++o) off[o] -= p.strides[o][k] * p.dims[k];
      index[k] = 0;
    }
  }
}

// The whole of y, split over threads in blocks of work items that depend only on the layout.
template <class Run>
void ParallelBroadcastRuns(const BroadcastLayout& p, Run&& run) {
  if (p.elements == 0) return;
  const int64_t items = p.rows * p.chunks_per_row;
  const int64_t grain = std::max<int64_t>(1, 16384 / p.chunk);  // ~16K elements a task
  runtime::ParallelFor(items, grain, [&](int64_t begin, int64_t end) { ForEachBroadcastRun(p, begin, end, run); });
}

// Expand: y = x broadcast to y's shape, elements of elem_size bytes moved as they are.
void BroadcastCopy(const BroadcastLayout& layout, std::size_t elem_size, const void* x, void* y);

}  // namespace axon::kernels
