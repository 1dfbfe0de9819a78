// Cast between element types (ONNX Cast), elementwise.
//
// Rules (ONNX's where it defines them, Axon's where it leaves the result undefined):
// - float to integer truncates toward zero; a value outside the target's range saturates to its
//   minimum or maximum, and NaN becomes 0 (ONNX leaves both undefined; C++ makes them UB);
// - integer to narrower integer wraps modulo 2^bits (two's complement), as numpy does;
// - integer to float rounds to nearest even (an i64 above 2^24 may not be exact);
// - to bool: nonzero is true, NaN included; from bool: 0 or 1.
#pragma once

#include <cstdint>

#include "axon/dtype.h"

namespace axon::kernels {

// y[i] = x[i] converted from `from` to `to`, for n elements. y may be x when the two element
// sizes are equal (each element is read before it is written); no other overlap is allowed.
// Both dtypes are one of f32, i64, i32, i8, u8, bool.
void Cast(DType from, DType to, const void* x, void* y, int64_t n);

}  // namespace axon::kernels
