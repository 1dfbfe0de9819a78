// Gather: blocks of data picked along an axis by an index tensor, any dtype.
#pragma once

#include <cstddef>
#include <cstdint>

namespace axon::kernels {

// data seen as [outer, axis_dim, inner], indices as [count]: y is [outer, count, inner].
struct GatherLayout {
  int64_t outer = 1, axis_dim = 0, count = 0;
  int64_t inner_bytes = 0;  // inner elements times the element size
};

// The position in indices of the first entry outside [-axis_dim, axis_dim), or -1 when all are
// valid. I is int64_t or int32_t.
template <class I>
int64_t FindIndexOutOfRange(const I* indices, int64_t count, int64_t axis_dim);

// y[o, j, :] = data[o, indices[j] (negative counts from the back), :]. Every index must be in
// range (FindIndexOutOfRange returned -1); y must not overlap data.
template <class I>
void GatherCopy(const GatherLayout& layout, const void* data, const I* indices, void* y);

}  // namespace axon::kernels
