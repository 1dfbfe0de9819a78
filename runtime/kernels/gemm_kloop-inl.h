// The k loop of gemm.cc's full-height micro-kernels (kMR rows: 8 on AVX-512, 6 on AVX2) as GCC
// extended asm. GCC 12 compiled the Highway loop of the 8 × 3 AVX-512 tile with 6 to 9 register
// copies and a spill (store + reload, on an accumulator's FMA chain) per 4 k, and with A in
// place 14 more stack loads; the AVX2 6 × 2 with A in place had 8. Here each accumulator lives
// in one register for the whole loop: per k, NV loads of B, MR broadcasts of A and MR·NV FMAs,
// nothing else but the pointer updates (L1-resident 8 × 3 tile: +6-10% GFLOP/s; sgemm 128³ to
// 512³ and 64 × 512 × 512: +7-12%; MLP 784-512-512-10 at batch 32: +3-4%).
//
// Every C element is still one FMA chain over k in order, vfmadd231ps being Highway's MulAdd on
// these targets, so results are the bits of the Highway loop (gemm_order_test.cc pins them
// against a scalar std::fma reference).
//
// GCC allows 30 operands to an asm (an in-out one counts twice), fewer than 24 in-out
// accumulators and the pointers: the accumulators are outputs zeroed inside, and the loop's
// scalars come in one struct that the asm reads into fixed scratch registers.
// Included by gemm.cc once per Highway target (toggle guard below) after <hwy/highway.h>.

#ifndef AXON_RUNTIME_KERNELS_GEMM_KLOOP_SHARED_
#define AXON_RUNTIME_KERNELS_GEMM_KLOOP_SHARED_
#include <cstddef>
#include <cstdint>

namespace axon::kernels::detail {

// What the asm reads, by offset: keep the field order.
struct KLoopArgs {
  const float* a;          //  0: A: the packed micro-panel, or row 0 in place
  const float* b;          //  8: B's row k = 0
  int64_t ldb_bytes;       // 16
  int64_t prefetch_iters;  // 24: iterations of 4 k that also fetch 4 lines at `prefetch`
  int64_t iters;           // 32: iterations of 4 k after those
  int64_t tail;            // 40: single k after those (kc % 4)
  const float* prefetch;   // 48: the next B micro-panel's lines, one per k
  int64_t lda_bytes;       // 56: A in place: row stride
  int64_t lda3_bytes;      // 64: 3 rows
  const float* a3;         // 72: row 3 in place
  const float* c;          // 80: the C tile, fetched before the loop (read or written after it)
  int64_t ldc_bytes;       // 88
};
static_assert(offsetof(KLoopArgs, prefetch) == 48 && offsetof(KLoopArgs, a3) == 72 && offsetof(KLoopArgs, ldc_bytes) == 88,
              "the asm reads KLoopArgs by these offsets");

}  // namespace axon::kernels::detail

// Register roles: rax A (row 0), r9 A's row 3, r10 lda, r11 3·lda, rdx B's row, r8 ldb, rcx the
// count, rsi the prefetch address, rdi C's row. A packed for MR rows: (k, i) at
// rax + 4·(MR·k + i). In place, row i at rax + {0, r10, 2·r10, r11, 4·r10}, r9 + {2·r10, 4·r10}
// for rows 5 and 7, rax + 2·r11 for row 6: every row one address mode off two pointers.
#define AXON_KL_LOAD_ARGS                                                                               \
  "mov (%[p]), %%rax\n\t mov 8(%[p]), %%rdx\n\t mov 16(%[p]), %%r8\n\t mov 48(%[p]), %%rsi\n\t" \
  "mov 56(%[p]), %%r10\n\t mov 64(%[p]), %%r11\n\t mov 72(%[p]), %%r9\n\t"
#define AXON_KL_PA(MR, u, i) #u "*4*" #MR "+4*" #i "(%%rax)"
#define AXON_KL_IA0(u) "4*" #u "(%%rax)"
#define AXON_KL_IA1(u) "4*" #u "(%%rax,%%r10)"
#define AXON_KL_IA2(u) "4*" #u "(%%rax,%%r10,2)"
#define AXON_KL_IA3(u) "4*" #u "(%%rax,%%r11)"
#define AXON_KL_IA4(u) "4*" #u "(%%rax,%%r10,4)"
#define AXON_KL_IA5(u) "4*" #u "(%%r9,%%r10,2)"
#define AXON_KL_IA6(u) "4*" #u "(%%rax,%%r11,2)"
#define AXON_KL_IA7(u) "4*" #u "(%%r9,%%r10,4)"

