// Kernels that make data from scalars: ConstantOfShape's fill and Range's arithmetic sequence.
#pragma once

#include <cstddef>
#include <cstdint>

namespace axon::kernels {

// y = n copies of the elem_size bytes at value.
void Fill(void* y, int64_t n, const void* value, std::size_t elem_size);

// y[i] = start + i * delta for i < n, as ONNX's Range defines it. T is float (computed in f32:
// float(i) * delta, then + start, each rounded once), int64_t or int32_t (exact: every y[i] lies
// between start and limit, so it fits even where i * delta alone would not).
template <class T>
void Range(T start, T delta, T* y, int64_t n);

}  // namespace axon::kernels
