// BLIS-style sgemm. The micro-kernel keeps an MR × NR tile of C in registers (8 × 3 vectors =
// 24 of AVX-512's 32 registers, + 3 B vectors + 1 broadcast; 6 × 2 on 16-register targets) and
// walks one K block: per k, NV loads of B and MR broadcasts of A feed MR·NV independent FMAs,
// enough to cover 4 cycles of FMA latency on 2 ports. K is cut into blocks of at most kKC so a
// B micro-panel (kc × NR) stays in L1 while the row tiles of a block stream past it.
//
// A is packed into kMR-row micro-panels (one sequential stream of broadcasts) per block and K
// block when op(B) is wide enough to repay the copy, or when A is transposed; otherwise the
// micro-kernel broadcasts from A's rows in place. B is packed into contiguous panels when it is
// reused by many row tiles (large M), when it is transposed, or ahead of time for constant
// weights; otherwise each block copies the B micro-panel it works on (16 registers: a 16 KiB
// copy) or reads B's rows in place. M == 1 (GEMV) is memory-bound and has its own streaming loops.
//
// Determinism: every C element is one FMA chain over k in a fixed order (K blocks in order; tile
// shapes depend on M, N and K only), so splitting M and N over threads never changes a bit.

#include "runtime/kernels/gemm.h"

#include <hwy/cache_control.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "axon/error.h"
#include "runtime/parallel.h"
#include "runtime/kernels/thread_scratch.h"

#ifndef AXON_RUNTIME_KERNELS_GEMM_SHARED_
#define AXON_RUNTIME_KERNELS_GEMM_SHARED_
namespace axon::kernels::detail {

// Per-thread scratch for calls without a workspace: thread_scratch.h. GEMM's purposes:
constexpr ScratchPurpose kScratchA = ScratchPurpose::kGemmA, kScratchGemv = ScratchPurpose::kGemmGemv,
                         kScratchPackB = ScratchPurpose::kGemmPackB, kScratchStrip = ScratchPurpose::kGemmStrip,
                         kScratchSwappedC = ScratchPurpose::kGemmSwappedC;

// A workspace holds, in this order: packed B and B's zero-padded strip (one each per call, made
// by the calling thread, read by all), then one slot per thread for transposed-A blocks or a
// GEMV row. A GEMM run with its operands swapped (SwapsOperands) holds Cᵀ first, then the
// workspace of the swapped GEMM.
struct WorkspaceLayout {
  std::size_t swapped_c = 0, pack_b = 0, strip = 0, per_thread = 0;
  std::size_t Floats(int threads) const {
    return Lines(swapped_c) + Lines(pack_b) + Lines(strip) + Lines(per_thread) * threads;
  }
};

template <ScratchPurpose kPurpose>
float* Scratch(const GemmArgs& g, const WorkspaceLayout& w, std::size_t floats) {
  // No workspace, or one sized for other path choices (the plan was made under another thread
  // count): per-thread buffers instead, never a write past the workspace.
  if (!g.workspace || w.Floats(g.workspace_threads) > g.workspace_floats) return ThreadScratch<kPurpose>(floats);
  float* base = g.workspace;
  if (kPurpose == kScratchSwappedC) return base;  // the swapped GEMM's own regions follow
  if (kPurpose == kScratchPackB) return base;
  if (kPurpose == kScratchStrip) return base + Lines(w.pack_b);
  const int slot = runtime::ThreadIndex();
  // A thread from outside the plan's arena (never the case in a session) falls back safely.
  if (slot < 0 || slot >= g.workspace_threads) return ThreadScratch<kPurpose>(floats);
  return base + Lines(w.pack_b) + Lines(w.strip) + Lines(w.per_thread) * static_cast<std::size_t>(slot);
}

}  // namespace axon::kernels::detail
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/gemm.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/activation-inl.h"
#include "runtime/kernels/gemm_kloop-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {

void GemmF32(const GemmArgs& g);

