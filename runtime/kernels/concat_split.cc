// Each (outer row, part) pair is one memcpy of a contiguous block; work items are those pairs,
// grouped so that a task moves about 64 KiB. Small shape tensors (PyTorch's Shape -> Concat
// subgraphs) are a handful of 8-byte copies, done inline.
#include "runtime/kernels/concat_split.h"

#include <algorithm>
#include <cstring>

#include "runtime/parallel.h"

namespace axon::kernels {

ConcatLayout MakeConcatLayout(const std::vector<std::vector<int64_t>>& parts, std::size_t axis, std::size_t elem_size) {
  ConcatLayout p;
  const std::vector<int64_t>& first = parts.at(0);
  for (std::size_t k = 0; k < axis; ++k) p.outer *= first[k];
  int64_t inner = static_cast<int64_t>(elem_size);
  for (std::size_t k = axis + 1; k < first.size(); ++k) inner *= first[k];
  for (const std::vector<int64_t>& s : parts) {
    p.part_offset.push_back(p.row_bytes);
    p.part_bytes.push_back(s[axis] * inner);
    p.row_bytes += p.part_bytes.back();
  }
  const int64_t per_item = std::max<int64_t>(1, p.row_bytes / static_cast<int64_t>(parts.size()));
  p.grain = std::max<int64_t>(1, 65536 / per_item);
  return p;
}

namespace {

// Calls copy(row, part) for every pair, rows outermost.
template <class Copy>
void ForEachBlock(const ConcatLayout& p, Copy&& copy) {
  const auto n = static_cast<int64_t>(p.part_bytes.size());
  runtime::ParallelFor(p.outer * n, p.grain, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const auto k = static_cast<std::size_t>(item % n);
      if (p.part_bytes[k] > 0) copy(item / n, k);  // an empty part may have no buffer at all
    }
  });
}

}  // namespace

void ConcatCopy(const ConcatLayout& p, const void* const* parts, void* y) {
  char* out = static_cast<char*>(y);
  ForEachBlock(p, [&](int64_t row, std::size_t k) {
    std::memcpy(out + row * p.row_bytes + p.part_offset[k], static_cast<const char*>(parts[k]) + row * p.part_bytes[k],
                static_cast<std::size_t>(p.part_bytes[k]));
  });
}

void SplitCopy(const ConcatLayout& p, const void* x, void* const* parts) {
  const char* in = static_cast<const char*>(x);
  ForEachBlock(p, [&](int64_t row, std::size_t k) {
    std::memcpy(static_cast<char*>(parts[k]) + row * p.part_bytes[k], in + row * p.row_bytes + p.part_offset[k],
                static_cast<std::size_t>(p.part_bytes[k]));
  });
}

}  // namespace axon::kernels
