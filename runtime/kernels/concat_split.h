// Concat and Split: copies between one tensor and several parts along an axis, any dtype.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace axon::kernels {

// The whole tensor seen as [outer, row_bytes] around the axis: each part contributes one block
// of part_bytes[k] bytes (its dim along the axis times the inner dims) to every outer row, in
// part order. Made once from the planned shapes.
struct ConcatLayout {
  int64_t outer = 1;                 // product of the dims before the axis
  std::vector<int64_t> part_bytes;   // per part, bytes of one block
  std::vector<int64_t> part_offset;  // per part, the block's byte offset within a row
  int64_t row_bytes = 0;             // one outer row of the whole tensor
  int64_t grain = 1;                 // (row, part) work items per task
};

// parts: the shapes of the parts (Concat's inputs, Split's outputs), each of the whole's rank and
// equal to it but along `axis` (normalized, trusted: the op's schema checked them).
ConcatLayout MakeConcatLayout(const std::vector<std::vector<int64_t>>& parts, std::size_t axis, std::size_t elem_size);

// y = the parts joined; none may overlap y.
void ConcatCopy(const ConcatLayout& layout, const void* const* parts, void* y);
// parts = x cut up; none may overlap x.
void SplitCopy(const ConcatLayout& layout, const void* x, void* const* parts);

}  // namespace axon::kernels