namespace {

namespace hn = hwy::HWY_NAMESPACE;
using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

constexpr int64_t kLanes = static_cast<int64_t>(hn::MaxLanes(D()));
#if HWY_TARGET <= HWY_AVX3
constexpr int64_t kMR = 8, kNV = 3;  // 32 registers
#elif HWY_TARGET == HWY_SCALAR
constexpr int64_t kMR = 4, kNV = 4;
#else
constexpr int64_t kMR = 6, kNV = 2;  // 16 registers
#endif
constexpr int64_t kNR = kNV * kLanes;
constexpr int64_t kKC = 256;       // B micro-panel kc × NR: L1 holds it and the tile's A rows
// Rows per task block: its A rows (mc × kc: 192 KiB on AVX-512, 144 KiB on AVX2) stay in L2,
// and packed B streams from L3 once per block (kMR · 12 measured 146 -> 153 GFLOP/s on AVX-512
// and 88 -> 93 on AVX2 at 2048³, the same at 512³ and 1024³).
constexpr int64_t kMC = kMR * 24;
// Rows per block when B is read in place through copies of its micro-panels (CopiesPanels): each
// block copies every micro-panel it uses, so a block should hold as many rows as L2 holds packed
// A for (256 × 256 floats, 256 KiB); more, smaller blocks copy B once each (128 × 768 × 3072 on
// AVX-512, one block of 128 rows instead of two of 64: 82 -> 150 GFLOP/s, B's 9.4 MB copied once).
constexpr int64_t kMCInPlace = kMR * 32;
// A is packed (PackA) when it is transposed, or when op(B) is at least this many panels wide, so
// that each packed A micro-panel serves enough B micro-panels to repay its copy.
constexpr int64_t kPackAMinPanels = 4;

// K cut into equal blocks of at most kKC: a function of K alone, shared by the packed layout
// and the driver (equal blocks avoid a short last block that would pay a full write-back).
constexpr int64_t KBlock(int64_t k) {
  const int64_t blocks = (k + kKC - 1) / kKC;
  return blocks == 0 ? kKC : (k + blocks - 1) / blocks;
}
// Width of the packed panel starting at column j: kNR, or what is left rounded up to whole
// vectors, so a narrow N (10 classes) does not pay for a full-width tile.
constexpr int64_t PanelWidth(int64_t n, int64_t j) { return std::min(kNR, (n - j + kLanes - 1) / kLanes * kLanes); }
constexpr int64_t PaddedN(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

struct TileArgs {
  float alpha, beta;
  bool accumulate;  // C already holds the sum of earlier K blocks
  bool last;        // final K block: apply the epilogue
  bool split_k;     // edge tiles split K (SplitsK)
  const GemmEpilogue* ep;
  int64_t row0, col0;  // tile origin in C, for per-row/per-column bias and residual
  // Cache lines of the B micro-panel that comes next, fetched one per k while this tile computes
  // (RowTiles shares them out over its tiles; null: nothing to fetch).
  const float* prefetch_b = nullptr;
  int64_t prefetch_lines = 0;
};

constexpr int64_t kLineFloats = 64 / sizeof(float);

// The first count <= kLanes floats at p; the rest of the vector is zero. AVX2's and AVX-512's
// masked loads and stores neither read nor fault on the masked-off lanes; Highway 1.0.3's SSE4
// MaskedLoad is a full load, so older targets go through a buffer.
HWY_INLINE V LoadPartial(D d, const float* p, int64_t count) {
  if (count >= kLanes) return hn::LoadU(d, p);
#if HWY_TARGET <= HWY_AVX2
  return hn::MaskedLoad(hn::FirstN(d, static_cast<std::size_t>(count)), d, p);
#else
  HWY_ALIGN float buf[kLanes] = {};
  std::memcpy(buf, p, static_cast<std::size_t>(count) * sizeof(float));
  return hn::Load(d, buf);
#endif
}

HWY_INLINE void StorePartial(D d, V v, float* p, int64_t count) {
  if (count >= kLanes) return hn::StoreU(v, d, p);
#if HWY_TARGET <= HWY_AVX2
  hn::BlendedStore(v, hn::FirstN(d, static_cast<std::size_t>(count)), d, p);
#else
  HWY_ALIGN float buf[kLanes];
  hn::Store(v, d, buf);
  std::memcpy(p, buf, static_cast<std::size_t>(count) * sizeof(float));
#endif
}

// Whether the epilogue leaves the sum as it is.
HWY_INLINE bool PlainEpilogue(const GemmEpilogue& ep) {
  return ep.bias_kind == GemmBias::kNone && !ep.residual && ep.activation == Activation::kNone && !ep.sgd_step;
}

// The fused SGD step of one vector: x - lr·(g + weight_decay·x) with SgdF32's roundings. One K
// block (checked), so sum is the gradient's float.
HWY_INLINE V SgdStep(D d, V sum, V x, const GemmEpilogue& ep) {
  if (ep.weight_decay != 0.0f) sum = hn::MulAdd(x, hn::Set(d, ep.weight_decay), sum);
  return hn::MulAdd(sum, hn::Set(d, ep.neg_lr), x);
}

// Finishes `count` <= kLanes columns of one row: sum is op(A)·op(B) for this K block.
HWY_INLINE void WriteRow(D d, V sum, float* HWY_RESTRICT c, int64_t count, int64_t row, int64_t col,
                         const TileArgs& t) {
  if (t.ep->sgd_step) return StorePartial(d, SgdStep(d, sum, LoadPartial(d, c, count), *t.ep), c, count);
  V r = hn::Mul(sum, hn::Set(d, t.alpha));
  if (t.accumulate) {
    r = hn::Add(r, LoadPartial(d, c, count));
  } else if (t.beta != 0.0f) {  // beta == 0 never reads C
    r = hn::MulAdd(hn::Set(d, t.beta), LoadPartial(d, c, count), r);
  }
  if (t.last) {
    const GemmEpilogue& ep = *t.ep;
    switch (ep.bias_kind) {
      case GemmBias::kNone: break;
      case GemmBias::kScalar: r = hn::Add(r, hn::Set(d, ep.bias[0])); break;
      case GemmBias::kPerRow: r = hn::Add(r, hn::Set(d, ep.bias[row])); break;
      case GemmBias::kPerColumn: r = hn::Add(r, LoadPartial(d, ep.bias + col, count)); break;
    }
    if (ep.residual) r = hn::Add(r, LoadPartial(d, ep.residual + row * ep.ldr + col, count));
    r = ApplyActivation(d, r, ep.activation);
  }
  StorePartial(d, r, c, count);
}

// C tile (MR × ncols) from A rows (row stride lda, consecutive k) and a B micro-panel (kc rows
// of NV vectors, row stride ldb). MR and NV are the live rows and vectors: edge tiles get their
// own instantiation rather than a scalar fallback. Short tiles of a GEMM with few rows split k
// over U accumulator sets so that enough FMA chains are in flight (SplitsK). U depends on MR and
// that choice alone, never on NV: a column's sum is then the same whichever panel width (packed
// or in place) computed it, so the choice of path may depend on the thread count without
// changing a bit.
template <int64_t MR, bool kSplit>
constexpr int64_t SplitK() {
  constexpr int64_t kAccumulators = kMR * kNV;  // what a full tile keeps in registers
  return kSplit ? std::max<int64_t>(1, std::min<int64_t>((8 + MR - 1) / MR, kAccumulators / (MR * kNV))) : 1;
}

// Whether edge tiles split K: only when M or N is below a full tile's rows, where every tile is
// short and the split matters. Otherwise every element is one FMA chain over k whichever operand
// gives the tile rows, so a GEMM computed as Cᵀ = op(B)ᵀ·op(A)ᵀ (SwapsOperands) has the bits of
// the direct one (a trained weight's forward pass equals the inference of the saved model).
bool SplitsK(int64_t m, int64_t n) { return std::min(m, n) < kMR; }

// B's row at p, its address hidden from the compiler until the loop iteration that reads it.
// The k loops after the unrolled one run at most a few times, and GCC 12 pipelined them on SCALAR
// (NV = 2: a row is two floats, 8 bytes): it loaded row k + 1 into the upper half of the register
// that holds row k, during iteration k, so a tile whose K is not a multiple of 4 read one row past
// B's last (valgrind: an invalid read of B's last kc + 1st row, a SIGSEGV where that row lies on
// an unmapped page). An address that exists only once its iteration has begun cannot be loaded
// ahead of that iteration's bounds check.
HWY_INLINE const float* OpaqueRow(const float* p) {
#if defined(__GNUC__)
  asm volatile("" : "+r"(p));
#endif
  return p;
}

// A micro-kernel reads its A rows either in place (row i at a + i·lda, consecutive k) or from a
// packed micro-panel (PackA: kMR rows interleaved, element (i, k) at a + k·kMR + i), whose
// broadcasts are one sequential stream instead of MR streams lda apart: with lda a multiple of
// 1 KiB (any square power-of-two GEMM) those MR rows fall into the same L1 sets. On the 48 KiB
// 12-way L1 of the Intel core it was measured on, packing gained 0-5% (small M, wide N) and
// lost nothing; the 8-way 32 KiB L1s of AVX2-only CPUs have less room for the aliased rows.
template <int64_t MR, int64_t NV, bool kPackedA, bool kSplit>
HWY_NOINLINE void MicroKernel(int64_t kc, const float* HWY_RESTRICT a, int64_t lda, const float* HWY_RESTRICT b,
                              int64_t ldb, float* HWY_RESTRICT c, int64_t ldc, int64_t ncols, const TileArgs& t) {
  constexpr int64_t U = SplitK<MR, kSplit>();
  const D d;
  // The tile of C is read (or at least written) at the end; fetching its lines now hides the
  // miss behind the k loop. Every line of a row (a 48-float row spans three or four): with only
  // its first and last fetched, a K = 64 weight gradient whose C (a fused SGD step's weight)
  // came from L3 missed on the middle one (measured 512 × 784 × 64 with C cold: 546–603 →
  // 444–482 µs; warm 382–388 → 354–370).
  // Full-height tiles run gemm_kloop-inl.h's asm k loop (the same sums), which fetches C itself:
  // fetched here, the rows' addresses were kept on the stack across the asm.
  constexpr bool kAsm = U == 1 && HasKLoopAsm<MR, NV>();
  for (int64_t i = 0; i < (kAsm ? 0 : MR); ++i) {
    for (int64_t j = 0; j < NV * kLanes; j += 16) hwy::Prefetch(c + i * ldc + j);
    hwy::Prefetch(c + i * ldc + NV * kLanes - 1);
  }
  V acc[U][MR][NV];
  if constexpr (kAsm) {
    const int64_t iters = kc / 4;
    // The 4-k iterations whose first k is below prefetch_lines, as in the loop below.
    const int64_t fetch = std::min(iters, (std::max<int64_t>(t.prefetch_lines, 0) + 3) / 4);
    const int64_t lda_bytes = kPackedA ? 0 : lda * static_cast<int64_t>(sizeof(float));
    const detail::KLoopArgs args{a, b, ldb * static_cast<int64_t>(sizeof(float)), fetch, iters - fetch, kc - 4 * iters,
                                 t.prefetch_b, lda_bytes, 3 * lda_bytes, kPackedA ? a : a + 3 * lda,
                                 c, ldc * static_cast<int64_t>(sizeof(float))};
    KLoopAsm<MR, NV, kPackedA>(args, acc[0]);
  } else {
    for (int64_t u = 0; u < U; ++u)
      for (int64_t i = 0; i < MR; ++i)
        for (int64_t v = 0; v < NV; ++v) acc[u][i][v] = hn::Zero(d);
    auto step = [&](V(&sum)[MR][NV], int64_t k, const float* row) HWY_ATTR {
      V bv[NV];
      for (int64_t v = 0; v < NV; ++v) bv[v] = hn::LoadU(d, row + v * kLanes);
      for (int64_t i = 0; i < MR; ++i) {
        const V ai = hn::Set(d, kPackedA ? a[k * kMR + i] : a[i * lda + k]);
        for (int64_t v = 0; v < NV; ++v) sum[i][v] = hn::MulAdd(ai, bv[v], sum[i][v]);
      }
    };
    int64_t k = 0;
    if constexpr (U == 1) {
      // Four k per iteration: the loop's own counter and pointer updates would otherwise take a
      // quarter of the issue slots of a 4-wide front end (Haswell, Zen 2) beside 12 FMAs and 8
      // loads. The sums keep their order.
      for (; k + 4 <= kc; k += 4) {
        if (k < t.prefetch_lines)
          for (int64_t u = 0; u < 4; ++u) hwy::Prefetch(t.prefetch_b + (k + u) * kLineFloats);
        step(acc[0], k, b + k * ldb);
        step(acc[0], k + 1, b + (k + 1) * ldb);
        step(acc[0], k + 2, b + (k + 2) * ldb);
        step(acc[0], k + 3, b + (k + 3) * ldb);
      }
    }
    for (; k + U <= kc; k += U)
      for (int64_t u = 0; u < U; ++u) step(acc[u], k + u, OpaqueRow(b + (k + u) * ldb));
    for (; k < kc; ++k) step(acc[0], k, OpaqueRow(b + k * ldb));
    for (int64_t u = 1; u < U; ++u)
      for (int64_t i = 0; i < MR; ++i)
        for (int64_t v = 0; v < NV; ++v) acc[0][i][v] = hn::Add(acc[0][i][v], acc[u][i][v]);
  }
  // A full tile with nothing to apply but the sum (and C of the earlier K blocks): plain stores.
  // WriteRow's per-vector branches cost ~10% of a K = 64 tile (the weight gradients of a
  // training step); alpha == 1 leaves the sum's bits as they are, so the result is the same.
  if (ncols == NV * kLanes && t.alpha == 1.0f && (t.accumulate || t.beta == 0.0f) &&
      (!t.last || PlainEpilogue(*t.ep))) {
    // t.accumulate tested once: tested per vector, it was loaded again after every store (C
    // might alias t as far as the compiler knows).
    if (t.accumulate) {
      for (int64_t i = 0; i < MR; ++i)
        for (int64_t v = 0; v < NV; ++v) {
          float* ci = c + i * ldc + v * kLanes;
          hn::StoreU(hn::Add(acc[0][i][v], hn::LoadU(d, ci)), d, ci);
        }
    } else {
      for (int64_t i = 0; i < MR; ++i)
        for (int64_t v = 0; v < NV; ++v) hn::StoreU(acc[0][i][v], d, c + i * ldc + v * kLanes);
    }
    return;
  }
  if (ncols == NV * kLanes && t.ep->sgd_step) {  // the same without WriteRow's branches
    for (int64_t i = 0; i < MR; ++i)
      for (int64_t v = 0; v < NV; ++v) {
        float* ci = c + i * ldc + v * kLanes;
        hn::StoreU(SgdStep(d, acc[0][i][v], hn::LoadU(d, ci), *t.ep), d, ci);
      }
    return;
  }
  // A full tile on the last K block with a bias, residual or activation: WriteRow's steps in its
  // order (alpha == 1 leaves the sum as it is), with its per-vector tests taken once per row. On
  // the short K of a CNN's pointwise layers (16 to 160) the epilogue is a large part of a tile.
  if (ncols == NV * kLanes && t.alpha == 1.0f && (t.accumulate || t.beta == 0.0f) && t.last) {
    const GemmEpilogue& ep = *t.ep;
    for (int64_t i = 0; i < MR; ++i) {
      float* ci = c + i * ldc;
      const int64_t row = t.row0 + i;
      V r[NV];
      for (int64_t v = 0; v < NV; ++v) r[v] = t.accumulate ? hn::Add(acc[0][i][v], hn::LoadU(d, ci + v * kLanes)) : acc[0][i][v];
      if (ep.bias_kind == GemmBias::kPerColumn) {
        for (int64_t v = 0; v < NV; ++v) r[v] = hn::Add(r[v], hn::LoadU(d, ep.bias + t.col0 + v * kLanes));
      } else if (ep.bias_kind != GemmBias::kNone) {
        const V b = hn::Set(d, ep.bias[ep.bias_kind == GemmBias::kPerRow ? row : 0]);
        for (int64_t v = 0; v < NV; ++v) r[v] = hn::Add(r[v], b);
      }
      if (ep.residual) {
        const float* ri = ep.residual + row * ep.ldr + t.col0;
        for (int64_t v = 0; v < NV; ++v) r[v] = hn::Add(r[v], hn::LoadU(d, ri + v * kLanes));
      }
      for (int64_t v = 0; v < NV; ++v) hn::StoreU(ApplyActivation(d, r[v], ep.activation), d, ci + v * kLanes);
    }
    return;
  }
  for (int64_t i = 0; i < MR; ++i)
    for (int64_t v = 0; v < NV && v * kLanes < ncols; ++v)
      WriteRow(d, acc[0][i][v], c + i * ldc + v * kLanes, std::min(kLanes, ncols - v * kLanes), t.row0 + i,
               t.col0 + v * kLanes, t);
}

using MicroKernelFn = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t,
                               const TileArgs&);
template <int64_t NV, bool kPackedA, bool kSplit, std::size_t... I>
constexpr std::array<MicroKernelFn, kMR> KernelRow(std::index_sequence<I...>) {
  return {{&MicroKernel<static_cast<int64_t>(I) + 1, NV, kPackedA, kSplit>...}};
}
template <bool kPackedA, bool kSplit, std::size_t... NV>
constexpr std::array<std::array<MicroKernelFn, kMR>, kNV> KernelTable(std::index_sequence<NV...>) {
  return {{KernelRow<static_cast<int64_t>(NV) + 1, kPackedA, kSplit>(std::make_index_sequence<kMR>())...}};
}
using KernelTableT = std::array<std::array<MicroKernelFn, kMR>, kNV>;
// kKernels[packed A][split K][vectors - 1][rows - 1]
constexpr std::array<std::array<KernelTableT, 2>, 2> kKernels = {{
    {KernelTable<false, false>(std::make_index_sequence<kNV>()), KernelTable<false, true>(std::make_index_sequence<kNV>())},
    {KernelTable<true, false>(std::make_index_sequence<kNV>()), KernelTable<true, true>(std::make_index_sequence<kNV>())}}};

// Runs the row tiles of rows [0, mc) against one B micro-panel. Packed A (PackA) holds the
// tiles' micro-panels one after another, kMR·kc floats each. The next micro-panel's lines
// (t.prefetch_b) are shared out kc to a tile, so they arrive while this one is in use.
HWY_INLINE void RowTiles(int64_t mc, int64_t kc, const float* a, int64_t lda, bool packed_a, const float* b, int64_t ldb,
                         int64_t vectors, float* c, int64_t ldc, int64_t ncols, TileArgs t) {
  const auto& kernels = kKernels[packed_a][t.split_k ? 1 : 0][vectors - 1];
  const int64_t row0 = t.row0;
  const float* prefetch = t.prefetch_b;
  const int64_t lines = t.prefetch_lines;
  for (int64_t p = 0; p < mc; p += kMR) {
    t.row0 = row0 + p;
    const int64_t first = p / kMR * kc;
    t.prefetch_b = prefetch + first * kLineFloats;
    t.prefetch_lines = std::clamp<int64_t>(lines - first, 0, kc);
    kernels[std::min(kMR, mc - p) - 1](kc, a + (packed_a ? p * kc : p * lda), lda, b, ldb, c + p * ldc, ldc, ncols, t);
  }
}

// 8 × 8 floats transposed in registers, dst[c·ldd + i] = a[i·lda + c], on targets with
// eight-float vectors: packing a transposed operand element by element (a scalar load and store,
// or a 16-element gather, each) took ~3% of an MLP training step, which packs dY and the
// activations anew every step.
#if HWY_TARGET <= HWY_AVX2 && HWY_TARGET != HWY_SCALAR
constexpr bool kHasTranspose8 = true;
HWY_INLINE void Transpose8x8(const float* HWY_RESTRICT a, int64_t lda, float* HWY_RESTRICT dst, int64_t ldd) {
  const hn::FixedTag<float, 8> d8;
  const hn::Repartition<uint64_t, decltype(d8)> d64;
  using V8 = hn::Vec<decltype(d8)>;
  V8 r[8], t[8], q[8];
  for (int64_t i = 0; i < 8; ++i) r[i] = hn::LoadU(d8, a + i * lda);
  for (int64_t i = 0; i < 8; i += 2) {
    t[i] = hn::InterleaveLower(d8, r[i], r[i + 1]);      // r_i[0] r_i+1[0] r_i[1] r_i+1[1] | [4], [5]
    t[i + 1] = hn::InterleaveUpper(d8, r[i], r[i + 1]);  // the same for [2], [3] | [6], [7]
  }
  for (int64_t h = 0; h < 2; ++h) {  // q[4h + c]: column c | column c + 4 of rows 4h..4h+3
    const V8 *lo = t + 4 * h, *hi = t + 4 * h + 2;
    for (int64_t c = 0; c < 2; ++c) {
      q[4 * h + 2 * c] = hn::BitCast(d8, hn::InterleaveLower(d64, hn::BitCast(d64, lo[c]), hn::BitCast(d64, hi[c])));
      q[4 * h + 2 * c + 1] = hn::BitCast(d8, hn::InterleaveUpper(d64, hn::BitCast(d64, lo[c]), hn::BitCast(d64, hi[c])));
    }
  }
  for (int64_t c = 0; c < 4; ++c) {
    hn::StoreU(hn::ConcatLowerLower(d8, q[4 + c], q[c]), d8, dst + c * ldd);
    hn::StoreU(hn::ConcatUpperUpper(d8, q[4 + c], q[c]), d8, dst + (c + 4) * ldd);
  }
}
#else
constexpr bool kHasTranspose8 = false;
HWY_INLINE void Transpose8x8(const float*, int64_t, float*, int64_t) {}
#endif

// Interleaves a full micro-panel of A rows (kMR == 8) up to the last multiple of 8 of kc;
// returns the k it reached.
HWY_INLINE int64_t PackRows8(const float* HWY_RESTRICT a, int64_t lda, int64_t kc, float* HWY_RESTRICT dst) {
  if (kMR != 8 || !kHasTranspose8) return 0;
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) Transpose8x8(a + k, lda, dst + k * kMR, kMR);
  return k;
}