// Row i: broadcast A's element at ADDR, NV FMAs into accumulators c<i>0..c<i>(NV-1).
#define AXON_KL_FMA1(R, i) "vfmadd231ps " R##_B0 ", " R##_T ", %[c" #i "0]\n\t"
#define AXON_KL_FMA2(R, i) AXON_KL_FMA1(R, i) "vfmadd231ps " R##_B1 ", " R##_T ", %[c" #i "1]\n\t"
#define AXON_KL_FMA3(R, i) AXON_KL_FMA2(R, i) "vfmadd231ps " R##_B2 ", " R##_T ", %[c" #i "2]\n\t"
#define AXON_KL_ROW(R, NV, i, ADDR) "vbroadcastss " ADDR ", " R##_T "\n\t" AXON_KL_FMA##NV(R, i)
#define AXON_KL_LOADB1(R) "vmovups (%%rdx), " R##_B0 "\n\t"
#define AXON_KL_LOADB2(R) AXON_KL_LOADB1(R) "vmovups " R##_BYTES "(%%rdx), " R##_B1 "\n\t"
#define AXON_KL_LOADB3(R) AXON_KL_LOADB2(R) "vmovups 2*" R##_BYTES "(%%rdx), " R##_B2 "\n\t"
#define AXON_KL_LOADB(R, NV) AXON_KL_LOADB##NV(R) "add %%r8, %%rdx\n\t"

// One k (its index u within an iteration of 4) for 8 or 6 rows, A packed (P) or in place (I).
#define AXON_KL_K8P(R, NV, u)                                                                                     \
  AXON_KL_LOADB(R, NV)                                                                                            \
  AXON_KL_ROW(R, NV, 0, AXON_KL_PA(8, u, 0)) AXON_KL_ROW(R, NV, 1, AXON_KL_PA(8, u, 1))                            \
  AXON_KL_ROW(R, NV, 2, AXON_KL_PA(8, u, 2)) AXON_KL_ROW(R, NV, 3, AXON_KL_PA(8, u, 3))                            \
  AXON_KL_ROW(R, NV, 4, AXON_KL_PA(8, u, 4)) AXON_KL_ROW(R, NV, 5, AXON_KL_PA(8, u, 5))                            \
  AXON_KL_ROW(R, NV, 6, AXON_KL_PA(8, u, 6)) AXON_KL_ROW(R, NV, 7, AXON_KL_PA(8, u, 7))
#define AXON_KL_K8I(R, NV, u)                                                                                       \
  AXON_KL_LOADB(R, NV)                                                                                              \
  AXON_KL_ROW(R, NV, 0, AXON_KL_IA0(u)) AXON_KL_ROW(R, NV, 1, AXON_KL_IA1(u)) AXON_KL_ROW(R, NV, 2, AXON_KL_IA2(u)) \
  AXON_KL_ROW(R, NV, 3, AXON_KL_IA3(u)) AXON_KL_ROW(R, NV, 4, AXON_KL_IA4(u)) AXON_KL_ROW(R, NV, 5, AXON_KL_IA5(u)) \
  AXON_KL_ROW(R, NV, 6, AXON_KL_IA6(u)) AXON_KL_ROW(R, NV, 7, AXON_KL_IA7(u))
#define AXON_KL_K6P(R, NV, u)                                                                                     \
  AXON_KL_LOADB(R, NV)                                                                                            \
  AXON_KL_ROW(R, NV, 0, AXON_KL_PA(6, u, 0)) AXON_KL_ROW(R, NV, 1, AXON_KL_PA(6, u, 1))                            \
  AXON_KL_ROW(R, NV, 2, AXON_KL_PA(6, u, 2)) AXON_KL_ROW(R, NV, 3, AXON_KL_PA(6, u, 3))                            \
  AXON_KL_ROW(R, NV, 4, AXON_KL_PA(6, u, 4)) AXON_KL_ROW(R, NV, 5, AXON_KL_PA(6, u, 5))
#define AXON_KL_K6I(R, NV, u)                                                                                       \
  AXON_KL_LOADB(R, NV)                                                                                              \
  AXON_KL_ROW(R, NV, 0, AXON_KL_IA0(u)) AXON_KL_ROW(R, NV, 1, AXON_KL_IA1(u)) AXON_KL_ROW(R, NV, 2, AXON_KL_IA2(u)) \
  AXON_KL_ROW(R, NV, 3, AXON_KL_IA3(u)) AXON_KL_ROW(R, NV, 4, AXON_KL_IA4(u)) AXON_KL_ROW(R, NV, 5, AXON_KL_IA5(u))
