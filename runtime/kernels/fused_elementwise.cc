// The fused elementwise kernel: threads take fixed blocks of kFlatBlock elements (flat_blocks.h);
// inside one, inputs that repeat with a short period are staged per sub-block of kSubBlock
// floats, and the program runs over groups of kGroup vectors: each instruction is dispatched
// once per group, its result stays in registers for the next instruction, and only values read
// again later (a tree rather than a chain) go to an L1-resident temporary. So memory is touched
// once for each input and the output, and L1 only for what the program reuses.
//
// Measured on the 8-op chain of bench/fusion_bench.cc (1M floats, 1 thread, CPU time beside a
// copy of the same 4 MiB in the same run, fusion/chain8_1M/ratio): one loop over a 256-float
// sub-block per instruction, every result stored to and reloaded from L1, ran at 1.44-1.59x the
// copy's time on AVX-512 and 2.1-2.4x on AVX2 (store-bound: 8 stores a vector); this runs at
// 1.04-1.09x and 1.08-1.12x (load average 7-10 on 2 cores). With the data in L1 (8K floats) the
// chain's compute alone went from 2.8 to 1.6 us (AVX-512) and from 4.7 to 2.4 us (AVX2).

#include "runtime/kernels/fused_elementwise.h"

#include <array>
#include <cstring>
#include <string>
#include <utility>

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
// 1 KiB: staged inputs and temporaries stay in L1 and fit in ~32 KiB of stack; a multiple of
// every target's group (at most 256 floats).
inline constexpr int64_t kSubBlock = 256;
}  // namespace axon::kernels
#endif

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

template <class D>
using VF = hn::Vec<D>;

// Vectors an instruction handles per dispatch (about ten instructions of loop and jump table):
// half the registers (32 on AVX-512, 16 below), the rest for an inlined op's temporaries. On the
// chain above (before the branchless operand address), 4 vectors on AVX2 gave 1.8-2.0x the
// copy's time, 8 gave 1.23-1.33x; on AVX-512, 4 gave 1.38x, 8 1.06x, 16 1.05x (compute alone 10%
// less than with 8).
inline constexpr std::size_t kGroup = HWY_MAX_BYTES >= 64 ? 16 : 8;

// The running value of a group: kGroup vectors, each indexed by a constant, so that they live in
// registers.
template <class D>
struct Group {
  VF<D> v[kGroup];
};
using Lanes = std::make_index_sequence<kGroup>;

template <class D, std::size_t... I>
HWY_INLINE Group<D> LoadGroup(D d, const float* HWY_RESTRICT p, std::index_sequence<I...>) {
  return {{hn::LoadU(d, p + I * hn::Lanes(d))...}};
}
template <class D>
HWY_INLINE Group<D> LoadGroup(D d, const float* HWY_RESTRICT p) {
  return LoadGroup(d, p, Lanes());
}

template <class D, std::size_t... I>
HWY_INLINE void StoreGroup(D d, const Group<D>& g, float* HWY_RESTRICT p, std::index_sequence<I...>) {
  (hn::StoreU(g.v[I], d, p + I * hn::Lanes(d)), ...);
}
template <class D>
HWY_INLINE void StoreGroup(D d, const Group<D>& g, float* HWY_RESTRICT p) {
  StoreGroup(d, g, p, Lanes());
}

template <class D, class Op, std::size_t... I>
HWY_INLINE Group<D> Map(D d, const Group<D>& a, const Op& op, std::index_sequence<I...>) {
  return {{op(d, a.v[I])...}};
}
template <class D, class Op>
HWY_INLINE Group<D> Map(D d, const Group<D>& a, const Op& op) {
  return Map(d, a, op, Lanes());
}

// The arithmetic is one IEEE operation per lane, the same as the Add/Sub/Mul/Div kernels'.
template <class D, class F, std::size_t... I>
HWY_INLINE Group<D> Zip(const Group<D>& a, const Group<D>& b, const F& f, std::index_sequence<I...>) {
  return {{f(a.v[I], b.v[I])...}};
}
template <class D, class F>
HWY_INLINE Group<D> Zip(const Group<D>& a, const Group<D>& b, const F& f) {
  return Zip(a, b, f, Lanes());
}