// Copies rows [i0, i0 + mc) and columns [k0, k0 + kc) of op(A) into micro-panels of kMR rows,
// element (i, k) of panel p at dst + p·kMR·kc + k·kMR + i (a last, short panel keeps the stride
// and leaves the missing rows unwritten: its kernel never reads them).
void PackA(const GemmArgs& g, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* HWY_RESTRICT dst) {
  for (int64_t p = 0; p < mc; p += kMR, dst += kMR * kc) {
    const int64_t rows = std::min(kMR, mc - p);
    if (g.trans_a) {  // op(A) row i is A's column i: each k is rows consecutive floats
      for (int64_t kk = 0; kk < kc; ++kk) {
        const float* src = g.a + (k0 + kk) * g.lda + i0 + p;
        // A constant size is one vector move; a loop of `rows` became a call to memmove per k.
        if (rows == kMR) {
          std::memcpy(dst + kk * kMR, src, sizeof(float) * kMR);
          continue;
        }
        for (int64_t i = 0; i < rows; ++i) dst[kk * kMR + i] = src[i];
      }
    } else {
      int64_t kk = 0;
      if (rows == kMR) {
        kk = PackRows8(g.a + (i0 + p) * g.lda + k0, g.lda, kc, dst);
        // The rest (all of it where kMR != 8) k by k across the rows: kMR streams of A in flight
        // at once, where a row at a time waited for each row's misses in turn (A comes from L3 or
        // memory; row by row, packing took ~7% of a 1024³ GEMM on AVX2).
        const float* src = g.a + (i0 + p) * g.lda + k0;
        for (; kk < kc; ++kk)
          for (int64_t i = 0; i < kMR; ++i) dst[kk * kMR + i] = src[i * g.lda + kk];
      }
      for (int64_t i = 0; i < rows; ++i) {
        const float* src = g.a + (i0 + p + i) * g.lda + k0;
        for (int64_t k = kk; k < kc; ++k) dst[k * kMR + i] = src[k];
      }
    }
  }
}