// A's advance after 4 k and after 1 k.
#define AXON_KL_ADVK8P4 "add $128, %%rax\n\t"
#define AXON_KL_ADVK8P1 "add $32, %%rax\n\t"
#define AXON_KL_ADVK6P4 "add $96, %%rax\n\t"
#define AXON_KL_ADVK6P1 "add $24, %%rax\n\t"
#define AXON_KL_ADVK8I4 "add $16, %%rax\n\t add $16, %%r9\n\t"
#define AXON_KL_ADVK8I1 "add $4, %%rax\n\t add $4, %%r9\n\t"
#define AXON_KL_ADVK6I4 AXON_KL_ADVK8I4
#define AXON_KL_ADVK6I1 AXON_KL_ADVK8I1

// Every line of a C row of NV vectors: its first float, each 64 bytes on, and its last float
// (a row need not start on a line).
#define AXON_KL_Z_PFC3 "prefetcht0 (%%rdi)\n\t prefetcht0 64(%%rdi)\n\t prefetcht0 128(%%rdi)\n\t prefetcht0 188(%%rdi)\n\t"
#define AXON_KL_Z_PFC2 "prefetcht0 (%%rdi)\n\t prefetcht0 64(%%rdi)\n\t prefetcht0 124(%%rdi)\n\t"
#define AXON_KL_Z_PFC1 "prefetcht0 (%%rdi)\n\t prefetcht0 60(%%rdi)\n\t"
#define AXON_KL_Y_PFC2 "prefetcht0 (%%rdi)\n\t prefetcht0 60(%%rdi)\n\t"
#define AXON_KL_Y_PFC1 "prefetcht0 (%%rdi)\n\t prefetcht0 28(%%rdi)\n\t"
#define AXON_KL_PFC_ROW(R, NV) R##_PFC##NV "add %%rcx, %%rdi\n\t"
#define AXON_KL_PFC6(R, NV)                                                                                       \
  "mov 80(%[p]), %%rdi\n\t mov 88(%[p]), %%rcx\n\t" AXON_KL_PFC_ROW(R, NV) AXON_KL_PFC_ROW(R, NV)                \
      AXON_KL_PFC_ROW(R, NV) AXON_KL_PFC_ROW(R, NV) AXON_KL_PFC_ROW(R, NV) AXON_KL_PFC_ROW(R, NV)
#define AXON_KL_PFC_K8P(R, NV) AXON_KL_PFC6(R, NV) AXON_KL_PFC_ROW(R, NV) AXON_KL_PFC_ROW(R, NV)
#define AXON_KL_PFC_K8I AXON_KL_PFC_K8P
#define AXON_KL_PFC_K6P AXON_KL_PFC6
#define AXON_KL_PFC_K6I AXON_KL_PFC6

// The whole loop: C's lines fetched (the miss hidden behind the loop), then iterations of 4 k
// that fetch the next micro-panel's 4 lines, then plain ones, then the last kc % 4 one at a
// time. TILE is K8P, K8I, K6P or K6I.
#define AXON_KL_LOOP(R, NV, TILE)                                                                               \
  AXON_KL_PFC_##TILE(R, NV) AXON_KL_LOAD_ARGS                                                                   \
  "mov 24(%[p]), %%rcx\n\t test %%rcx, %%rcx\n\t jz 2f\n"                                                       \
  "1:\n\t prefetcht0 (%%rsi)\n\t prefetcht0 64(%%rsi)\n\t prefetcht0 128(%%rsi)\n\t prefetcht0 192(%%rsi)\n\t" \
  "add $256, %%rsi\n\t" AXON_KL_##TILE(R, NV, 0) AXON_KL_##TILE(R, NV, 1) AXON_KL_##TILE(R, NV, 2)              \
  AXON_KL_##TILE(R, NV, 3) AXON_KL_ADV##TILE##4 "dec %%rcx\n\t jnz 1b\n"                                        \
  "2:\n\t mov 32(%[p]), %%rcx\n\t test %%rcx, %%rcx\n\t jz 4f\n"                                                \
  "3:\n\t" AXON_KL_##TILE(R, NV, 0) AXON_KL_##TILE(R, NV, 1) AXON_KL_##TILE(R, NV, 2) AXON_KL_##TILE(R, NV, 3)  \
  AXON_KL_ADV##TILE##4 "dec %%rcx\n\t jnz 3b\n"                                                                 \
  "4:\n\t mov 40(%[p]), %%rcx\n\t test %%rcx, %%rcx\n\t jz 6f\n"                                                \
  "5:\n\t" AXON_KL_##TILE(R, NV, 0) AXON_KL_ADV##TILE##1 "dec %%rcx\n\t jnz 5b\n"                              \
  "6:\n\t"

