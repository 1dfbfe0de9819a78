// The convolution driver: path choice, column blocking, per-thread scratch and the GEMM calls.
// See conv.h for the three paths and why.

#include "runtime/kernels/conv.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "axon/error.h"
#include "runtime/kernels/conv_depthwise.h"
#include "runtime/kernels/thread_scratch.h"
#include "runtime/kernels/unary.h"
#include "runtime/parallel.h"

namespace axon::kernels {
namespace {

GemmArgs GemmShape(int64_t m, int64_t n, int64_t k, int64_t ldb, int64_t ldc) {
  GemmArgs g;
  g.m = m, g.n = n, g.k = k;
  g.lda = std::max<int64_t>(1, k), g.ldb = std::max<int64_t>(1, ldb), g.ldc = std::max<int64_t>(1, ldc);
  return g;
}

}  // namespace

ConvSlot ConvSlotFor(const ConvLayout& l, float* workspace, std::size_t workspace_floats, int workspace_threads) {
  const std::size_t per_slot = l.scratch_floats + l.gemm_floats;
  const int slot = runtime::ThreadIndex();
  if (workspace && slot >= 0 && slot < workspace_threads &&
      per_slot * static_cast<std::size_t>(workspace_threads) <= workspace_floats) {
    float* base = workspace + per_slot * static_cast<std::size_t>(slot);
    return {base, l.gemm_floats ? base + l.scratch_floats : nullptr};
  }
  return {l.scratch_floats ? ThreadScratch<ScratchPurpose::kConv>(l.scratch_floats) : nullptr, nullptr};
}

namespace {

// Winograd's tiles: ceil(out / 2) per spatial dim.
int64_t TileRows(const WindowGeometry& g) { return (g.out[1] + 1) / 2; }
int64_t TileCols(const WindowGeometry& g) { return (g.out[2] + 1) / 2; }

// One Winograd block of tile rows [ty0, ty1).
WinogradBlock BlockOf(const WindowGeometry& g, int64_t ty0, int64_t ty1) {
  WinogradBlock b;
  b.in_h = g.in[1], b.in_w = g.in[2], b.out_h = g.out[1], b.out_w = g.out[2], b.pad_h = g.pad[1], b.pad_w = g.pad[2];
  b.tile_cols = TileCols(g), b.ty0 = ty0, b.ty1 = ty1;
  return b;
}

// A Winograd slot: the block's padded input rows, V [16][C][tiles], M [16][M][tiles] (+ the
// output transform's overread), in this order.
struct WinogradScratch {
  std::size_t padded, v, m;
  std::size_t Floats() const { return padded + v + m; }
};
WinogradScratch WinogradScratchOf(const ConvLayout& l) {
  const WinogradBlock b = BlockOf(l.shape.window, 0, l.tile_rows);
  const auto tiles = static_cast<std::size_t>(b.Tiles());
  return {Lines(WinogradPaddedFloats(b, l.cg)), Lines(kWinogradPoints * static_cast<std::size_t>(l.cg) * tiles),
          Lines(kWinogradPoints * static_cast<std::size_t>(l.mg) * tiles + 16)};
}

std::atomic<uint64_t> winograd_direct_blocks{0};

}  // namespace

uint64_t WinogradDirectBlocks() { return winograd_direct_blocks.load(std::memory_order_relaxed); }

bool WinogradPays(const ConvShape& s) {
  const WindowGeometry& g = s.window;
  const bool fits = s.group == 1 && g.in[0] == 1 && g.out[0] == 1 && g.kernel == std::array<int64_t, 3>{1, 3, 3} &&
                    g.stride == std::array<int64_t, 3>{1, 1, 1} && g.dilation == std::array<int64_t, 3>{1, 1, 1} &&
                    g.pad[0] == 0;
  // The transforms cost a few additions per input and output value, and the 16 GEMMs run at
  // K = C: measured on AVX-512 (1 thread), ResNet-18's 3×3 layers (C = M = 64 to 512, 56×56 down
  // to 7×7, i.e. 16 tiles) ran 1.3–1.7× faster than im2col, SqueezeNet's fire expansions (C = 16
  // to 48) no faster. The transformed W is 16/9 of W and is kept beside it (W recomputes the
  // blocks whose results are not finite): 512 × 512 channels (ResNet's last stage, 9.4 MB of W in
  // 3 layers, on 7×7 maps, 1.3× faster) would have raised ResNet-18's peak RSS from 55 to 121 MB
  // for 6% of its time, so layers above 256 × 256 channels stay on im2col. The choice reads
  // neither the image size nor the padding, so every plan of a node makes the same one.
  return fits && s.in_channels >= 64 && s.out_channels >= 64 && s.in_channels * s.out_channels <= 256 * 256;
}

namespace {

// TransposedWeightsPay's rule (conv.h) for a GEMM of `columns` columns (≤ 256 positions always
// make one im2col block, ColumnBlock) and this K: Yᵀ is transposed into Y afterwards, a pass over
// Y that a short K does not repay; with 64 columns or more and no partial vector (a Winograd
// block of 112 tiles) there is nothing to gain.
bool FewColumnsPay(int64_t columns, int64_t k, int64_t out_channels) {
  return out_channels >= 64 && columns >= 8 &&
         ((columns <= 56 && k >= 128) || (columns <= 256 && columns % 16 != 0 && k >= 256));
}

// Winograd blocks of whole tile rows: V and M of a block (16·(C + M) floats a tile) about 1 MiB, to
// stay in L2 between the transforms and the GEMMs, but at least ~96 tiles so the GEMMs' N spans a
// few panels. Balanced, from the shapes alone.
int64_t WinogradTileRowsPerBlock(const ConvShape& s) {
  const int64_t rows = TileRows(s.window), cols = TileCols(s.window);
  const int64_t by_cache = (int64_t{1} << 14) / (s.in_channels + s.out_channels) / std::max<int64_t>(1, cols);
  const int64_t want = std::clamp<int64_t>(std::max(by_cache, (96 + cols - 1) / std::max<int64_t>(1, cols)), 1, std::max<int64_t>(1, rows));
  const int64_t blocks = (rows + want - 1) / want;
  return (rows + blocks - 1) / std::max<int64_t>(1, blocks);
}

bool WinogradTransposedPays(const ConvShape& s) {
  return FewColumnsPay(WinogradTileRowsPerBlock(s) * TileCols(s.window), s.in_channels, s.out_channels);
}

// Wᵀ packed is a second copy of W, made while W is still held (a session releases W after
// planning, if at all): at most ~5 MB of it. ResNet-18's three 512 × 4608 last-stage weights
// (9.4 MB each, 1.2× faster transposed) would raise its peak RSS growth from 71 to 101 MiB, past
// half of ONNX Runtime's 178 MiB (README's target).
bool SmallEnoughToCopy(const ConvShape& s) {
  return static_cast<double>(s.out_channels) * static_cast<double>(s.in_channels * s.window.KernelVolume()) <= 1.25e6;
}

bool GemmTransposedPays(const ConvShape& s) {
  return s.group == 1 && SmallEnoughToCopy(s) &&
         FewColumnsPay(s.window.OutVolume(), s.in_channels * s.window.KernelVolume(), s.out_channels);
}

// A PackedB of nothing, packed for the SIMD target running now: GemmWorkspaceBytes sizes a
// packed_at GEMM from its shape and the target it was packed for, before the real one is made.
std::shared_ptr<const PackedB> TargetProbe() { return PackedB::Pack(false, 0, 0, nullptr, 1); }

}  // namespace

bool TransposedWeightsReplaceW(const ConvShape& s) {
  return s.group == 1 && !WinogradPays(s) && SmallEnoughToCopy(s) && s.out_channels >= 256 &&
         s.in_channels * s.window.KernelVolume() >= 1024;
}

bool TransposedWeightsPay(const ConvShape& s) {
  return WinogradPays(s) ? WinogradTransposedPays(s) : GemmTransposedPays(s) || TransposedWeightsReplaceW(s);
}

std::shared_ptr<const ConvWeightsT> PackConvWeightsT(const ConvLayout& l, const float* w) {
  auto t = std::make_shared<ConvWeightsT>();
  const ConvShape& s = l.shape;
  if (l.path == ConvPath::kWinograd) {
    const int64_t m = s.out_channels, c = s.in_channels;
    std::vector<float> u(WinogradWeightFloats(m, c));
    WinogradWeights(w, m, c, u.data());
    for (int64_t p = 0; p < kWinogradPoints; ++p)
      t->packed.push_back(PackedB::Pack(true, c, m, u.data() + p * m * c, std::max<int64_t>(1, c)));
  } else {
    t->packed.push_back(PackedB::Pack(true, l.kdim, l.mg, w, std::max<int64_t>(1, l.kdim)));
  }
  return t;
}

ConvLayout MakeConvLayout(const ConvShape& s, int threads, bool winograd_weights, bool transposed_weights) {
  ConvLayout l;
  l.shape = s;
  const WindowGeometry& g = s.window;
  l.cg = s.group > 0 ? s.in_channels / s.group : 0;
  l.mg = s.group > 0 ? s.out_channels / s.group : 0;
  l.kdim = l.cg * g.KernelVolume();
  const bool unit = g.KernelVolume() == 1 && g.stride == std::array<int64_t, 3>{1, 1, 1} &&
                    g.pad == std::array<int64_t, 3>{0, 0, 0} && g.in == g.out;
  const int64_t out_vol = g.OutVolume();
  threads = std::max(1, threads);
  const std::shared_ptr<const PackedB> probe = transposed_weights ? TargetProbe() : nullptr;
  if (winograd_weights && WinogradPays(s)) {
    l.path = ConvPath::kWinograd;
    const int64_t rows = TileRows(g), cols = TileCols(g);
    l.tile_rows = WinogradTileRowsPerBlock(s);
    const int64_t blocks = (rows + l.tile_rows - 1) / l.tile_rows;
    l.transposed_weights = transposed_weights && WinogradTransposedPays(s);
    l.scratch_floats = WinogradScratchOf(l).Floats();
    const int64_t full = l.tile_rows * cols, last = (rows - (blocks - 1) * l.tile_rows) * cols;
    GemmArgs a = GemmShape(l.mg, full, l.cg, full, full), b = GemmShape(l.mg, last, l.cg, last, last);
    if (l.transposed_weights) a.packed_at = b.packed_at = probe.get();
    l.gemm_floats = Lines(std::max(GemmWorkspaceBytes(a, threads), GemmWorkspaceBytes(b, threads)) / sizeof(float));
  } else if (l.cg == 1 && l.mg == 1 && DepthwiseSupports(g)) {
    l.path = ConvPath::kDepthwise;
    l.scratch_floats = Lines(DepthwisePlaneFloats(g));
  } else if (unit) {
    l.path = ConvPath::kPointwise;
    l.transposed_weights = transposed_weights && (GemmTransposedPays(s) || TransposedWeightsReplaceW(s));
    GemmArgs shape = GemmShape(l.mg, out_vol, l.cg, out_vol, out_vol);
    if (l.transposed_weights) shape.packed_at = probe.get();
    l.gemm_floats = Lines(GemmWorkspaceBytes(shape, threads) / sizeof(float));
  } else {
    l.path = ConvPath::kIm2Col;
    l.transposed_weights = transposed_weights && (GemmTransposedPays(s) || TransposedWeightsReplaceW(s));
    l.col_block = ColumnBlock(l.kdim, out_vol);
    // The block, then one channel's rows: the edge of a shared block's channel range (ConvF32).
    l.scratch_floats = Lines(static_cast<std::size_t>(l.kdim * l.col_block + kIm2ColSlack)) +
                       Lines(static_cast<std::size_t>(g.KernelVolume() * l.col_block + kIm2ColSlack));
    // The last block may be narrower; the GEMM's scratch never grows as N shrinks, but ask for both.
    const int64_t last = out_vol == 0 ? 0 : out_vol - (out_vol - 1) / std::max<int64_t>(1, l.col_block) * l.col_block;
    GemmArgs full = GemmShape(l.mg, l.col_block, l.kdim, l.col_block, out_vol), tail = GemmShape(l.mg, last, l.kdim, last, out_vol);
    if (l.transposed_weights) full.packed_at = tail.packed_at = probe.get();
    l.gemm_floats = Lines(std::max(GemmWorkspaceBytes(full, threads), GemmWorkspaceBytes(tail, threads)) / sizeof(float));
  }
  return l;
}

std::size_t ConvWorkspaceBytes(const ConvLayout& l, int threads) {
  return (l.scratch_floats + l.gemm_floats) * static_cast<std::size_t>(std::max(1, threads)) * sizeof(float);
}


void ConvF32(const ConvLayout& l, const float* x, const float* w, const float* bias, float* y, float* workspace,
             std::size_t workspace_floats, int workspace_threads, const float* residual, const float* winograd,
             const ConvWeightsT* weights_t) {
  const ConvShape& s = l.shape;
  const WindowGeometry& g = s.window;
  const int64_t in_vol = g.InVolume(), out_vol = g.OutVolume(), groups = s.group;
  if (s.batch == 0 || s.out_channels == 0 || out_vol == 0) return;
  if (l.transposed_weights && (!weights_t || weights_t->packed.size() != (l.path == ConvPath::kWinograd ? kWinogradPoints : 1)))
    throw Error(ErrorCode::kInvalidArgument, "Conv: the layout was made for the weights' packed transpose (PackConvWeightsT), none given");

  // One GEMM: rows [g·mg, (g+1)·mg) of image n's output, columns [col0, col0 + cols), from B.
  auto gemm = [&](const ConvSlot& slot, int64_t n, int64_t grp, const float* b, int64_t ldb, int64_t col0, int64_t cols) {
    GemmArgs a = GemmShape(l.mg, cols, l.kdim, ldb, out_vol);
    a.a = w + grp * l.mg * l.kdim;
    a.b = b;
    const int64_t at = (n * s.out_channels + grp * l.mg) * out_vol + col0;
    a.c = y + at;
    if (residual) {
      a.epilogue.residual = residual + at;
      a.epilogue.ldr = out_vol;
    }
    if (bias) {
      a.epilogue.bias_kind = GemmBias::kPerRow;
      a.epilogue.bias = bias + grp * l.mg;
    }
    a.epilogue.activation = l.activation;
    if (l.transposed_weights) a.packed_at = weights_t->packed[0].get();
    a.workspace = slot.gemm;
    a.workspace_floats = slot.gemm ? l.gemm_floats : 0;
    a.workspace_threads = workspace_threads;
    Gemm(a);
  };

  switch (l.path) {
    case ConvPath::kPointwise:
      // X's channels of one group are already a K × HW matrix: the GEMM reads them in place.
      runtime::ParallelFor(s.batch * groups, 1, [&](int64_t t0, int64_t t1) {
        const ConvSlot slot = ConvSlotFor(l, workspace, workspace_floats, workspace_threads);
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t n = t / groups, grp = t % groups;
          gemm(slot, n, grp, x + (n * s.in_channels + grp * l.cg) * in_vol, in_vol, 0, out_vol);
        }
      });
      return;
    case ConvPath::kDepthwise:
      return DepthwiseConvF32(l, x, w, bias, y, workspace, workspace_floats, workspace_threads, residual);
    case ConvPath::kWinograd: {
      if (!winograd && !l.transposed_weights)
        throw Error(ErrorCode::kInvalidArgument, "Conv: the Winograd path needs W's transform (WinogradWeights)");
      const int64_t rows = TileRows(g), blocks = (rows + l.tile_rows - 1) / l.tile_rows;
      const WinogradScratch parts = WinogradScratchOf(l);
      const int64_t m = s.out_channels, c = s.in_channels;
      auto point_gemm = [&](const ConvSlot& slot, int64_t p, int64_t tiles, const float* v, float* mo) {
        GemmArgs a = GemmShape(m, tiles, c, tiles, tiles);  // M_p [M × tiles] = U_p [M × C] · V_p [C × tiles]
        a.a = winograd ? winograd + p * m * c : nullptr, a.b = v + p * c * tiles, a.c = mo + p * m * tiles;
        if (l.transposed_weights) a.packed_at = weights_t->packed[p].get();
        a.workspace = slot.gemm;
        a.workspace_floats = slot.gemm ? l.gemm_floats : 0;
        a.workspace_threads = workspace_threads;
        Gemm(a);
      };
      auto direct = [&](const WinogradBlock& b, int64_t n) {
        const int64_t at = n * m * out_vol;
        WinogradDirect(b, c, m, x + n * c * in_vol, w, bias, residual ? residual + at : nullptr, l.activation, y + at);
        winograd_direct_blocks.fetch_add(1, std::memory_order_relaxed);
      };
      // Whole blocks go to threads while every thread gets one; each block left over (fewer than
      // the threads: ResNet's 14×14 layers are a single block) is shared by all of them, the
      // transforms by channels and the GEMMs by point, around the calling thread's V and M. The
      // arithmetic is the same either way, so are the bits.
      const int64_t items = s.batch * blocks, threads = runtime::MaxThreads();
      const int64_t whole = threads > 1 ? items / threads * threads : items;
      runtime::ParallelFor(whole, 1, [&](int64_t t0, int64_t t1) {
        const ConvSlot slot = ConvSlotFor(l, workspace, workspace_floats, workspace_threads);
        float* v = slot.scratch + parts.padded;
        float* mo = v + parts.v;
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t n = t / blocks, ty0 = t % blocks * l.tile_rows;
          const WinogradBlock b = BlockOf(g, ty0, std::min(rows, ty0 + l.tile_rows));
          WinogradInput(b, c, x + n * c * in_vol, slot.scratch, v);
          for (int64_t p = 0; p < kWinogradPoints; ++p) point_gemm(slot, p, b.Tiles(), v, mo);
          const int64_t at = n * m * out_vol;
          if (WinogradOutput(b, m, mo, bias, residual ? residual + at : nullptr, l.activation, y + at)) direct(b, n);
        }
      });
      for (int64_t t = whole; t < items; ++t) {
        const ConvSlot slot = ConvSlotFor(l, workspace, workspace_floats, workspace_threads);
        float* v = slot.scratch + parts.padded;
        float* mo = v + parts.v;
        const int64_t n = t / blocks, ty0 = t % blocks * l.tile_rows;
        const WinogradBlock b = BlockOf(g, ty0, std::min(rows, ty0 + l.tile_rows));
        const float* xn = x + n * c * in_vol;
        // About four channel ranges a thread; every channel's padding is done before any transform.
        const int64_t c_grain = std::max<int64_t>(1, c / (4 * threads)), m_grain = std::max<int64_t>(1, m / (4 * threads));
        runtime::ParallelFor(c, c_grain, [&](int64_t c0, int64_t c1) { WinogradPadInput(b, c0, c1, xn, slot.scratch); });
        runtime::ParallelFor(c, c_grain, [&](int64_t c0, int64_t c1) { WinogradTransformInput(b, c, c0, c1, slot.scratch, v); });
        runtime::ParallelFor(kWinogradPoints, 1, [&](int64_t p0, int64_t p1) {
          const ConvSlot own = ConvSlotFor(l, workspace, workspace_floats, workspace_threads);  // its GEMM scratch
          for (int64_t p = p0; p < p1; ++p) point_gemm(own, p, b.Tiles(), v, mo);
        });
        const int64_t at = n * m * out_vol;
        std::atomic<bool> nonfinite{false};
        runtime::ParallelFor(m, m_grain, [&](int64_t c0, int64_t c1) {
          if (WinogradOutput(b, m, mo, bias, residual ? residual + at : nullptr, l.activation, y + at, c0, c1))
            nonfinite.store(true, std::memory_order_relaxed);
        });
        if (nonfinite.load(std::memory_order_relaxed)) direct(b, n);
      }
      return;
    }
    case ConvPath::kIm2Col: {
      const int64_t blocks = (out_vol + l.col_block - 1) / l.col_block;
      const int64_t kvol = g.KernelVolume();
      // Where a slot's one-channel rows start, after its block.
      const auto edge_at = Lines(static_cast<std::size_t>(l.kdim * l.col_block + kIm2ColSlack));
      // As on the Winograd path: whole blocks to threads while every thread gets one, and each
      // block left over (small images are one block) shared by all of them: im2col by channel
      // ranges, then the GEMM, which shares itself out. Im2Col's stores may run past its last row
      // into the next channel's, which another thread may be writing: each range's last channel
      // goes through the thread's own edge rows and is copied into place.
      const int64_t items = s.batch * groups * blocks, threads = runtime::MaxThreads();
      const int64_t whole = threads > 1 ? items / threads * threads : items;
      auto at = [&](int64_t t, int64_t& n, int64_t& grp, int64_t& col0, int64_t& cols) {
        const int64_t blk = t % blocks;
        grp = (t / blocks) % groups, n = t / blocks / groups;
        col0 = blk * l.col_block, cols = std::min(l.col_block, out_vol - col0);
      };
      runtime::ParallelFor(whole, 1, [&](int64_t t0, int64_t t1) {
        const ConvSlot slot = ConvSlotFor(l, workspace, workspace_floats, workspace_threads);
        for (int64_t t = t0; t < t1; ++t) {
          int64_t n, grp, col0, cols;
          at(t, n, grp, col0, cols);
          Im2Col(g, l.cg, x + (n * s.in_channels + grp * l.cg) * in_vol, col0, cols, slot.scratch);
          gemm(slot, n, grp, slot.scratch, cols, col0, cols);
        }
      });
      for (int64_t t = whole; t < items; ++t) {
        int64_t n, grp, col0, cols;
        at(t, n, grp, col0, cols);
        const ConvSlot slot = ConvSlotFor(l, workspace, workspace_floats, workspace_threads);
        const float* image = x + (n * s.in_channels + grp * l.cg) * in_vol;
        runtime::ParallelFor(l.cg, std::max<int64_t>(1, l.cg / (4 * threads)), [&](int64_t c0, int64_t c1) {
          Im2Col(g, c1 - 1 - c0, image + c0 * in_vol, col0, cols, slot.scratch + c0 * kvol * cols);
          float* edge = ConvSlotFor(l, workspace, workspace_floats, workspace_threads).scratch + edge_at;
          Im2Col(g, 1, image + (c1 - 1) * in_vol, col0, cols, edge);
          std::memcpy(slot.scratch + (c1 - 1) * kvol * cols, edge, static_cast<std::size_t>(kvol * cols) * sizeof(float));
        });
        gemm(slot, n, grp, slot.scratch, cols, col0, cols);
      }
      return;
    }
  }
}

}  // namespace axon::kernels