// Largest row stride of B whose kLanes-row gather offsets fit in 32 bits.
constexpr int64_t kMaxGatherStride = std::numeric_limits<int32_t>::max() / std::max<int64_t>(1, kLanes);

// Floats a PackedB of k × n needs on this target.
std::size_t PackedFloats(int64_t k, int64_t n) { return static_cast<std::size_t>(PaddedN(n) * k); }

// Packs op(B) (k × n) into panels: for each K block [k0, k0+kc), the panels left to right,
// each kc rows of PanelWidth floats, zero beyond n. Panel j of block k0 starts at
// k0·PaddedN(n) + j·kc.
void PackB(bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb, float* dst) {
  const int64_t npad = PaddedN(n), kb = KBlock(k);
  const int64_t panels = (n + kNR - 1) / kNR;
  // B in place: a group of panels at a time, row by row, so that B is read in row segments of
  // kPackGroup panels rather than in column strips of one cache line per row.
  constexpr int64_t kPackGroup = 8;
  auto pack_rows = [&](int64_t g) {
    const D d;
    const int64_t p1 = std::min(panels, (g + 1) * kPackGroup);
    for (int64_t k0 = 0; k0 < k; k0 += kb) {
      const int64_t kc = std::min(kb, k - k0);
      for (int64_t kk = 0; kk < kc; ++kk) {
        const float* src = b + (k0 + kk) * ldb;
        // The group's segment of the row four rows on: rows ldb apart each start a new stream
        // that the hardware prefetchers do not foresee (-40% of the packing time at 1024³ on AVX2).
        if (k0 + kk + 4 < k) {
          const float* ahead = src + 4 * ldb + g * kPackGroup * kNR;
          const int64_t segment = std::min(n, p1 * kNR) - g * kPackGroup * kNR;
          for (int64_t f = 0; f < segment; f += 16) hwy::Prefetch(ahead + f);
          hwy::Prefetch(ahead + segment - 1);
        }
        for (int64_t panel = g * kPackGroup; panel < p1; ++panel) {
          const int64_t j0 = panel * kNR, width = PanelWidth(n, j0);
          float* out = dst + k0 * npad + j0 * kc + kk * width;
          for (int64_t v = 0; v < width; v += kLanes)
            hn::StoreU(LoadPartial(d, src + j0 + v, std::min(kLanes, n - j0 - v)), d, out + v);
        }
      }
    }
  };
  auto pack_panel = [&](int64_t panel) {
    const int64_t j0 = panel * kNR;
    const int64_t cols = std::min(kNR, n - j0), width = PanelWidth(n, j0);
    for (int64_t k0 = 0; k0 < k; k0 += kb) {
      const int64_t kc = std::min(kb, k - k0);
      float* out = dst + k0 * npad + j0 * kc;
      // Column j of op(B) is row j of B. A whole vector of columns is gathered from kLanes rows
      // at once (B is re-packed every step when it is a trained weight, so this is hot): the
      // kLanes rows' current cache lines serve kLanes consecutive k. A partial vector (and a B
      // too wide for 32-bit gather offsets) goes element by element.
      for (int64_t v = 0; v < width; v += kLanes) {
        const int64_t live = std::clamp<int64_t>(cols - v, 0, kLanes);
        const float* src = b + (j0 + v) * ldb + k0;
        if (live == kLanes && kLanes > 1 && ldb <= kMaxGatherStride) {
          int64_t kk = 0;
          if (kHasTranspose8 && kLanes % 8 == 0) {  // 8 × 8 blocks: rows h·8.. of the vector, k.. k + 7
            for (; kk + 8 <= kc; kk += 8)
              for (int64_t h = 0; h < kLanes; h += 8) Transpose8x8(src + h * ldb + kk, ldb, out + kk * width + v + h, width);
          }
          const hn::RebindToSigned<D> di;
          const auto rows = hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<int32_t>(ldb)));
          for (; kk < kc; ++kk) hn::StoreU(hn::GatherIndex(D(), src + kk, rows), D(), out + kk * width + v);
          continue;
        }
        for (int64_t j = 0; j < kLanes; ++j)
          for (int64_t kk = 0; kk < kc; ++kk) out[kk * width + v + j] = j < live ? src[j * ldb + kk] : 0.0f;
      }
    }
  };
  if (!trans_b) {
    const int64_t groups = (panels + kPackGroup - 1) / kPackGroup;
    runtime::ParallelFor(groups, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, k * kNR * kPackGroup)),
                         [&](int64_t g0, int64_t g1) {
                           for (int64_t g = g0; g < g1; ++g) pack_rows(g);
                         });
    return;
  }
  runtime::ParallelFor(panels, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, k * kNR)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) pack_panel(p);
  });
}

// Where the micro-kernels find op(B).
struct BSource {
  const float* packed = nullptr;  // PackB layout
  const float* b = nullptr;       // else B itself, row-major k × n
  int64_t ldb = 0;
};

// Threads for a GEMM of this many FLOPs: below ~0.4 MFLOP (2 µs on one core) the hand-off
// costs more than a second thread saves.
int64_t Threads(double flops) { return flops > 4e5 ? runtime::MaxThreads() : 1; }

double Flops(const GemmArgs& g) { return 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k); }

// Packing B costs a pass over it; it pays off once many row tiles reuse each panel (measured:
// from about 512 rows per thread), and it is the only way to read a transposed B in panels.
// Rows of B a multiple of 1 KiB apart (a 512-wide weight read in place by a backward GEMM) fall
// into a few L1 sets, so the micro-panel a row tile reads is gone by the next tile: packing pays
// off from 256 rows a thread there (measured at 256 × 512 × 512: 1.16 -> 1.09 ms, best of 200;
// at 128 rows it still loses).
bool PacksB(const GemmArgs& g) {
  const int64_t rows = g.ldb % 256 == 0 ? 256 : 512;
  return g.trans_b || g.m >= rows * Threads(Flops(g));
}