// The ops with many temporaries of their own, out of line: inlined beside the accumulator, they
// would push it out of registers for every instruction, not only theirs (16 registers on AVX2).
// The group goes through memory (L1) once for such an op, a small part of its cost.
template <class D>
HWY_NOINLINE void Transcendental(D d, const FusedStep& s, float* HWY_RESTRICT group) {
  namespace fc = fused_code;
  auto map = [&](const auto& op) {
    for (std::size_t i = 0; i < kGroup * hn::Lanes(d); i += hn::Lanes(d)) hn::Store(op(d, hn::Load(d, group + i)), d, group + i);
  };
  switch (s.code) {
    case fc::Unary(FusedOp::kSigmoid): return map(SigmoidOp());
    case fc::Unary(FusedOp::kTanh): return map(TanhOp());
    case fc::Unary(FusedOp::kExp): return map(ExpOp());
    case fc::Unary(FusedOp::kLog): return map(LogOp());
    case fc::Unary(FusedOp::kErf): return map(ErfOp());
    case fc::Unary(FusedOp::kSoftplus): return map(SoftplusOp());
    case fc::Unary(FusedOp::kElu): return map(EluOp{s.p0});
    case fc::Unary(FusedOp::kSelu): return map(SeluOp{s.p0, s.p1});
    default: __builtin_unreachable();  // RunGroup sends no other code
  }
}

