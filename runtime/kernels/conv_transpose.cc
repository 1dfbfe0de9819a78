// The ConvTranspose driver; see conv_transpose.h.

#include "runtime/kernels/conv_transpose.h"

#include <algorithm>
#include <cstdlib>

#include "axon/error.h"
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/thread_scratch.h"
#include "runtime/parallel.h"

namespace axon::kernels {
namespace {

GemmArgs GemmShape(const ConvTransposeLayout& l, int64_t n, int64_t ldb, int64_t ldc) {
  GemmArgs g;
  g.trans_a = !l.prepared_weights;
  g.m = l.rows, g.n = n, g.k = l.cg;
  g.lda = std::max<int64_t>(1, l.prepared_weights ? l.cg : l.rows);
  g.ldb = std::max<int64_t>(1, ldb), g.ldc = std::max<int64_t>(1, ldc);
  return g;
}


}  // namespace

ConvTransposeLayout MakeConvTransposeLayout(const ConvTransposeShape& s, bool prepared_weights, int threads) {
  ConvTransposeLayout l;
  l.shape = s;
  l.prepared_weights = prepared_weights;
  const WindowGeometry& g = s.window;
  l.cg = s.group > 0 ? s.in_channels / s.group : 0;
  l.mg = s.group > 0 ? s.out_channels / s.group : 0;
  l.rows = l.mg * g.KernelVolume();
  const int64_t positions = g.OutVolume();  // X's spatial volume
  threads = std::max(1, threads);
  l.direct = g.KernelVolume() == 1 && g.stride == std::array<int64_t, 3>{1, 1, 1} &&
             g.pad == std::array<int64_t, 3>{0, 0, 0} && g.in == g.out;
  if (l.direct) {
    l.gemm_floats = Lines(GemmWorkspaceBytes(GemmShape(l, positions, positions, positions), threads) / sizeof(float));
    return l;
  }
  l.col_block = ColumnBlock(l.rows, positions);
  l.scratch_floats = Lines(static_cast<std::size_t>(l.rows * l.col_block));
  const int64_t last = positions == 0 ? 0 : positions - (positions - 1) / std::max<int64_t>(1, l.col_block) * l.col_block;
  const std::size_t full = GemmWorkspaceBytes(GemmShape(l, l.col_block, positions, l.col_block), threads);
  const std::size_t tail = GemmWorkspaceBytes(GemmShape(l, last, positions, last), threads);
  l.gemm_floats = Lines(std::max(full, tail) / sizeof(float));
  return l;
}

std::size_t ConvTransposeWorkspaceBytes(const ConvTransposeLayout& l, int threads) {
  return (l.scratch_floats + l.gemm_floats) * static_cast<std::size_t>(std::max(1, threads)) * sizeof(float);
}

std::shared_ptr<const float> PrepareConvTransposeWeights(const ConvTransposeShape& s, const float* w) {
  const int64_t cg = s.group > 0 ? s.in_channels / s.group : 0;
  const int64_t rows = (s.group > 0 ? s.out_channels / s.group : 0) * s.window.KernelVolume();
  const auto n = static_cast<std::size_t>(std::max<int64_t>(1, s.group * rows * cg));
  std::shared_ptr<float[]> t(new float[n]);
  for (int64_t grp = 0; grp < s.group; ++grp) {
    const float* src = w + grp * cg * rows;  // [cg, rows]
    float* dst = t.get() + grp * rows * cg;   // [rows, cg]
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t r = 0; r < rows; ++r) dst[r * cg + c] = src[c * rows + r];
  }
  return std::shared_ptr<const float>(t, t.get());
}

void ConvTransposeF32(const ConvTransposeLayout& l, const float* x, const float* w, const float* bias, float* y,
                      float* workspace, std::size_t workspace_floats, int workspace_threads) {
  const ConvTransposeShape& s = l.shape;
  const WindowGeometry& g = s.window;
  const int64_t positions = g.OutVolume(), y_vol = g.InVolume(), groups = s.group;
  if (s.batch == 0 || s.out_channels == 0 || y_vol == 0) return;
  const std::size_t per_slot = l.scratch_floats + l.gemm_floats;
  runtime::ParallelFor(s.batch * groups, 1, [&](int64_t t0, int64_t t1) {
    const int slot = runtime::ThreadIndex();
    float* scratch = nullptr;
    float* gemm_ws = nullptr;
    if (workspace && slot >= 0 && slot < workspace_threads && per_slot * static_cast<std::size_t>(workspace_threads) <= workspace_floats) {
      scratch = workspace + per_slot * static_cast<std::size_t>(slot);
      gemm_ws = l.gemm_floats ? scratch + l.scratch_floats : nullptr;
    } else if (l.scratch_floats) {
      scratch = ThreadScratch<ScratchPurpose::kConvTranspose>(l.scratch_floats);
    }
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n = t / groups, grp = t % groups;
      const float* xg = x + (n * s.in_channels + grp * l.cg) * positions;
      float* yg = y + (n * s.out_channels + grp * l.mg) * y_vol;
      GemmArgs a;
      auto run_gemm = [&](int64_t col0, int64_t cols, float* c, int64_t ldc) {
        a = GemmShape(l, cols, positions, ldc);
        a.a = w + grp * l.rows * l.cg;
        a.b = xg + col0;
        a.c = c;
        a.workspace = gemm_ws, a.workspace_floats = gemm_ws ? l.gemm_floats : 0, a.workspace_threads = workspace_threads;
        if (l.direct && bias) {
          a.epilogue.bias_kind = GemmBias::kPerRow;
          a.epilogue.bias = bias + grp * l.mg;
        }
        Gemm(a);
      };
      if (l.direct) {
        run_gemm(0, positions, yg, positions);
        continue;
      }
      for (int64_t m = 0; m < l.mg; ++m) std::fill(yg + m * y_vol, yg + (m + 1) * y_vol, bias ? bias[grp * l.mg + m] : 0.0f);
      for (int64_t col0 = 0; col0 < positions; col0 += l.col_block) {
        const int64_t cols = std::min(l.col_block, positions - col0);
        run_gemm(col0, cols, scratch, cols);
        Col2Im(g, l.mg, scratch, col0, cols, yg);
      }
    }
  });
}

}  // namespace axon::kernels
