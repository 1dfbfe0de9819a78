// A chain of elementwise f32 ops run in one pass over memory: a few vectors of the output at a
// time go through every instruction of a small register program, the running value held in
// vector registers from one instruction to the next (values read again later are kept in an
// L1-resident block), instead of one full pass and one buffer per op.
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

// The program as the kernel runs it (made by PrepareFusedProgram): an accumulator machine whose
// accumulator is a few vectors held in registers. An instruction's result stays there for the
// next one; an operand that is not the previous result comes from its register's memory (an
// input, or a temporary that kSpill stored because an instruction other than the next reads it).
namespace fused_code {
inline constexpr uint8_t kLoad = 0;    // acc = reg
inline constexpr uint8_t kSpill = 1;   // reg = acc
inline constexpr uint8_t kMem = 2;     // + binary op (kAdd..kDiv): acc = acc op reg
inline constexpr uint8_t kMemR = 6;    // + binary op: acc = reg op acc
inline constexpr uint8_t kAcc = 10;    // + binary op: acc = acc op acc
inline constexpr uint8_t kUnary = 14;  // Unary(op): acc = op(acc)
constexpr uint8_t Binary(uint8_t base, FusedOp op) { return static_cast<uint8_t>(base + static_cast<uint8_t>(op)); }
constexpr uint8_t Unary(FusedOp op) {
  return static_cast<uint8_t>(kUnary + static_cast<uint8_t>(op) - static_cast<uint8_t>(FusedOp::kRelu));
}
}  // namespace fused_code

struct FusedStep {
  uint8_t code;      // fused_code
  // The memory operand's register; kMaxFusedRegisters when there is none: the kernel's pointer
  // table has an entry there too, so a step computes its operand's address without a branch.
  int32_t reg = kMaxFusedRegisters;
  float p0 = 0, p1 = 0;
};

struct FusedProgram {
  std::vector<FusedInstruction> code;
  int32_t num_inputs = 0;
  std::vector<FusedStep> steps;  // PrepareFusedProgram's schedule of `code`
};

// An input: element i of the output reads data[i % period]. period == n: an input of the
// output's shape; 1: a scalar; otherwise a trailing part of the output's shape (a bias row).
struct FusedOperand {
  const float* data = nullptr;
  int64_t period = 0;
};

// Throws axon::Error for a program the kernel cannot run (too many registers or inputs, a
// register read before it is written, a destination that is an input); otherwise sets
// program.steps. Once per plan: FusedElementwiseF32 runs only a prepared program.
void PrepareFusedProgram(FusedProgram& program);

// y[0, n) = program(inputs). y may be an input whose period is n (in place); no other overlap.
// Allocates nothing; splits n across threads in fixed blocks.
void FusedElementwiseF32(const FusedProgram& program, const FusedOperand* inputs, float* y, int64_t n);

}  // namespace axon::kernels
