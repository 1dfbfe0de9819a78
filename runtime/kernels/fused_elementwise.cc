// The fused elementwise kernel: threads take fixed blocks of kFlatBlock elements (flat_blocks.h);
// inside one, the program runs over sub-blocks of kSubBlock floats, so every temporary it
// writes and reads again stays in L1 and memory is touched once for each input and the output.

#include "runtime/kernels/fused_elementwise.h"

#include <cstring>
#include <string>

#include "axon/error.h"
#include "runtime/kernels/flat_blocks.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/fused_elementwise.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>
#include "runtime/kernels/activation-inl.h"
#include "runtime/kernels/simd-inl.h"
#include "runtime/kernels/unary-inl.h"

#ifndef AXON_FUSED_ELEMENTWISE_ONCE
#define AXON_FUSED_ELEMENTWISE_ONCE
namespace axon::kernels {
// 256 floats = 1 KiB: temporaries and staged inputs stay in L1 and fit in 31 KiB of stack, and
// one instruction's loop over a sub-block (16 AVX-512 vectors) still amortizes its dispatch.
// Measured on the 8-op chain of bench/fusion_bench.cc (AVX-512): 128 floats 1.7x memcpy's time,
// 256 1.44x, 512 and 1024 1.55x.
inline constexpr int64_t kSubBlock = 256;
}  // namespace axon::kernels
#endif

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

struct AddOp { template <class D, class V> HWY_INLINE V operator()(D, V a, V b) const { return hn::Add(a, b); } };
struct SubOp { template <class D, class V> HWY_INLINE V operator()(D, V a, V b) const { return hn::Sub(a, b); } };
struct MulOp { template <class D, class V> HWY_INLINE V operator()(D, V a, V b) const { return hn::Mul(a, b); } };
struct DivOp { template <class D, class V> HWY_INLINE V operator()(D, V a, V b) const { return hn::Div(a, b); } };

template <class D>
HWY_INLINE void Step(D d, const FusedInstruction& in, const float* a, const float* b, float* y, std::size_t n) {
  switch (in.op) {
    case FusedOp::kAdd: return Transform2F32(d, a, b, y, n, AddOp());
    case FusedOp::kSub: return Transform2F32(d, a, b, y, n, SubOp());
    case FusedOp::kMul: return Transform2F32(d, a, b, y, n, MulOp());
    case FusedOp::kDiv: return Transform2F32(d, a, b, y, n, DivOp());
    case FusedOp::kRelu: return TransformF32(d, a, y, n, ReluOp());
    case FusedOp::kSigmoid: return TransformF32(d, a, y, n, SigmoidOp());
    case FusedOp::kTanh: return TransformF32(d, a, y, n, TanhOp());
    case FusedOp::kExp: return TransformF32(d, a, y, n, ExpOp());
    case FusedOp::kLog: return TransformF32(d, a, y, n, LogOp());
    case FusedOp::kSqrt: return TransformF32(d, a, y, n, SqrtOp());
    case FusedOp::kNeg: return TransformF32(d, a, y, n, NegOp());
    case FusedOp::kAbs: return TransformF32(d, a, y, n, AbsOp());
    case FusedOp::kReciprocal: return TransformF32(d, a, y, n, ReciprocalOp());
    case FusedOp::kErf: return TransformF32(d, a, y, n, ErfOp());
    case FusedOp::kSoftplus: return TransformF32(d, a, y, n, SoftplusOp());
    case FusedOp::kHardSwish: return TransformF32(d, a, y, n, HardSwishOp());
    case FusedOp::kLeakyRelu: return TransformF32(d, a, y, n, LeakyReluOp{in.p0});
    case FusedOp::kElu: return TransformF32(d, a, y, n, EluOp{in.p0});
    case FusedOp::kSelu: return TransformF32(d, a, y, n, SeluOp{in.p0, in.p1});
    case FusedOp::kHardSigmoid: return TransformF32(d, a, y, n, HardSigmoidOp{in.p0, in.p1});
  }
}

