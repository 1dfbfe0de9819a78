// A chain of elementwise f32 ops run block by block in one pass over memory: each block of the
// output (a few KiB, so it stays in L1) goes through every instruction of a small register
// program before the next block is touched, instead of one full pass and one buffer per op.
// The ops are the same per-target functors as the single-op kernels (activation-inl.h,
// unary-inl.h, and one IEEE operation for the arithmetic), so results are bit for bit those of
// the unfused ops, for any thread count and on every target.
#pragma once

#include <cstdint>
#include <vector>

namespace axon::kernels {

enum class FusedOp : uint8_t {
  kAdd, kSub, kMul, kDiv,
  kRelu, kSigmoid, kTanh, kExp, kLog, kSqrt, kNeg, kAbs, kReciprocal, kErf, kSoftplus, kHardSwish,
  kLeakyRelu,    // p0 = alpha
  kElu,          // p0 = alpha
  kSelu,         // p0 = alpha, p1 = gamma
  kHardSigmoid,  // p0 = alpha, p1 = beta
};

// Registers 0..num_inputs-1 are the inputs, the rest temporaries; b is -1 for a unary op. The
// last instruction's result is the output.
struct FusedInstruction {
  FusedOp op;
  int32_t dst, a, b;
  float p0 = 0, p1 = 0;
};

inline constexpr int kMaxFusedRegisters = 24;  // inputs and temporaries together
inline constexpr int kMaxFusedInputs = 8;

struct FusedProgram {
  std::vector<FusedInstruction> code;
  int32_t num_inputs = 0;
};

// An input: element i of the output reads data[i % period]. period == n: an input of the
// output's shape; 1: a scalar; otherwise a trailing part of the output's shape (a bias row).
struct FusedOperand {
  const float* data = nullptr;
  int64_t period = 0;
};

// Throws axon::Error for a program the kernel cannot run (too many registers or inputs, a
// register read before it is written, a destination that is an input).
void CheckFusedProgram(const FusedProgram& program);

// y[0, n) = program(inputs). y may be an input whose period is n (in place); no other overlap.
// Allocates nothing; splits n across threads in fixed blocks.
void FusedElementwiseF32(const FusedProgram& program, const FusedOperand* inputs, float* y, int64_t n);

}  // namespace axon::kernels