// Runs the program on the group at element `off` of every register's memory (reg: inputs and
// temporaries; temps: the same, writable, for the temporaries) and stores the result to y. Every
// case is its own block, so the compiler cannot contract a Mul and the next instruction's Add into
// an FMA: results stay those of the unfused ops (whose arithmetic is one IEEE operation a lane).
template <class D>
HWY_INLINE void RunGroup(D d, const FusedStep* steps, std::size_t count, const float* const* reg, float* const* temps,
                         std::size_t off, float* HWY_RESTRICT y) {
  namespace fc = fused_code;
  using V = VF<D>;
  Group<D> acc{};
  HWY_ALIGN float spilled[kGroup * kMaxF32Lanes];
  for (const FusedStep* s = steps; s != steps + count; ++s) {
    const float* m = reg[s->reg] + off;  // unused by the steps without a memory operand
    switch (s->code) {
      case fc::kLoad: acc = LoadGroup(d, m); break;
      case fc::kSpill: StoreGroup(d, acc, temps[s->reg] + off); break;
      case fc::Binary(fc::kMem, FusedOp::kAdd): acc = Zip(acc, LoadGroup(d, m), [](V a, V b) { return hn::Add(a, b); }); break;
      case fc::Binary(fc::kMem, FusedOp::kSub): acc = Zip(acc, LoadGroup(d, m), [](V a, V b) { return hn::Sub(a, b); }); break;
      case fc::Binary(fc::kMem, FusedOp::kMul): acc = Zip(acc, LoadGroup(d, m), [](V a, V b) { return hn::Mul(a, b); }); break;
      case fc::Binary(fc::kMem, FusedOp::kDiv): acc = Zip(acc, LoadGroup(d, m), [](V a, V b) { return hn::Div(a, b); }); break;
      case fc::Binary(fc::kMemR, FusedOp::kAdd): acc = Zip(LoadGroup(d, m), acc, [](V a, V b) { return hn::Add(a, b); }); break;
      case fc::Binary(fc::kMemR, FusedOp::kSub): acc = Zip(LoadGroup(d, m), acc, [](V a, V b) { return hn::Sub(a, b); }); break;
      case fc::Binary(fc::kMemR, FusedOp::kMul): acc = Zip(LoadGroup(d, m), acc, [](V a, V b) { return hn::Mul(a, b); }); break;
      case fc::Binary(fc::kMemR, FusedOp::kDiv): acc = Zip(LoadGroup(d, m), acc, [](V a, V b) { return hn::Div(a, b); }); break;
      case fc::Binary(fc::kAcc, FusedOp::kAdd): acc = Zip(acc, acc, [](V a, V b) { return hn::Add(a, b); }); break;
      case fc::Binary(fc::kAcc, FusedOp::kSub): acc = Zip(acc, acc, [](V a, V b) { return hn::Sub(a, b); }); break;
      case fc::Binary(fc::kAcc, FusedOp::kMul): acc = Zip(acc, acc, [](V a, V b) { return hn::Mul(a, b); }); break;
      case fc::Binary(fc::kAcc, FusedOp::kDiv): acc = Zip(acc, acc, [](V a, V b) { return hn::Div(a, b); }); break;
      case fc::Unary(FusedOp::kRelu): acc = Map(d, acc, ReluOp()); break;
      case fc::Unary(FusedOp::kSqrt): acc = Map(d, acc, SqrtOp()); break;
      case fc::Unary(FusedOp::kNeg): acc = Map(d, acc, NegOp()); break;
      case fc::Unary(FusedOp::kAbs): acc = Map(d, acc, AbsOp()); break;
      case fc::Unary(FusedOp::kReciprocal): acc = Map(d, acc, ReciprocalOp()); break;
      case fc::Unary(FusedOp::kHardSwish): acc = Map(d, acc, HardSwishOp()); break;
      case fc::Unary(FusedOp::kLeakyRelu): acc = Map(d, acc, LeakyReluOp{s->p0}); break;
      case fc::Unary(FusedOp::kHardSigmoid): acc = Map(d, acc, HardSigmoidOp{s->p0, s->p1}); break;
      case fc::Unary(FusedOp::kSigmoid):
      case fc::Unary(FusedOp::kTanh):
      case fc::Unary(FusedOp::kExp):
      case fc::Unary(FusedOp::kLog):
      case fc::Unary(FusedOp::kErf):
      case fc::Unary(FusedOp::kSoftplus):
      case fc::Unary(FusedOp::kElu):
      case fc::Unary(FusedOp::kSelu):
        StoreGroup(d, acc, spilled);
        Transcendental(d, *s, spilled);
        acc = LoadGroup(d, spilled);
        break;
      default: __builtin_unreachable();  // PrepareFusedProgram makes no other code
    }
  }
  StoreGroup(d, acc, y);
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
  const std::size_t group = kGroup * hn::Lanes(d);
  const int32_t num_inputs = program.num_inputs;
  const FusedStep* steps = program.steps.data();
  const std::size_t count = program.steps.size();
  HWY_ALIGN float temps[kMaxFusedRegisters - 1][kSubBlock];  // indexed by register - num_inputs
  HWY_ALIGN float staged[kMaxFusedInputs][kSubBlock];
  // Inputs, temporaries, and at kMaxFusedRegisters the place of no operand (FusedStep::reg).
  const float* reg[kMaxFusedRegisters + 1];
  float* temp[kMaxFusedRegisters + 1] = {};
  for (int32_t r = num_inputs; r < kMaxFusedRegisters; ++r) reg[r] = temp[r] = temps[r - num_inputs];
  reg[kMaxFusedRegisters] = temp[kMaxFusedRegisters] = temps[0];
  bool scalar_staged[kMaxFusedInputs] = {};
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
    const std::size_t full = static_cast<std::size_t>(len) / group * group;
    for (std::size_t off = 0; off < full; off += group) RunGroup(d, steps, count, reg, temp, off, y + start + off);
    if (full == static_cast<std::size_t>(len)) continue;
    // The last partial group (only at the end of y): its inputs copied into a zero-padded group,
    // computed by the same code, and the valid part copied out.
    const std::size_t rest = static_cast<std::size_t>(len) - full;
    HWY_ALIGN float padded[kMaxFusedInputs][kGroup * kMaxF32Lanes] = {};
    HWY_ALIGN float out[kGroup * kMaxF32Lanes];
    const float* tail_reg[kMaxFusedRegisters + 1];
    for (int32_t r = num_inputs; r <= kMaxFusedRegisters; ++r) tail_reg[r] = reg[r];
    for (int32_t i = 0; i < num_inputs; ++i) {
      std::memcpy(padded[i], reg[i] + full, rest * sizeof(float));
      tail_reg[i] = padded[i];
    }
    RunGroup(d, steps, count, tail_reg, temp, 0, out);
    std::memcpy(y + start + full, out, rest * sizeof(float));
  }
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(FusedRangeF32);

