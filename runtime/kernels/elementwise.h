// Binary elementwise ops with numpy broadcasting, Highway-dispatched: arithmetic and Mod on f32,
// i32, i64, i8 and u8, and Pow and PRelu on f32; Pow with an integer base or exponent (ONNX
// Pow-15's mixed types) in scalar code.
#pragma once

#include <cstdint>
#include <vector>

namespace axon::kernels {

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,    // a^b, C99/numpy pow (f32 ** f32; an integer base or exponent is PowMixed)
  kPRelu,  // a < 0 ? b·a : a, b the slope (f32 only)
  kMod,    // ONNX Mod fmod=0, integers only: the remainder with the divisor's sign (Python's %)
  kFMod,   // ONNX Mod fmod=1: the remainder with the dividend's sign (C's % and fmod)
};

// Most dims a layout may keep after merging: a shape's rank bounds it (graph::kMaxRank).
inline constexpr std::size_t kMaxBinaryDims = 64;

// How a broadcasting binary op walks its operands, made once from the planned shapes: size-1
// dims dropped, dims contiguous in a, b and y alike merged, leaving outer dims (each input's
// element stride, 0 where broadcast) and one inner run along which each input has stride 1 or 0.
struct BinaryLayout {
  std::vector<int64_t> dims, a_strides, b_strides;  // outer dims, outermost first
  int64_t inner = 1;                 // length of the innermost run
  int64_t a_inner = 0, b_inner = 0;  // 1: contiguous along the run; 0: one value for the whole run
  int64_t rows = 1;                  // product of dims
  int64_t elements = 1;              // of y
  // Work items are (row, chunk) pairs, row-major; a chunk is a slice of one row's inner run.
  int64_t chunk = 1, chunks_per_row = 1;
};

// The shapes are trusted: y_shape is the numpy broadcast of a_shape and b_shape (the op's schema
// checked that), each of rank <= kMaxBinaryDims.
BinaryLayout MakeBinaryLayout(const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape,
                              const std::vector<int64_t>& y_shape);

// y = a op b elementwise over `layout`. y may be the same buffer as a (or b) when that input
// already has y's shape; no other overlap is allowed. Results are identical for any thread count,
// and for Add, Sub, Mul, Div and PRelu (each one correctly rounded IEEE operation) on every target.
// Allocates nothing.
//
// Pow follows C99/numpy pow in every special case: pow(x, ±0) = 1 and pow(1, y) = 1 even for a
// NaN other operand, pow(-1, ±inf) = 1, a finite negative base with a finite non-integer exponent
// gives NaN, zeros and infinities give the signed zeros and infinities of C99 F.9.4.4. Other
// results are exp(y·ln|x|) computed in double and rounded once to float: error at most half an
// ulp plus ~1e-15 relative (tests: relative error <= 1e-7; measured 6e-8). Exponent 2 is x·x and
// 0.5 a square root, correctly rounded, and 3 is x·x·x in double; an exponent that is one value
// along the innermost run (a scalar) takes these as fast paths, with the same results. Other
// exponents cost a double-precision log and exp: ~10x an Exp.
void BinaryF32(BinaryOp op, const BinaryLayout& layout, const float* a, const float* b, float* y);

// Mod and FMod run one element at a time (no SIMD remainder), exactly. On f32 only FMod is
// defined (ONNX requires fmod=1 for floats): C's fmod, so x fmod 0, inf fmod y and NaN give NaN,
// and x fmod ±inf is x. On integers both are defined everywhere: x mod 0 = 0 (as Div's x / 0)
// and x mod -1 = 0 (INT_MIN % -1 is undefined in C).
// Integer arithmetic (op is kAdd, kSub, kMul, kDiv, kMod or kFMod; the others leave y untouched). Add, Sub and
// Mul wrap around modulo 2^8 / 2^32 / 2^64 (two's complement; never undefined behaviour), as
// numpy's and ONNX Runtime's do. Div truncates toward zero as C and ONNX do; it is defined
// everywhere: x / 0 = 0 (as numpy gives), and INT_MIN / -1 wraps to INT_MIN (as INT_MIN · -1
// does). Division runs one element at a time (x86 has no SIMD integer divide); the others are
// vectorized, except 64-bit and 8-bit Mul (Highway 1.0.3 has neither vector multiply on x86).
void BinaryI32(BinaryOp op, const BinaryLayout& layout, const int32_t* a, const int32_t* b, int32_t* y);
void BinaryI64(BinaryOp op, const BinaryLayout& layout, const int64_t* a, const int64_t* b, int64_t* y);
void BinaryI8(BinaryOp op, const BinaryLayout& layout, const int8_t* a, const int8_t* b, int8_t* y);
void BinaryU8(BinaryOp op, const BinaryLayout& layout, const uint8_t* a, const uint8_t* b, uint8_t* y);

// Pow with ONNX Pow-15's mixed types: a base X of f32, i32 or i64, an exponent E of f32, i32 or
// i64, and y of X's type (TX, TE not both float: f32 ** f32 is BinaryF32's kPow). Scalar code,
// one element at a time; the same results for any thread count. Per element:
//   int ** int:     the exact power by squaring, wrapping modulo 2^32 / 2^64 like Mul. A negative
//                   exponent gives the real result truncated toward zero, as ONNX Runtime's
//                   (T)pow(x, e) does: 1 for x = 1, ±1 for x = -1 (the sign of (-1)^e), 0 for any
//                   other x; 0 ** negative is 0 (defined, like x / 0).
//   f32 ** int:     pow(x, (float)e), computed in double and rounded once to float.
//   int ** f32:     pow((double)x, (double)e) converted to X's type truncating toward zero as a
//                   C cast does; defined everywhere: NaN gives 0, and a value beyond the type's
//                   range its nearest end (a C cast would be undefined).
template <class TX, class TE>
void PowMixed(const BinaryLayout& layout, const TX* x, const TE* e, TX* y);

}  // namespace axon::kernels
