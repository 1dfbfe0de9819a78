// Comparisons (Equal, Less, Greater), logical Not and Where's select, with numpy broadcasting.
// Bool tensors are bytes holding 0 or 1 (loaders refuse other bytes, and these kernels write
// exactly 0 or 1), so Equal compares bool bytes as they are.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/kernels/broadcast.h"

namespace axon::kernels {

enum class CompareOp { kEqual, kLess, kGreater };

// y = a op b over a two-operand layout (a is operand 0). T is float, int64_t, int32_t, int8_t or
// uint8_t (u8 and bool alike). Float comparisons follow IEEE: anything compared with NaN is false.
template <class T>
void Compare(CompareOp op, const BroadcastLayout& layout, const T* a, const T* b, uint8_t* y);

// y = !x over n bools; y may be x.
void LogicalNot(const uint8_t* x, uint8_t* y, int64_t n);

// out = cond ? x : y over a three-operand layout (cond, x, y), elements of elem_size bytes.
void Select(const BroadcastLayout& layout, std::size_t elem_size, const uint8_t* cond, const void* x, const void* y,
            void* out);

}  // namespace axon::kernels