// Register names: the broadcast (T) and B's vectors, outside the accumulators' range.
#define AXON_KL_Z_T "%%zmm28"
#define AXON_KL_Z_B0 "%%zmm29"
#define AXON_KL_Z_B1 "%%zmm30"
#define AXON_KL_Z_B2 "%%zmm31"
#define AXON_KL_Z_BYTES "64"
#define AXON_KL_Y_T "%%ymm15"
#define AXON_KL_Y_B0 "%%ymm13"
#define AXON_KL_Y_B1 "%%ymm14"
#define AXON_KL_Y_BYTES "32"

#define AXON_KL_ZERO(i, v) "vxorps %[c" #i #v "], %[c" #i #v "], %[c" #i #v "]\n\t"
#define AXON_KL_ZERO_ROW(i) AXON_KL_ZERO(i, 0) AXON_KL_ZERO(i, 1) AXON_KL_ZERO(i, 2)
// AXON_KL_C(i, v) names accumulator (i, v)'s variable where the asm is written.
#define AXON_KL_OUT_ROW(i, C) \
  [c##i##0] "=&" C(AXON_KL_C(i, 0)), [c##i##1] "=&" C(AXON_KL_C(i, 1)), [c##i##2] "=&" C(AXON_KL_C(i, 2))
#define AXON_KL_CLOBBERS "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc"

#endif  // AXON_RUNTIME_KERNELS_GEMM_KLOOP_SHARED_

#if defined(AXON_RUNTIME_KERNELS_GEMM_KLOOP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AXON_RUNTIME_KERNELS_GEMM_KLOOP_INL_H_
#undef AXON_RUNTIME_KERNELS_GEMM_KLOOP_INL_H_
#else
#define AXON_RUNTIME_KERNELS_GEMM_KLOOP_INL_H_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {

#if HWY_ARCH_X86_64 && defined(__GNUC__) && HWY_TARGET <= HWY_AVX3
// 8 rows × up to 3 vectors: 24 accumulators, zmm28-31 for the broadcast and B.
template <int64_t MR, int64_t NV>
constexpr bool HasKLoopAsm() { return MR == 8 && NV >= 1 && NV <= 3; }

// Runs the k loop; acc[i][v] for v < NV receive the sums (unused registers keep no meaning).
template <int64_t MR, int64_t NV, bool kPackedA, class V>
HWY_INLINE void KLoopAsm(const detail::KLoopArgs& args, V (&acc)[MR][NV]) {
  static_assert(HasKLoopAsm<MR, NV>());
#define AXON_KL_Z_ASM(TEXT)                                                                                      \
  asm volatile(AXON_KL_ZERO_ROW(0) AXON_KL_ZERO_ROW(1) AXON_KL_ZERO_ROW(2) AXON_KL_ZERO_ROW(3) AXON_KL_ZERO_ROW(4) \
                   AXON_KL_ZERO_ROW(5) AXON_KL_ZERO_ROW(6) AXON_KL_ZERO_ROW(7) TEXT                                \
               : AXON_KL_OUT_ROW(0, "v"), AXON_KL_OUT_ROW(1, "v"), AXON_KL_OUT_ROW(2, "v"), AXON_KL_OUT_ROW(3, "v"), \
                 AXON_KL_OUT_ROW(4, "v"), AXON_KL_OUT_ROW(5, "v"), AXON_KL_OUT_ROW(6, "v"), AXON_KL_OUT_ROW(7, "v") \
               : [p] "r"(&args), "m"(args)                                                                       \
               : AXON_KL_CLOBBERS, "xmm28", "xmm29", "xmm30", "xmm31")
  if constexpr (NV == 3) {
    // Straight into acc: through a copy, GCC stored all 24 registers twice before the epilogue.
#define AXON_KL_C(i, v) acc[i][v].raw
    if constexpr (kPackedA) {
      AXON_KL_Z_ASM(AXON_KL_LOOP(AXON_KL_Z, 3, K8P));
    } else {
      AXON_KL_Z_ASM(AXON_KL_LOOP(AXON_KL_Z, 3, K8I));
    }
#undef AXON_KL_C
  } else {
    __m512 c[8][3];  // the asm names 24 registers; narrower tiles leave some unused
#define AXON_KL_C(i, v) c[i][v]
    if constexpr (kPackedA) {
      if constexpr (NV == 2) AXON_KL_Z_ASM(AXON_KL_LOOP(AXON_KL_Z, 2, K8P));
      if constexpr (NV == 1) AXON_KL_Z_ASM(AXON_KL_LOOP(AXON_KL_Z, 1, K8P));
    } else {
      if constexpr (NV == 2) AXON_KL_Z_ASM(AXON_KL_LOOP(AXON_KL_Z, 2, K8I));
      if constexpr (NV == 1) AXON_KL_Z_ASM(AXON_KL_LOOP(AXON_KL_Z, 1, K8I));
    }
#undef AXON_KL_C
    for (int64_t i = 0; i < MR; ++i)
      for (int64_t v = 0; v < NV; ++v) acc[i][v].raw = c[i][v];
  }
#undef AXON_KL_Z_ASM
}

#elif HWY_ARCH_X86_64 && defined(__GNUC__) && HWY_TARGET == HWY_AVX2
// 6 rows × up to 2 vectors: 12 accumulators, ymm13-15 for B and the broadcast.
template <int64_t MR, int64_t NV>
constexpr bool HasKLoopAsm() { return MR == 6 && NV >= 1 && NV <= 2; }

template <int64_t MR, int64_t NV, bool kPackedA, class V>
HWY_INLINE void KLoopAsm(const detail::KLoopArgs& args, V (&acc)[MR][NV]) {
  static_assert(HasKLoopAsm<MR, NV>());
#define AXON_KL_ZERO_ROW2(i) AXON_KL_ZERO(i, 0) AXON_KL_ZERO(i, 1)
#define AXON_KL_OUT_ROW2(i) [c##i##0] "=&x"(AXON_KL_C(i, 0)), [c##i##1] "=&x"(AXON_KL_C(i, 1))
#define AXON_KL_Y_ASM(TEXT)                                                                                         \
  asm volatile(AXON_KL_ZERO_ROW2(0) AXON_KL_ZERO_ROW2(1) AXON_KL_ZERO_ROW2(2) AXON_KL_ZERO_ROW2(3)                  \
                   AXON_KL_ZERO_ROW2(4) AXON_KL_ZERO_ROW2(5) TEXT                                                   \
               : AXON_KL_OUT_ROW2(0), AXON_KL_OUT_ROW2(1), AXON_KL_OUT_ROW2(2), AXON_KL_OUT_ROW2(3),                \
                 AXON_KL_OUT_ROW2(4), AXON_KL_OUT_ROW2(5)                                                           \
               : [p] "r"(&args), "m"(args)                                                                          \
               : AXON_KL_CLOBBERS, "xmm13", "xmm14", "xmm15")
  if constexpr (NV == 2) {
#define AXON_KL_C(i, v) acc[i][v].raw
    if constexpr (kPackedA) {
      AXON_KL_Y_ASM(AXON_KL_LOOP(AXON_KL_Y, 2, K6P));
    } else {
      AXON_KL_Y_ASM(AXON_KL_LOOP(AXON_KL_Y, 2, K6I));
    }
#undef AXON_KL_C
  } else {
    __m256 c[6][2];
#define AXON_KL_C(i, v) c[i][v]
    if constexpr (kPackedA) {
      AXON_KL_Y_ASM(AXON_KL_LOOP(AXON_KL_Y, 1, K6P));
    } else {
      AXON_KL_Y_ASM(AXON_KL_LOOP(AXON_KL_Y, 1, K6I));
    }
#undef AXON_KL_C
    for (int64_t i = 0; i < MR; ++i) acc[i][0].raw = c[i][0];
  }
#undef AXON_KL_Y_ASM
#undef AXON_KL_OUT_ROW2
#undef AXON_KL_ZERO_ROW2
}

#else
template <int64_t MR, int64_t NV>
constexpr bool HasKLoopAsm() { return false; }
template <int64_t MR, int64_t NV, bool kPackedA, class V>
HWY_INLINE void KLoopAsm(const detail::KLoopArgs&, V (&)[MR][NV]) {}
#endif

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
