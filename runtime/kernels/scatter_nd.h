// ScatterND: a copy of data with slices replaced or combined by updates at index tuples, any
// dtype for replacement, numeric dtypes for add and mul.
#pragma once

#include <cstdint>
#include <vector>

namespace axon::kernels {

// data seen as [dims[0], ..., dims[k-1], slice], indices as [count, k], updates as [count, slice].
struct ScatterNDLayout {
  std::vector<int64_t> dims;     // data's first k dims
  int64_t count = 0;             // index tuples
  int64_t slice = 1;             // elements per slice: the product of data's dims from k on
  int64_t data_elements = 0;
  int64_t element_bytes = 0;
};

enum class ScatterReduction { kNone, kAdd, kMul };

// The position in indices (counted in tuples) of the first tuple with an entry outside
// [-dims[j], dims[j]), or -1 when all are valid; *entry says which entry of it.
int64_t FindScatterIndexOutOfRange(const ScatterNDLayout& layout, const int64_t* indices, int64_t* entry);

// y = data, then y[tuple t] = updates[t] (kNone) or y[tuple t] op= updates[t], tuple by tuple in
// order (a repeated tuple: the last replacement wins, and reductions accumulate). Every index
// must be in range (FindScatterIndexOutOfRange returned -1). y may be data itself (in place) but
// must overlap neither indices nor updates. T: float, int32_t, int64_t, int8_t or uint8_t for the
// reductions; kNone moves bytes and takes any dtype (ScatterNDReplace).
void ScatterNDReplace(const ScatterNDLayout& layout, const void* data, const int64_t* indices, const void* updates,
                      void* y);
template <class T>
void ScatterNDReduce(const ScatterNDLayout& layout, ScatterReduction reduction, const T* data, const int64_t* indices,
                     const T* updates, T* y);

}  // namespace axon::kernels