// A transposed B that is not packed ahead of time (a weight trained between runs, which PyTorch
// stores out × in) would be packed on every call, a gather over all of B. When A is the smaller
// operand, Cᵀ = op(B)ᵀ·op(A)ᵀ costs less: B (n × k, row-major when transposed) is read in place
// as the swapped GEMM's A, only A is packed, and Cᵀ is transposed into C with the epilogue
// (measured at 64 × 784 × 512: 0.42–0.46 → 0.36–0.38 ms a call, the transposition included;
// 0.28–0.33 with B packed ahead of time). Every C element is the same FMA chain over k either way
// (K blocks in order; SplitsK), so the results are the same bits, and the choice depends on the
// sizes alone. beta != 0 would fold C in at the first K block rather than after the last: kept on
// the direct path.
// A pre-packed op(A)ᵀ (GemmArgs::packed_at) is used on the same terms, and only where no edge
// tile splits K (its split follows the tile's rows, which the swap exchanges for its columns), so
// that the bits are the direct GEMM's; without A (a caller that keeps only the packed copy) it is
// the only way, and the bits are the swapped GEMM's. It becomes the swapped GEMM's packed B.
bool UsesPackedAt(const GemmArgs& g) {
  return g.packed_at && g.packed_at->target() == HWY_TARGET && g.beta == 0.0f && !g.epilogue.sgd_step &&
         (!SplitsK(g.m, g.n) || !g.a);
}

bool SwapsOperands(const GemmArgs& g) {
  if (UsesPackedAt(g)) return true;
  return g.trans_b && g.beta == 0.0f && g.m >= std::max(kLanes, kMR) && g.m < g.n &&
         (!g.packed_b || g.packed_b->target() != HWY_TARGET);
}

// The GEMM that computes Cᵀ (n × m, leading dimension m) into `ct`, without the epilogue.
GemmArgs Swapped(const GemmArgs& g, float* ct) {
  GemmArgs s;
  s.trans_a = !g.trans_b, s.trans_b = !g.trans_a;  // op(B)ᵀ is n × k, op(A)ᵀ is k × m
  s.m = g.n, s.n = g.m, s.k = g.k, s.alpha = g.alpha;
  s.a = g.b, s.lda = g.ldb, s.b = g.a, s.ldb = g.lda;
  if (UsesPackedAt(g)) s.packed_b = g.packed_at;
  s.c = ct, s.ldc = g.m;
  return s;
}

detail::WorkspaceLayout LayoutOf(const GemmArgs& g);

// The swapped GEMM's workspace, right after Cᵀ in this call's.
GemmArgs SwappedWithWorkspace(const GemmArgs& g, float* ct) {
  GemmArgs s = Swapped(g, ct);
  if (g.workspace) {
    const std::size_t skip = Lines(static_cast<std::size_t>(g.m * g.n));
    s.workspace = g.workspace + skip;
    s.workspace_floats = g.workspace_floats > skip ? g.workspace_floats - skip : 0;
    s.workspace_threads = g.workspace_threads;
  }
  return s;
}

// Whether GemmBlocked copies B's micro-panels for a block of mc rows when B is in place, rows
// ldb apart: once the block has the row tiles to repay the copy, on targets where the copy
// (kPanelFloats) takes at most a third of a 48 KiB L1. AVX-512's 48 KiB copy fills L1 and
// measured slower than B in place for rows under a page apart (64 × 784 × 512: 173 -> 153
// GFLOP/s), but with each row of a micro-panel on a page of its own (N = 3072) B in place ran at
// half speed (128 × 768 × 3072: 84 -> 151 with the copy).
constexpr bool CopiesPanels(int64_t mc, int64_t ldb) {
  return mc >= 4 * kMR && (kKC * kNR * 4 <= 16 * 1024 || ldb * static_cast<int64_t>(sizeof(float)) >= 4096);
}
constexpr std::size_t kPanelFloats = static_cast<std::size_t>(kKC * kNR);

bool PacksA(const GemmArgs& g) { return g.trans_a || g.n >= kPackAMinPanels * kNR; }

// The most rows a block of GemmBlocked takes: kMCInPlace when B is in place and copied, else kMC.
constexpr int64_t RowBlockCap(const GemmArgs& g, bool b_packed) {
  return !b_packed && CopiesPanels(std::min(g.m, kMCInPlace), g.ldb) ? kMCInPlace : kMC;
}

// The scratch GemmF32 takes for these sizes, following the same path choices.
detail::WorkspaceLayout LayoutOf(const GemmArgs& g) {
  detail::WorkspaceLayout w;
  if (g.m == 0 || g.n == 0 || g.k == 0 || g.alpha == 0.0f) return w;
  if (g.m > 1 && SwapsOperands(g)) {
    w = LayoutOf(Swapped(g, nullptr));
    w.swapped_c = static_cast<std::size_t>(g.m * g.n);
    return w;
  }
  // Packed A: each block packs its rows (at most RowBlockCap, GemmBlocked) of one K block.
  const bool b_packed = (g.packed_b && g.packed_b->target() == HWY_TARGET) || (g.m > 1 && PacksB(g));
  const auto a_block = static_cast<std::size_t>(
      PacksA(g) ? std::min(RowBlockCap(g, b_packed), (g.m + kMR - 1) / kMR * kMR) * KBlock(g.k) : 0);
  // B in place: and copies of two B micro-panels (GemmBlocked's copy_panels).
  const std::size_t b_panel = CopiesPanels(g.m, g.ldb) ? 2 * kPanelFloats : 0;
  if (g.packed_b && g.packed_b->target() == HWY_TARGET) {
    w.per_thread = a_block;
  } else if (g.m == 1) {
    w.per_thread = static_cast<std::size_t>(std::max(g.n, g.k) + kLanes);
  } else {
    if (PacksB(g)) {
      w.pack_b = PackedFloats(g.k, g.n) + kLanes;
    } else {
      w.strip = static_cast<std::size_t>(g.k * kLanes);
    }
    // B in place, threaded: each block's own copy of the strip (GemmBlocked), after its panels.
    w.per_thread = a_block + (PacksB(g) ? 0 : b_panel + w.strip + kLanes);
  }
  return w;
}

template <ScratchPurpose kPurpose>
float* Scratch(const GemmArgs& g, std::size_t floats) {
  return detail::Scratch<kPurpose>(g, g.workspace ? LayoutOf(g) : detail::WorkspaceLayout{}, floats);
}

