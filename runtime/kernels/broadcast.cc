// Broadcast layouts and Expand's copy. Pure data movement: a run whose source is contiguous is
// one memcpy, a broadcast run repeats one element, so no SIMD code of its own is needed.
#include "runtime/kernels/broadcast.h"

#include <algorithm>
#include <cstring>

namespace axon::kernels {
namespace {

// ~16K elements per work item: a task's worth, and a multiple of every vector length.
constexpr int64_t kItemElems = 16384;

// Right-aligns `shape` to y's rank and returns its element strides, 0 on broadcast dims.
std::vector<int64_t> BroadcastStrides(const std::vector<int64_t>& shape, const std::vector<int64_t>& y_shape) {
  const std::size_t rank = y_shape.size();
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (std::size_t k = shape.size(); k-- > 0;) {
    strides[k + (rank - shape.size())] = shape[k] == 1 ? 0 : stride;
    stride *= shape[k];
  }
  return strides;
}

template <std::size_t kSize>
void CopyRuns(const BroadcastLayout& p, std::size_t esize, const char* x, char* y) {
  const std::size_t es = kSize ? kSize : esize;
  ParallelBroadcastRuns(p, [&](const std::array<int64_t, kMaxBroadcastOperands>& at, int64_t y_off, int64_t n) {
    const char* src = x + at[0] * static_cast<int64_t>(es);
    char* dst = y + y_off * static_cast<int64_t>(es);
    if (p.inner_stride[0] == 1) {
      std::memcpy(dst, src, static_cast<std::size_t>(n) * es);
    } else {
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * static_cast<int64_t>(es), src, es);
    }
  });
}

}  // namespace

BroadcastLayout MakeBroadcastLayout(const std::vector<std::vector<int64_t>>& shapes, const std::vector<int64_t>& y_shape) {
  BroadcastLayout p;
  p.operands = shapes.size();
  for (int64_t d : y_shape) p.elements *= d;
  std::array<std::vector<int64_t>, kMaxBroadcastOperands> s;
  for (std::size_t o = 0; o < p.operands; ++o) s[o] = BroadcastStrides(shapes[o], y_shape);
  for (std::size_t i = 0; i < y_shape.size(); ++i) {
    if (y_shape[i] == 1) continue;  // contributes nothing to any offset
    bool merge = !p.dims.empty();
    for (std::size_t o = 0; o < p.operands && merge; ++o) merge = p.strides[o].back() == s[o][i] * y_shape[i];
    if (merge) {
      p.dims.back() *= y_shape[i];
      for (std::size_t o = 0; o < p.operands; ++o) p.strides[o].back() = s[o][i];
      continue;
    }
    p.dims.push_back(y_shape[i]);
    for (std::size_t o = 0; o < p.operands; ++o) p.strides[o].push_back(s[o][i]);
  }
  if (!p.dims.empty()) {  // the innermost kept dim becomes the run; its strides are 0 or 1
    p.inner = p.dims.back();
    p.dims.pop_back();
    for (std::size_t o = 0; o < p.operands; ++o) {
      p.inner_stride[o] = p.strides[o].back();
      p.strides[o].pop_back();
    }
  }
  for (int64_t d : p.dims) p.rows *= d;
  p.chunk = std::max<int64_t>(1, std::min(p.inner, kItemElems));
  p.chunks_per_row = (p.inner + p.chunk - 1) / p.chunk;
  return p;
}

void BroadcastCopy(const BroadcastLayout& layout, std::size_t elem_size, const void* x, void* y) {
  const auto* src = static_cast<const char*>(x);
  auto* dst = static_cast<char*>(y);
  switch (elem_size) {  // fixed sizes let each element copy compile to one move
    case 1: return CopyRuns<1>(layout, elem_size, src, dst);
    case 4: return CopyRuns<4>(layout, elem_size, src, dst);
    case 8: return CopyRuns<8>(layout, elem_size, src, dst);
    default: return CopyRuns<0>(layout, elem_size, src, dst);
  }
}

}  // namespace axon::kernels
