// Elementwise activations on f32 arrays, Highway-dispatched to the best target of this CPU.
// Every function reads x[0, n) and writes y[0, n); x == y (in place) is allowed, any other
// overlap is not. NaN inputs give NaN outputs.
//
// Accuracy (checked by tests/runtime/kernels/activation_test.cc on every target against
// double-precision references): relative error at most 1e-6 wherever the exact result is a
// normal float; where it is subnormal (Exp(x) and Sigmoid(x) for x < about -87.3) the error is
// bounded absolutely by 1e-37 instead: those results carry less than 24 bits of precision by
// construction. Measured worst on any target: on the tests' sweeps (`axon_tests "[.report]" -s`)
// Sigmoid 2.6e-7, Tanh 2.8e-7, Exp 1.8e-7; on every 13th float bit pattern (330M inputs; SSE4,
// AVX2, AVX-512) Sigmoid 2.4e-7, Exp 1.8e-7; Tanh on every float 3.2e-7 with FMA (AVX2,
// AVX-512), 4.1e-7 without (SSE4), |tanh| <= 1, tanh(±0) = ±0.
#pragma once

#include <cstdint>

namespace axon::kernels {

// Activations that other kernels can apply in their epilogue (GEMM) while results are still in
// registers. A new one is added here and in ApplyActivation (activation-inl.h).
// kRelu6 is min(max(x, 0), 6) as Clip(x, 0, 6) computes it (MobileNet's ReLU6): NaN stays NaN,
// -0 stays -0.
enum class Activation { kNone, kRelu, kSigmoid, kTanh, kRelu6 };

// max(x, 0); NaN stays NaN.
void Relu(const float* x, float* y, int64_t n);
// 1 / (1 + exp(-x)), computed without overflow and with full relative accuracy for x << 0.
// Sigmoid and Exp evaluate e^x as 2^n times a degree-5 polynomial (exp-inl.h).
void Sigmoid(const float* x, float* y, int64_t n);
// x·P(x²)/Q(x²), a degree-4/4 rational (activation-inl.h's TanhOp), capped at ±1, exactly ±1 from
// |x| >= 9.2.
void Tanh(const float* x, float* y, int64_t n);
// Overflows to +inf above about 88.72; underflows through subnormals to 0 below about -103.97.
void Exp(const float* x, float* y, int64_t n);

}  // namespace axon::kernels