void GemmBlocked(const GemmArgs& g, const BSource& src) {
  const int64_t npad = PaddedN(g.n), kb = KBlock(g.k);
  const int64_t threads = Threads(2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k));
  // Blocks are whole row tiles and whole panels, so the tiles (and every result bit) are the
  // same for any grid: the grid may follow the thread count. Alone, a thread takes blocks of up
  // to kMC rows (A rows stay in L2) across all of N. With threads, about four blocks per thread
  // let work stealing balance them; of the grids that give as many, take the one that re-reads
  // the least (each block reads its rows of A and its columns of B: M·nb + N·mb).
  const int64_t row_tiles = (g.m + kMR - 1) / kMR;
  const int64_t npanels = (g.n + kNR - 1) / kNR, nvectors = (g.n + kLanes - 1) / kLanes;
  const int64_t cap = RowBlockCap(g, src.packed != nullptr);
  int64_t mblocks = (g.m + cap - 1) / cap, nblocks = 1;
  // Column blocks are whole panels, or whole vectors of packed panels (a tile may read any run of
  // a packed panel's vectors: a column's sum does not depend on the tile's width, MicroKernel).
  bool vector_blocks = false;
  runtime::Schedule schedule = runtime::Schedule::kDynamic;
  if (threads > 1 && src.packed && mblocks == 1) {
    // Few rows (a batch through a layer's packed weights): each thread takes one share of the
    // columns, as even as whole vectors allow, and the same share on every call (kStatic), so a
    // core keeps its share of the weights in its own L2 from one run to the next and packs A once
    // rather than once per block. Blocks of whole panels split 512 columns 6 : 5 on AVX-512.
    nblocks = std::min(threads, nvectors);
    vector_blocks = true;
    schedule = runtime::Schedule::kStatic;
  } else if (threads > 1) {
    const double flops = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
    const int64_t worth = std::max<int64_t>(threads, static_cast<int64_t>(flops / 5e5));  // >= ~2 µs a block
    const int64_t target = std::min({4 * threads, row_tiles * npanels, worth});
    double best = -1;
    for (int64_t mb = mblocks; mb <= row_tiles; ++mb) {
      const int64_t nb = std::min(npanels, (target + mb - 1) / mb);
      const double cost = static_cast<double>(g.m) * static_cast<double>(nb) + static_cast<double>(g.n) * static_cast<double>(mb);
      // A count that is a multiple of the threads leaves no thread a block behind.
      if (mb * nb >= target && (mb * nb) % threads == 0 && (best < 0 || cost < best)) best = cost, mblocks = mb, nblocks = nb;
      // Once a grid is found, more row blocks only cost more; before, they may be the only way to
      // split at all (one panel: 64 × 512 × 10 ran on one thread).
      if (nb == 1 && best >= 0) break;
    }
  }
  // In place, B's last partial vector of columns is read from a zero-padded strip (K × kLanes),
  // made once here rather than by every block, on one thread.
  const int64_t n_full = src.packed ? g.n : g.n / kLanes * kLanes;
  // Split over threads, each block makes its own strip from B (clean lines any core may share):
  // one strip written by the caller and read by a worker moved K lines across cores per call
  // (64 × 512 × 10 on 2 threads: the worker's half took longer than the caller's whole GEMM).
  const bool block_strips = n_full < g.n && threads > 1 && mblocks * nblocks > 1;
  auto make_strip = [&](float* dst) {
    const D d;
    for (int64_t kk = 0; kk < g.k; ++kk)
      hn::Store(LoadPartial(d, src.b + kk * src.ldb + n_full, g.n - n_full), d, dst + kk * kLanes);
  };
  float* strip = nullptr;
  if (n_full < g.n && !block_strips) {
    strip = Scratch<detail::kScratchStrip>(g, static_cast<std::size_t>(g.k * kLanes));
    make_strip(strip);
  }

  auto column_bound = [&](int64_t ni) {
    return std::min(g.n, vector_blocks ? ni * nvectors / nblocks * kLanes : ni * npanels / nblocks * kNR);
  };
  // The packed micro-panel that holds column j in the K block at k0, and its lines: the one to
  // fetch while the current one is in use.
  auto packed_panel = [&](int64_t k0, int64_t j, TileArgs& t) {
    const int64_t panel = j / kNR * kNR;
    t.prefetch_b = src.packed + k0 * npad + panel * std::min(kb, g.k - k0);
    t.prefetch_lines = std::min(kb, g.k - k0) * PanelWidth(g.n, panel) / kLineFloats;
  };
  auto run_block = [&](int64_t item) {
    const int64_t mi = item / nblocks, ni = item % nblocks;
    const int64_t i0 = mi * row_tiles / mblocks * kMR, i1 = std::min(g.m, (mi + 1) * row_tiles / mblocks * kMR);
    const int64_t j0 = column_bound(ni), jend = column_bound(ni + 1);
    const int64_t mc = i1 - i0;  // at most RowBlockCap: LayoutOf sizes packed A so
    // A is packed for the block when op(B)'s block is wide enough to repay the copy (PacksA): the
    // narrow column blocks of a split over threads read A in place (64 × 784 × 512 on 2 threads:
    // eight blocks of 1-2 panels each packed all of A).
    const bool pack_a = g.trans_a || (PacksA(g) && jend - j0 >= kPackAMinPanels * kNR);
    // B in place is read through a copy of each micro-panel once the block has the row tiles to
    // repay it: B's rows ldb apart, with ldb a multiple of 1 KiB, all fall into a few L1 sets,
    // which a kc-row micro-panel overflows. Packed A needs it: with A packed and B in place,
    // AVX2 ran at half speed at N = 3072 (A in place and B in place ran as fast as the copy).
    const bool copy_panels = !src.packed && CopiesPanels(mc, src.ldb);
    const std::size_t a_floats = pack_a ? static_cast<std::size_t>((mc + kMR - 1) / kMR * kMR * kb) : 0;
    // The block's strip starts on a whole vector (scratch does: its stores are aligned).
    const std::size_t strip_at = (a_floats + (copy_panels ? 2 * kPanelFloats : 0) + kLanes - 1) / kLanes * kLanes;
    float* scratch = Scratch<detail::kScratchA>(
        g, block_strips ? strip_at + static_cast<std::size_t>(g.k * kLanes) : strip_at);
    float* packed_a = pack_a ? scratch : nullptr;
    float* block_strip = strip;
    if (block_strips && jend > n_full) {
      block_strip = scratch + strip_at;
      make_strip(block_strip);
    }
    // Copied micro-panels: the one the row tiles read, and the next one, copied a share of its
    // rows after each row tile (its loads miss to L3 or memory, and the out-of-order core
    // overlaps them with the next tile's FMAs; copied all at once between two panels, the
    // copy stalled on them: 20% of 128 × 768 × 3072 on AVX-512). The share's rows of the panel
    // after that are fetched into L2 at the same time, a panel ahead.
    float* b_copies[2] = {scratch + a_floats, scratch + a_floats + kPanelFloats};
    int copy_index = 0;
    bool copied = false;  // b_copies[copy_index] holds the panel that comes next
    const D d;
    // Rows [r0, r1) of the panel of ncols columns at (k0, j) into dst (rows of whole vectors,
    // zeros past ncols); each row's next `fetch` columns (the panel after it) fetched into L2.
    auto copy_rows = [&](int64_t k0, int64_t j, int64_t ncols, int64_t r0, int64_t r1, float* dst, int64_t fetch) {
      const int64_t width = (ncols + kLanes - 1) / kLanes * kLanes;
      for (int64_t kk = r0; kk < r1; ++kk) {
        const float* row = src.b + (k0 + kk) * src.ldb + j;
        if (fetch > 0) {
          for (int64_t f = 0; f < fetch; f += kLineFloats) __builtin_prefetch(row + ncols + f, 0, 2);
          __builtin_prefetch(row + ncols + fetch - 1, 0, 2);
        }
        for (int64_t v = 0; v < width; v += kLanes)
          hn::StoreU(LoadPartial(d, row + v, std::min(kLanes, ncols - v)), d, dst + kk * width + v);
      }
    };
    for (int64_t k0 = 0; k0 < g.k; k0 += kb) {
      const int64_t kc = std::min(kb, g.k - k0);
      const float* a = g.a + i0 * g.lda + k0;
      const int64_t lda = g.lda;
      if (pack_a) {
        PackA(g, i0, mc, k0, kc, packed_a);
        a = packed_a;
      }
      const TileArgs t{g.alpha, g.beta, k0 > 0, k0 + kc == g.k, SplitsK(g.m, g.n), &g.epilogue, i0, 0};
      for (int64_t j = j0, end; j < jend; j = end) {
        const int64_t panel = j / kNR * kNR;  // j itself but in vector_blocks
        end = std::min(jend, panel + kNR);
        TileArgs tj = t;
        tj.col0 = j;
        float* c = g.c + i0 * g.ldc + j;
        const int64_t ncols = end - j;
        if (src.packed) {
          if (end < jend) {
            packed_panel(k0, end, tj);
          } else if (k0 + kb < g.k) {
            packed_panel(k0 + kb, j0, tj);
          }
          const int64_t width = PanelWidth(g.n, panel);
          RowTiles(mc, kc, a, lda, pack_a, src.packed + k0 * npad + panel * kc + (j - panel), width,
                   (ncols + kLanes - 1) / kLanes, c, g.ldc, ncols, tj);
          continue;
        }
        if (copy_panels) {  // copies of the B micro-panels, rows width apart, zeros past n
          // Whole vectors of this panel's columns: no lane is loaded past ncols.
          const int64_t width = (ncols + kLanes - 1) / kLanes * kLanes;
          float* panel_copy = b_copies[copy_index];
          // The next panel: this block's next one in this K block, or its first in the next.
          int64_t next_k0 = k0, next_j = end;
          if (end == jend) next_k0 = k0 + kb, next_j = j0;
          const bool has_next = next_k0 < g.k;
          const int64_t next_kc = has_next ? std::min(kb, g.k - next_k0) : 0;
          const int64_t next_cols = std::min(kNR, jend - next_j);
          // The panel after the next one, fetched when it lies in the same rows of B.
          const int64_t fetch = next_j + next_cols < jend ? std::min(kNR, jend - next_j - next_cols) : 0;
          if (!copied) copy_rows(k0, j, ncols, 0, kc, panel_copy, next_k0 == k0 ? next_cols : 0);
          const int64_t tiles = (mc + kMR - 1) / kMR;
          for (int64_t p = 0; p < tiles; ++p) {
            TileArgs tp = tj;
            tp.row0 = i0 + p * kMR;
            RowTiles(std::min(kMR, mc - p * kMR), kc, a + (pack_a ? p * kMR * kc : p * kMR * lda), lda, pack_a,
                     panel_copy, width, width / kLanes, c + p * kMR * g.ldc, g.ldc, ncols, tp);
            if (has_next)
              copy_rows(next_k0, next_j, next_cols, p * next_kc / tiles, (p + 1) * next_kc / tiles,
                        b_copies[copy_index ^ 1], fetch);
          }
          copied = has_next;
          copy_index ^= 1;
          continue;
        }
        const int64_t in_place = std::max<int64_t>(0, std::min(ncols, n_full - j));
        if (in_place > 0)
          RowTiles(mc, kc, a, lda, pack_a, src.b + k0 * src.ldb + j, src.ldb, in_place / kLanes, c, g.ldc, in_place, tj);
        if (in_place < ncols) {
          tj.col0 = n_full;
          RowTiles(mc, kc, a, lda, pack_a, block_strip + k0 * kLanes, kLanes, 1, g.c + i0 * g.ldc + n_full, g.ldc, ncols - in_place, tj);
        }
      }
    }
  };
  runtime::ParallelFor(mblocks * nblocks, threads > 1 ? 1 : mblocks * nblocks, [&](int64_t b0, int64_t b1) {
    for (int64_t item = b0; item < b1; ++item) run_block(item);
  }, schedule);
}

