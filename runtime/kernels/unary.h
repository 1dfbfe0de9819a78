// Elementwise math on f32 arrays (the ONNX unary ops beyond the activations of activation.h),
// Highway-dispatched to the best target of this CPU. Every function reads x[0, n) and writes
// y[0, n); x == y (in place) is allowed, any other overlap is not. NaN inputs give NaN outputs.
// Results do not depend on the thread count or on where a block boundary falls.
//
// Each function is the ONNX formula evaluated in IEEE arithmetic, so the special values are the
// formula's: Log(0) = -inf, Log(x < 0) = NaN, Sqrt(-0) = -0, Reciprocal(±0) = ±inf,
// HardSwish(-inf) = -inf·0 = NaN (as ONNX's reference and PyTorch give), LeakyRelu(-inf) with
// alpha = 0 is NaN likewise.
//
// Accuracy, checked by tests/runtime/kernels/unary_test.cc on every target against
// double-precision references (the bound the tests enforce, then the largest relative error
// measured on any target over 1.3M to 4.2M points a function, every binade from the smallest
// subnormal to FLT_MAX plus dense sweeps where each bends; `axon_tests "[.report]" -s` prints it):
//   exact, bit for bit: Sqrt, Neg, Abs, Reciprocal, LeakyRelu, Clip (one IEEE operation or none)
//   Log          1.5e-7  (8.3e-8)      Erf          8e-7    (7.3e-7)
//   Softplus     5e-7    (4.2e-7)      HardSwish    2.5e-7  (1.7e-7)
//   Elu          2e-7    (1.1e-7)      Selu         3e-7    (1.6e-7)
// where the exact result is a normal float (Erf over every float: 6.7e-7 with FMA, 7.6e-7
// without); where it is subnormal (Softplus, Elu, Selu and Erf of tiny or very negative x) the
// error is bounded absolutely by 1e-37 instead. HardSigmoid is
// one multiply-add, fused on AVX2/AVX-512 and two roundings on SSE4 and below: its error is at
// most 1e-7·|y| + 2^-23·|alpha·x|, absolute near its lower kink, where alpha·x + beta cancels.
#pragma once

#include <cstdint>

namespace axon::kernels {

// ln(x).
void Log(const float* x, float* y, int64_t n);
void Sqrt(const float* x, float* y, int64_t n);
void Neg(const float* x, float* y, int64_t n);
void Abs(const float* x, float* y, int64_t n);
// The error function, by one rational function x·P(x²)/Q(x²) (degree 4 over 5); ±1 from
// |x| >= 3.92, where erf rounds to ±1 in float.
void Erf(const float* x, float* y, int64_t n);
// GELU, exact form: 0.5·x·(1 + erf(x/√2)) with Erf's rational; absolute error at most 4e-7·|x|
// (relative 1e-6 for x >= 0; for x << 0 the result is tiny and 1 + erf cancels).
void Gelu(const float* x, float* y, int64_t n);
// GELU, tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) as x·sigmoid(2u) (unary-inl.h's
// GeluTanhOp): 1e-6 relative for x >= -3, 2e-7·|x| absolute everywhere.
void GeluTanh(const float* x, float* y, int64_t n);
// 1 / x, correctly rounded (not the 12-bit hardware approximation).
void Reciprocal(const float* x, float* y, int64_t n);
// ln(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)): never overflows, and keeps full
// relative precision for x << 0, where the result is about exp(x). The exp is activation.h's;
// log1p is 2·atanh(v / (2 + v)) by a polynomial.
void Softplus(const float* x, float* y, int64_t n);
// x · clamp(x/6 + 1/2, 0, 1).
void HardSwish(const float* x, float* y, int64_t n);

// x < 0 ? alpha·x : x.
void LeakyRelu(const float* x, float* y, int64_t n, float alpha);
// x < 0 ? alpha·(exp(x) - 1) : x, with exp(x) - 1 computed by expm1.
void Elu(const float* x, float* y, int64_t n, float alpha);
// x > 0 ? gamma·x : gamma·alpha·(exp(x) - 1).
void Selu(const float* x, float* y, int64_t n, float alpha, float gamma);
// clamp(alpha·x + beta, 0, 1).
void HardSigmoid(const float* x, float* y, int64_t n, float alpha, float beta);
// min(max(x, lo), hi), as numpy's clip: hi everywhere when lo > hi, and NaN everywhere when a
// bound is NaN. -inf / +inf mean no bound.
void Clip(const float* x, float* y, int64_t n, float lo, float hi);
// Integer Clip: min(max(x, lo), hi), so hi everywhere when lo > hi as numpy's clip; a type's
// lowest / highest value means no bound. Scalar code the compiler vectorizes.
void Clip(const int8_t* x, int8_t* y, int64_t n, int8_t lo, int8_t hi);
void Clip(const uint8_t* x, uint8_t* y, int64_t n, uint8_t lo, uint8_t hi);
void Clip(const int32_t* x, int32_t* y, int64_t n, int32_t lo, int32_t hi);
void Clip(const int64_t* x, int64_t* y, int64_t n, int64_t lo, int64_t hi);

}  // namespace axon::kernels