void PrepareFusedProgram(FusedProgram& p) {
  namespace fc = fused_code;
  auto fail = [](const std::string& why) { throw Error(ErrorCode::kInvalidArgument, "fused elementwise program: " + why); };
  if (p.code.empty()) fail("no instructions");
  if (p.num_inputs < 1 || p.num_inputs > kMaxFusedInputs)
    fail(std::to_string(p.num_inputs) + " inputs; 1.." + std::to_string(kMaxFusedInputs) + " are supported");
  // source[k][j]: the instruction whose result operand j of instruction k reads (-1: an input).
  const std::size_t count = p.code.size();
  std::vector<std::array<int64_t, 2>> source(count, {-1, -1});
  int64_t writer[kMaxFusedRegisters];
  bool written[kMaxFusedRegisters] = {};
  for (int32_t r = 0; r < kMaxFusedRegisters; ++r) writer[r] = -1;
  for (int32_t r = 0; r < p.num_inputs; ++r) written[r] = true;
  // A result is spilled when an instruction other than the next one reads it.
  std::vector<bool> spill(count, false);
  for (std::size_t k = 0; k < count; ++k) {
    const FusedInstruction& in = p.code[k];
    const bool binary = in.op <= FusedOp::kDiv;
    if (in.dst < p.num_inputs || in.dst >= kMaxFusedRegisters) fail("destination register " + std::to_string(in.dst));
    if (in.a < 0 || in.a >= kMaxFusedRegisters || !written[in.a]) fail("register " + std::to_string(in.a) + " is not set");
    if (binary && (in.b < 0 || in.b >= kMaxFusedRegisters || !written[in.b]))
      fail("register " + std::to_string(in.b) + " is not set");
    if (!binary && in.b != -1) fail("a unary op reads a second register");
    source[k][0] = writer[in.a];
    if (binary) source[k][1] = writer[in.b];
    for (int64_t w : source[k])
      if (w >= 0 && w + 1 != static_cast<int64_t>(k)) spill[static_cast<std::size_t>(w)] = true;
    written[in.dst] = true;
    writer[in.dst] = static_cast<int64_t>(k);
  }
  p.steps.clear();
  for (std::size_t k = 0; k < count; ++k) {
    const FusedInstruction& in = p.code[k];
    const auto previous = static_cast<int64_t>(k) - 1;
    const bool a_acc = k > 0 && source[k][0] == previous, b_acc = k > 0 && source[k][1] == previous;
    if (in.op > FusedOp::kDiv) {
      if (!a_acc) p.steps.push_back({fc::kLoad, in.a});
      p.steps.push_back({fc::Unary(in.op), kMaxFusedRegisters, in.p0, in.p1});
    } else if (a_acc && b_acc) {
      p.steps.push_back({fc::Binary(fc::kAcc, in.op), kMaxFusedRegisters});
    } else if (b_acc) {
      p.steps.push_back({fc::Binary(fc::kMemR, in.op), in.a});
    } else {
      if (!a_acc) p.steps.push_back({fc::kLoad, in.a});
      p.steps.push_back({fc::Binary(fc::kMem, in.op), in.b});
    }
    if (spill[k]) p.steps.push_back({fc::kSpill, in.dst});
  }
}

void FusedElementwiseF32(const FusedProgram& program, const FusedOperand* inputs, float* y, int64_t n) {
  if (program.steps.empty())  // unprepared: its steps would store zeros
    throw Error(ErrorCode::kInternal, "fused elementwise program: run before PrepareFusedProgram");
  ForEachFlatBlock(n, [&](int64_t begin, int64_t end) {
    HWY_DYNAMIC_DISPATCH(FusedRangeF32)(program, inputs, y, n, begin, end);
  });
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