// M == 1, B in place: memory-bound. B is streamed four rows at a time into a row of partial
// sums that stays in L1. Columns [j0, j1) only, so threads can take column ranges; a column's
// sum runs over k in the same order whatever the split.
void GemvRows(const GemmArgs& g, int64_t j0, int64_t j1) {
  const D d;
  const int64_t n = j1 - j0;
  float* y = Scratch<detail::kScratchGemv>(g, static_cast<std::size_t>(n + kLanes));
  std::memset(y, 0, static_cast<std::size_t>(n + kLanes) * sizeof(float));
  const int64_t a_step = g.trans_a ? g.lda : 1;  // op(A) is 1 × K
  constexpr int64_t R = 4;
  int64_t k = 0;
  for (; k + R <= g.k; k += R) {
    V av[R];
    const float* rows[R];
    for (int64_t r = 0; r < R; ++r) {
      av[r] = hn::Set(d, g.a[(k + r) * a_step]);
      rows[r] = g.b + (k + r) * g.ldb + j0;
    }
    for (int64_t j = 0; j < n; j += kLanes) {
      const int64_t count = std::min(kLanes, n - j);
      V acc = hn::Load(d, y + j);
      for (int64_t r = 0; r < R; ++r) acc = hn::MulAdd(av[r], LoadPartial(d, rows[r] + j, count), acc);
      hn::Store(acc, d, y + j);
    }
  }
  for (; k < g.k; ++k) {
    const V ak = hn::Set(d, g.a[k * a_step]);
    const float* row = g.b + k * g.ldb + j0;
    for (int64_t j = 0; j < n; j += kLanes)
      hn::Store(hn::MulAdd(ak, LoadPartial(d, row + j, std::min(kLanes, n - j)), hn::Load(d, y + j)), d, y + j);
  }
  const TileArgs t{g.alpha, g.beta, false, true, false, &g.epilogue, 0, 0};
  for (int64_t j = 0; j < n; j += kLanes)
    WriteRow(d, hn::Load(d, y + j), g.c + j0 + j, std::min(kLanes, n - j), 0, j0 + j, t);
}

// M == 1, op(B) = Bᵀ in place: each output is the dot product of A with a contiguous row of B;
// four rows at a time, two accumulators each to cover FMA latency.
void GemvDots(const GemmArgs& g, int64_t j0, int64_t j1) {
  const D d;
  const int64_t a_step = g.trans_a ? g.lda : 1;
  float* a = Scratch<detail::kScratchGemv>(g, static_cast<std::size_t>(g.k + kLanes));
  for (int64_t k = 0; k < g.k; ++k) a[k] = g.a[k * a_step];
  std::memset(a + g.k, 0, sizeof(float) * static_cast<std::size_t>(kLanes));
  constexpr int64_t kRows = 4;  // rows of B per pass
  HWY_ALIGN float dots[std::max(kRows, kLanes)] = {};
  for (int64_t j = j0; j < j1; j += kRows) {
    const int64_t rows = std::min(kRows, j1 - j);
    V acc[kRows][2];
    for (auto& r : acc) r[0] = r[1] = hn::Zero(d);
    int64_t k = 0;
    for (; k + 2 * kLanes <= g.k; k += 2 * kLanes) {
      const V x0 = hn::Load(d, a + k), x1 = hn::Load(d, a + k + kLanes);
      for (int64_t r = 0; r < rows; ++r) {
        const float* row = g.b + (j + r) * g.ldb;
        acc[r][0] = hn::MulAdd(x0, hn::LoadU(d, row + k), acc[r][0]);
        acc[r][1] = hn::MulAdd(x1, hn::LoadU(d, row + k + kLanes), acc[r][1]);
      }
    }
    for (; k < g.k; k += kLanes) {
      const V x0 = hn::Load(d, a + k);
      for (int64_t r = 0; r < rows; ++r)
        acc[r][0] = hn::MulAdd(x0, LoadPartial(d, g.b + (j + r) * g.ldb + k, std::min(kLanes, g.k - k)), acc[r][0]);
    }
    for (int64_t r = 0; r < rows; ++r) dots[r] = hn::GetLane(hn::SumOfLanes(d, hn::Add(acc[r][0], acc[r][1])));
    const TileArgs t{g.alpha, g.beta, false, true, false, &g.epilogue, 0, 0};
    for (int64_t r = 0; r < rows; r += kLanes)
      WriteRow(d, hn::Load(d, dots + r), g.c + j + r, std::min(kLanes, rows - r), 0, j + r, t);
  }
}

// Column ranges of whole vectors for the GEMV loops, over threads when B is large.
template <class Fn>
void ForColumnRanges(const GemmArgs& g, const Fn& fn) {
  // Memory-bound: worth a second thread (and its cache) once B is more than a few hundred KiB.
  const int64_t threads = g.k * g.n >= (1 << 16) ? runtime::MaxThreads() : 1;
  // One wide range per thread: long row segments stream best.
  const int64_t chunk = threads > 1 ? std::max<int64_t>(4 * kLanes, (g.n / threads + kLanes - 1) / kLanes * kLanes) : g.n;
  runtime::ParallelFor((g.n + chunk - 1) / chunk, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) fn(c * chunk, std::min(g.n, (c + 1) * chunk));
  }, runtime::Schedule::kStatic);
}

// Runs the swapped GEMM into Cᵀ, then writes C row by row from Cᵀ's columns with the epilogue
// (the bias, residual and activation that the direct path applies after the last K block; Cᵀ
// holds exactly what that path's tiles hold before them).
void GemmSwapped(const GemmArgs& g) {
  float* ct = Scratch<detail::kScratchSwappedC>(g, static_cast<std::size_t>(g.m * g.n));
  GemmF32(SwappedWithWorkspace(g, ct));
  const D d;
  const TileArgs t{1.0f, 0.0f, false, true, false, &g.epilogue, 0, 0};
  // kLanes × kLanes blocks, so that the kLanes lines of Cᵀ a block reads stay in L1 while its
  // rows of C are made: each row of the block is one gather of a column of Cᵀ (a partial block,
  // or a Cᵀ too wide for 32-bit offsets, goes through an L1 tile element by element).
  const int64_t row_blocks = (g.m + kLanes - 1) / kLanes;
  const int64_t blocks_per_task = std::max<int64_t>(1, 16384 / (g.n * kLanes));
  const bool gather = kLanes > 1 && g.m <= kMaxGatherStride;
  auto rows = [&](int64_t b0, int64_t b1) {
    // Zeros: a partial block fills only its live rows and columns, and WriteRow takes whole
    // vectors (the lanes past `cols` are never stored, but were read uninitialized).
    HWY_ALIGN float tile[kLanes * kLanes] = {};
    const hn::RebindToSigned<D> di;
    const auto offsets = hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<int32_t>(gather ? g.m : 0)));
    for (int64_t i0 = b0 * kLanes; i0 < std::min(g.m, b1 * kLanes); i0 += kLanes) {
      const int64_t live_rows = std::min(kLanes, g.m - i0);
      for (int64_t j0 = 0; j0 < g.n; j0 += kLanes) {
        const int64_t cols = std::min(kLanes, g.n - j0);
        if (kHasTranspose8 && kLanes % 8 == 0 && cols == kLanes && live_rows == kLanes) {
          // Whole blocks: 8 × 8 transpositions into the L1 tile cost less than a gather per row.
          for (int64_t h1 = 0; h1 < kLanes; h1 += 8)
            for (int64_t h2 = 0; h2 < kLanes; h2 += 8)
              Transpose8x8(ct + (j0 + h2) * g.m + i0 + h1, g.m, tile + h1 * kLanes + h2, kLanes);
          for (int64_t ii = 0; ii < kLanes; ++ii)
            WriteRow(d, hn::Load(d, tile + ii * kLanes), g.c + (i0 + ii) * g.ldc + j0, cols, i0 + ii, j0, t);
          continue;
        }
        if (gather && cols == kLanes) {
          for (int64_t ii = 0; ii < live_rows; ++ii)
            WriteRow(d, hn::GatherIndex(d, ct + j0 * g.m + i0 + ii, offsets), g.c + (i0 + ii) * g.ldc + j0, cols,
                     i0 + ii, j0, t);
          continue;
        }
        for (int64_t jj = 0; jj < cols; ++jj) {
          const float* src = ct + (j0 + jj) * g.m + i0;
          for (int64_t ii = 0; ii < live_rows; ++ii) tile[ii * kLanes + jj] = src[ii];
        }
        for (int64_t ii = 0; ii < live_rows; ++ii)
          WriteRow(d, hn::Load(d, tile + ii * kLanes), g.c + (i0 + ii) * g.ldc + j0, cols, i0 + ii, j0, t);
      }
    }
  };
  runtime::ParallelFor(row_blocks, blocks_per_task, rows, runtime::Schedule::kStatic);
}