// Copies elements [start, start + len) of a periodic input into buf.
void Stage(const FusedOperand& in, int64_t start, int64_t len, float* buf) {
  int64_t pos = start % in.period;
  for (int64_t done = 0; done < len;) {
    const int64_t take = std::min(len - done, in.period - pos);
    std::memcpy(buf + done, in.data + pos, static_cast<std::size_t>(take) * sizeof(float));
    done += take;
    pos = 0;
  }
}

void FusedRangeF32(const FusedProgram& program, const FusedOperand* inputs, float* y, int64_t n, int64_t begin,
                   int64_t end) {
  const hn::ScalableTag<float> d;
  const int32_t num_inputs = program.num_inputs;
  HWY_ALIGN float temps[kMaxFusedRegisters - 1][kSubBlock];  // indexed by register - num_inputs
  HWY_ALIGN float staged[kMaxFusedInputs][kSubBlock];
  const float* reg[kMaxFusedRegisters];
  for (int32_t r = num_inputs; r < kMaxFusedRegisters; ++r) reg[r] = temps[r - num_inputs];
  bool scalar_staged[kMaxFusedInputs] = {};
  const std::size_t last = program.code.size() - 1;
  for (int64_t start = begin; start < end; start += kSubBlock) {
    const int64_t len = std::min(kSubBlock, end - start);
    for (int32_t i = 0; i < num_inputs; ++i) {
      const FusedOperand& in = inputs[i];
      if (in.period == n) {
        reg[i] = in.data + start;
      } else if (in.period == 1) {
        if (!scalar_staged[i]) std::fill_n(staged[i], kSubBlock, in.data[0]), scalar_staged[i] = true;
        reg[i] = staged[i];
      } else if (start % in.period + len <= in.period) {
        reg[i] = in.data + start % in.period;  // this sub-block lies within one period
      } else {
        Stage(in, start, len, staged[i]);
        reg[i] = staged[i];
      }
    }
    for (std::size_t k = 0; k <= last; ++k) {
      const FusedInstruction& in = program.code[k];
      float* out = k == last ? y + start : temps[in.dst - num_inputs];
      Step(d, in, reg[in.a], in.b >= 0 ? reg[in.b] : nullptr, out, static_cast<std::size_t>(len));
    }
  }
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(FusedRangeF32);

void CheckFusedProgram(const FusedProgram& p) {
  auto fail = [](const std::string& why) { throw Error(ErrorCode::kInvalidArgument, "fused elementwise program: " + why); };
  if (p.code.empty()) fail("no instructions");
  if (p.num_inputs < 1 || p.num_inputs > kMaxFusedInputs)
    fail(std::to_string(p.num_inputs) + " inputs; 1.." + std::to_string(kMaxFusedInputs) + " are supported");
  bool written[kMaxFusedRegisters] = {};
  for (int32_t r = 0; r < p.num_inputs; ++r) written[r] = true;
  for (const FusedInstruction& in : p.code) {
    const bool binary = in.op <= FusedOp::kDiv;
    if (in.dst < p.num_inputs || in.dst >= kMaxFusedRegisters) fail("destination register " + std::to_string(in.dst));
    if (in.a < 0 || in.a >= kMaxFusedRegisters || !written[in.a]) fail("register " + std::to_string(in.a) + " is not set");
    if (binary && (in.b < 0 || in.b >= kMaxFusedRegisters || !written[in.b]))
      fail("register " + std::to_string(in.b) + " is not set");
    if (!binary && in.b != -1) fail("a unary op reads a second register");
    written[in.dst] = true;
  }
}

void FusedElementwiseF32(const FusedProgram& program, const FusedOperand* inputs, float* y, int64_t n) {
  ForEachFlatBlock(n, [&](int64_t begin, int64_t end) {
    HWY_DYNAMIC_DISPATCH(FusedRangeF32)(program, inputs, y, n, begin, end);
  });
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