// C = beta·C, then the epilogue: all that is left when K == 0 or alpha == 0.
void EpilogueOnly(const GemmArgs& g) {
  const D d;
  const TileArgs t{0.0f, g.beta, false, true, false, &g.epilogue, 0, 0};
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; j += kLanes)
      WriteRow(d, hn::Zero(d), g.c + i * g.ldc + j, std::min(kLanes, g.n - j), i, j, t);
}

}  // namespace

void GemmF32(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  if (g.epilogue.sgd_step && KBlock(g.k) < g.k)
    throw Error(ErrorCode::kInvalidArgument, "gemm: a fused SGD step needs K <= " + std::to_string(kKC) + ", got " + std::to_string(g.k));
  if (g.k == 0 || g.alpha == 0.0f) return EpilogueOnly(g);
  if (g.packed_b && g.packed_b->target() == HWY_TARGET) return GemmBlocked(g, {g.packed_b->data(), nullptr, 0});
  if (g.m > 1 && UsesPackedAt(g)) return GemmSwapped(g);
  if (!g.a)  // a caller that packed Aᵀ may keep no A; only a change of SIMD target could need it
    throw Error(ErrorCode::kInternal, "gemm: Aᵀ was packed for another SIMD target and A is not available");
  if (!g.b)  // a session releases a weight it packed; only a change of SIMD target could need it again
    throw Error(ErrorCode::kInternal, "gemm: B was packed for another SIMD target and is not available unpacked");
  if (g.m == 1) {
    if (g.trans_b) return ForColumnRanges(g, [&](int64_t j0, int64_t j1) { GemvDots(g, j0, j1); });
    return ForColumnRanges(g, [&](int64_t j0, int64_t j1) { GemvRows(g, j0, j1); });
  }
  if (!PacksB(g)) return GemmBlocked(g, {nullptr, g.b, g.ldb});
  if (SwapsOperands(g)) return GemmSwapped(g);
  float* packed = Scratch<detail::kScratchPackB>(g, PackedFloats(g.k, g.n) + kLanes);
  PackB(g.trans_b, g.k, g.n, g.b, g.ldb, packed);
  GemmBlocked(g, {packed, nullptr, 0});
}

std::size_t PackedBFloats(int64_t k, int64_t n) { return PackedFloats(k, n); }
void PackBF32(bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb, float* dst) {
  PackB(trans_b, k, n, b, ldb, dst);
}
int64_t TargetBit() { return HWY_TARGET; }
int64_t SgdStepMaxK() { return kKC; }
std::size_t WorkspaceFloats(const GemmArgs& g, int threads) { return LayoutOf(g).Floats(threads); }

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(GemmF32);
HWY_EXPORT(PackedBFloats);
HWY_EXPORT(PackBF32);
HWY_EXPORT(TargetBit);
HWY_EXPORT(SgdStepMaxK);
HWY_EXPORT(WorkspaceFloats);

namespace {

void CheckGemmArgs(const GemmArgs& g) {
  auto fail = [&](const std::string& what) {
    throw Error(ErrorCode::kInvalidArgument, "gemm (M=" + std::to_string(g.m) + ", N=" + std::to_string(g.n) +
                                                 ", K=" + std::to_string(g.k) + "): " + what);
  };
  if (g.m < 0 || g.n < 0 || g.k < 0) fail("negative size");
  if (g.lda < std::max<int64_t>(1, g.trans_a ? g.m : g.k)) fail("lda " + std::to_string(g.lda) + " too small");
  if (g.ldb < std::max<int64_t>(1, g.trans_b ? g.k : g.n)) fail("ldb " + std::to_string(g.ldb) + " too small");
  if (g.ldc < std::max<int64_t>(1, g.n)) fail("ldc " + std::to_string(g.ldc) + " too small");
  if (g.epilogue.residual && g.epilogue.ldr < std::max<int64_t>(1, g.n))
    fail("ldr " + std::to_string(g.epilogue.ldr) + " too small");
  if (g.epilogue.bias_kind != GemmBias::kNone && !g.epilogue.bias) fail("bias kind set without bias values");
  if (g.epilogue.sgd_step && (g.alpha != 1.0f || g.beta != 1.0f || g.epilogue.bias_kind != GemmBias::kNone ||
                              g.epilogue.residual || g.epilogue.activation != Activation::kNone))
    fail("a fused SGD step takes alpha 1, beta 1 and no other epilogue");
  if (g.packed_b && (g.packed_b->k() != g.k || g.packed_b->n() != g.n))
    fail("B was packed as " + std::to_string(g.packed_b->k()) + "x" + std::to_string(g.packed_b->n()));
  if (g.packed_at && (g.packed_at->k() != g.k || g.packed_at->n() != g.m))
    fail("Aᵀ was packed as " + std::to_string(g.packed_at->k()) + "x" + std::to_string(g.packed_at->n()));
}

}  // namespace

PackedB::PackedB(int64_t k, int64_t n, int64_t target, std::size_t floats)
    : k_(k), n_(n), target_(target),
      data_(static_cast<float*>(std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64 + 64)), &std::free) {
  if (!data_) throw Error(ErrorCode::kInternal, "gemm: out of memory packing B " + std::to_string(k) + "x" + std::to_string(n));
}

std::shared_ptr<const PackedB> PackedB::Pack(bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb) {
  GemmArgs shape;
  shape.trans_b = trans_b, shape.m = 1, shape.n = n, shape.k = k, shape.lda = std::max<int64_t>(1, k);
  shape.ldb = ldb, shape.ldc = std::max<int64_t>(1, n);
  CheckGemmArgs(shape);
  auto packed = std::make_shared<PackedB>(k, n, HWY_DYNAMIC_DISPATCH(TargetBit)(), HWY_DYNAMIC_DISPATCH(PackedBFloats)(k, n));
  HWY_DYNAMIC_DISPATCH(PackBF32)(trans_b, k, n, b, ldb, const_cast<float*>(packed->data()));
  return packed;
}

int64_t GemmSgdStepMaxK() { return HWY_DYNAMIC_DISPATCH(SgdStepMaxK)(); }

std::size_t GemmWorkspaceBytes(const GemmArgs& shape, int threads) {
  return HWY_DYNAMIC_DISPATCH(WorkspaceFloats)(shape, std::max(1, threads)) * sizeof(float);
}

void Gemm(const GemmArgs& args) {
  CheckGemmArgs(args);
  HWY_DYNAMIC_DISPATCH(GemmF32)(args);
}

void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  GemmArgs g;
  g.trans_a = trans_a, g.trans_b = trans_b, g.m = M, g.n = N, g.k = K, g.alpha = alpha;
  g.a = A, g.lda = lda, g.b = B, g.ldb = ldb, g.beta = beta, g.c = C, g.ldc = ldc;
  Gemm(g);
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
