// Winograd F(2×2, 3×3): the transforms (conv_winograd.h has the method). Both per-block
// transforms run with the vector lanes along a row of tiles: tile tx reads input columns 2tx..2tx+3,
// so de-interleaving two vectors of a row gives columns 0 and 1 (and, 2 floats on, 2 and 3) of
// L tiles at once, and the output's two columns per tile are re-interleaved on the way out.
//
// The input is first copied, per channel, into the block's zero-padded rows (the image plus its
// padding, and zeros past it where the last tile row or column overhangs an odd output size), so
// the transform has no bounds tests.

#include "runtime/kernels/conv_winograd.h"

#include <algorithm>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/conv_winograd.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/activation-inl.h"
#include "runtime/kernels/simd-inl.h"

#ifndef AXON_RUNTIME_KERNELS_CONV_WINOGRAD_SHARED_
#define AXON_RUNTIME_KERNELS_CONV_WINOGRAD_SHARED_
namespace axon::kernels::winograd_detail {
// After the padded rows: the last vector pair of a row may read 2 widest vectors (and 2 floats)
// past the row's end. The same on every target, so the scratch size does not depend on it.
inline constexpr int64_t kPaddedSlack = 2 * 16 + 16;
}  // namespace axon::kernels::winograd_detail
#endif

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {
using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;
}  // namespace

void WinogradTransformInputF32(const WinogradBlock& b, int64_t channels, int64_t c0, int64_t c1, const float* padded,
                               float* v) {
  const D d;
  const auto L = static_cast<int64_t>(hn::Lanes(d));
  const int64_t pc = b.PaddedCols(), pr = b.PaddedRows(), tiles = b.Tiles(), plane = pr * pc;
  const int64_t point_stride = channels * tiles;
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t ty = b.ty0; ty < b.ty1; ++ty) {
      const float* rows = padded + c * plane + 2 * (ty - b.ty0) * pc;
      float* out = v + c * tiles + (ty - b.ty0) * b.tile_cols;
      for (int64_t tx = 0; tx < b.tile_cols; tx += L) {
        // w[i][j]: row i of the tile times B (columns), then Bᵀ times the rows.
        V w[4][4];
        for (int64_t i = 0; i < 4; ++i) {
          const float* p = rows + i * pc + 2 * tx;
          V e0, o0, e1, o1;
          hn::LoadInterleaved2(d, p, e0, o0);      // columns 0 and 1 of each tile
          hn::LoadInterleaved2(d, p + 2, e1, o1);  // columns 2 and 3
          w[i][0] = hn::Sub(e0, e1);
          w[i][1] = hn::Add(o0, e1);
          w[i][2] = hn::Sub(e1, o0);
          w[i][3] = hn::Sub(o0, o1);
        }
        const int64_t count = std::min(L, b.tile_cols - tx);
        for (int64_t j = 0; j < 4; ++j) {
          const V t[4] = {hn::Sub(w[0][j], w[2][j]), hn::Add(w[1][j], w[2][j]), hn::Sub(w[2][j], w[1][j]),
                          hn::Sub(w[1][j], w[3][j])};
          for (int64_t a = 0; a < 4; ++a) {
            float* dst = out + (4 * a + j) * point_stride + tx;
            if (count == L) {
              hn::StoreU(t[a], d, dst);
            } else {
              StoreTail(d, t[a], dst, static_cast<std::size_t>(count));
            }
          }
        }
      }
    }
}

bool WinogradOutputF32(const WinogradBlock& b, int64_t out_channels, const float* m, const float* bias,
                       const float* residual, Activation act, float* y, int64_t c0, int64_t c1) {
  const D d;
  const auto L = static_cast<int64_t>(hn::Lanes(d));
  const int64_t tiles = b.Tiles(), point_stride = out_channels * tiles, plane = b.out_h * b.out_w;
  // Zeros: a partial vector's residual is copied in only as far as the image goes, and the lanes
  // past it, never stored, were read uninitialized (valgrind, SCALAR).
  HWY_ALIGN float buf[2 * kMaxF32Lanes] = {};
  // x - x is +0 (no bits set) for finite x and NaN otherwise: OR-ing it over the outputs leaves a
  // NaN lane iff some output was not finite, for one subtraction and one OR a vector.
  V nonfinite = hn::Zero(d);
  for (int64_t ch = c0; ch < c1; ++ch) {
    const V bv = hn::Set(d, bias ? bias[ch] : 0.0f);
    for (int64_t ty = b.ty0; ty < b.ty1; ++ty) {
      const float* src = m + ch * tiles + (ty - b.ty0) * b.tile_cols;
      for (int64_t tx = 0; tx < b.tile_cols; tx += L) {
        // s[j][i]: row i of the 4×4 sums times A (output column j), then Aᵀ times those rows.
        V s[2][4];
        for (int64_t i = 0; i < 4; ++i) {
          const V m0 = hn::LoadU(d, src + (4 * i + 0) * point_stride + tx);
          const V m1 = hn::LoadU(d, src + (4 * i + 1) * point_stride + tx);
          const V m2 = hn::LoadU(d, src + (4 * i + 2) * point_stride + tx);
          const V m3 = hn::LoadU(d, src + (4 * i + 3) * point_stride + tx);
          s[0][i] = hn::Add(hn::Add(m0, m1), m2);
          s[1][i] = hn::Sub(hn::Sub(m1, m2), m3);
        }
        const int64_t ox = 2 * tx, valid = std::min(2 * L, b.out_w - ox);
        for (int64_t r = 0; r < 2 && 2 * ty + r < b.out_h; ++r) {
          V col[2];
          for (int64_t j = 0; j < 2; ++j) {
            const V* t = s[j];
            col[j] = r == 0 ? hn::Add(hn::Add(t[0], t[1]), t[2]) : hn::Sub(hn::Sub(t[1], t[2]), t[3]);
            col[j] = hn::Add(col[j], bv);
          }
          const int64_t at = ch * plane + (2 * ty + r) * b.out_w + ox;
          if (residual) {
            V r0, r1;
            if (valid == 2 * L) {
              hn::LoadInterleaved2(d, residual + at, r0, r1);
            } else {
              std::memcpy(buf, residual + at, static_cast<std::size_t>(valid) * sizeof(float));
              hn::LoadInterleaved2(d, buf, r0, r1);
            }
            col[0] = hn::Add(col[0], r0);
            col[1] = hn::Add(col[1], r1);
          }
          // Before the activation, which can map a wrong ±Inf or NaN to a finite value.
          V bad0 = hn::Sub(col[0], col[0]), bad1 = hn::Sub(col[1], col[1]);
          if (valid != 2 * L) {  // lanes past the image hold the overread's garbage
            bad0 = hn::IfThenElseZero(hn::FirstN(d, static_cast<std::size_t>((valid + 1) / 2)), bad0);
            bad1 = hn::IfThenElseZero(hn::FirstN(d, static_cast<std::size_t>(valid / 2)), bad1);
          }
          nonfinite = hn::Or(nonfinite, hn::Or(bad0, bad1));
          col[0] = ApplyActivation(d, col[0], act);
          col[1] = ApplyActivation(d, col[1], act);
          if (valid == 2 * L) {
            hn::StoreInterleaved2(col[0], col[1], d, y + at);
          } else {
            hn::StoreInterleaved2(col[0], col[1], d, buf);
            std::memcpy(y + at, buf, static_cast<std::size_t>(valid) * sizeof(float));
          }
        }
      }
    }
  }
  return !hn::AllFalse(d, hn::IsNaN(nonfinite));
}

void WinogradDirectF32(const WinogradBlock& b, int64_t channels, int64_t out_channels, const float* x, const float* w,
                       const float* bias, const float* residual, Activation act, float* y) {
  const D d;
  const auto L = static_cast<int64_t>(hn::Lanes(d));
  const int64_t plane = b.out_h * b.out_w, in_plane = b.in_h * b.in_w;
  const int64_t oy0 = 2 * b.ty0, oy1 = std::min(2 * b.ty1, b.out_h);
  for (int64_t ch = 0; ch < out_channels; ++ch)
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      float* row = y + ch * plane + oy * b.out_w;
      for (int64_t ox = 0; ox < b.out_w; ++ox) {
        // In double, products exact, so the sum is the exact one rounded once (and IEEE's Inf/NaN
        // rules apply term by term); the padding's zeros are multiplied as im2col's are.
        double acc = 0;
        for (int64_t c = 0; c < channels; ++c) {
          const float* k = w + (ch * channels + c) * 9;
          for (int64_t i = 0; i < 3; ++i) {
            const int64_t ih = oy + i - b.pad_h;
            for (int64_t j = 0; j < 3; ++j) {
              const int64_t iw = ox + j - b.pad_w;
              const bool inside = ih >= 0 && ih < b.in_h && iw >= 0 && iw < b.in_w;
              acc += static_cast<double>(inside ? x[c * in_plane + ih * b.in_w + iw] : 0.0f) * k[3 * i + j];
            }
          }
        }
        float v = static_cast<float>(acc);
        if (bias) v += bias[ch];
        if (residual) v += residual[row - y + ox];
        row[ox] = v;
      }
      int64_t ox = 0;
      for (; ox + L <= b.out_w; ox += L) hn::StoreU(ApplyActivation(d, hn::LoadU(d, row + ox), act), d, row + ox);
      if (ox < b.out_w) {
        const auto rest = static_cast<std::size_t>(b.out_w - ox);
        StoreTail(d, ApplyActivation(d, LoadTail(d, row + ox, rest), act), row + ox, rest);
      }
    }
}

}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(WinogradTransformInputF32);
HWY_EXPORT(WinogradOutputF32);
HWY_EXPORT(WinogradDirectF32);

std::size_t WinogradWeightFloats(int64_t out_channels, int64_t in_channels) {
  return static_cast<std::size_t>(kWinogradPoints * out_channels * in_channels);
}

void WinogradWeights(const float* w, int64_t out_channels, int64_t in_channels, float* u) {
  const int64_t stride = out_channels * in_channels;
  for (int64_t m = 0; m < out_channels; ++m)
    for (int64_t c = 0; c < in_channels; ++c) {
      const float* g = w + (m * in_channels + c) * 9;
      // G g (4 × 3), then (G g) Gᵀ (4 × 4); G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]. In double: each
      // U value is then the correctly rounded transform.
      double t[4][3];
      for (int j = 0; j < 3; ++j) {
        const double g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
        t[0][j] = g0, t[1][j] = 0.5 * (g0 + g1 + g2), t[2][j] = 0.5 * (g0 - g1 + g2), t[3][j] = g2;
      }
      for (int a = 0; a < 4; ++a) {
        const double row[4] = {t[a][0], 0.5 * (t[a][0] + t[a][1] + t[a][2]), 0.5 * (t[a][0] - t[a][1] + t[a][2]), t[a][2]};
        for (int bb = 0; bb < 4; ++bb) u[(4 * a + bb) * stride + m * in_channels + c] = static_cast<float>(row[bb]);
      }
    }
}

std::size_t WinogradPaddedFloats(const WinogradBlock& b, int64_t channels) {
  return static_cast<std::size_t>(channels * b.PaddedRows() * b.PaddedCols() + winograd_detail::kPaddedSlack);
}

void WinogradPadInput(const WinogradBlock& b, int64_t c0, int64_t c1, const float* x, float* padded) {
  if (b.Tiles() == 0) return;
  const int64_t pc = b.PaddedCols(), pr = b.PaddedRows(), plane = pr * pc;
  // Padded column j is input column j - pad_w; padded row r is input row 2·ty0 + r - pad_h.
  const int64_t j0 = std::clamp<int64_t>(b.pad_w, 0, pc), j1 = std::clamp<int64_t>(b.pad_w + b.in_w, j0, pc);
  for (int64_t c = c0; c < c1; ++c) {
    const float* src = x + c * b.in_h * b.in_w;
    for (int64_t r = 0; r < pr; ++r) {
      float* dst = padded + c * plane + r * pc;
      const int64_t ih = 2 * b.ty0 + r - b.pad_h;
      if (ih < 0 || ih >= b.in_h) {
        std::memset(dst, 0, static_cast<std::size_t>(pc) * sizeof(float));
        continue;
      }
      std::memset(dst, 0, static_cast<std::size_t>(j0) * sizeof(float));
      std::memcpy(dst + j0, src + ih * b.in_w + (j0 - b.pad_w), static_cast<std::size_t>(j1 - j0) * sizeof(float));
      std::memset(dst + j1, 0, static_cast<std::size_t>(pc - j1) * sizeof(float));
    }
  }
}

void WinogradTransformInput(const WinogradBlock& b, int64_t channels, int64_t c0, int64_t c1, const float* padded, float* v) {
  if (c1 <= c0 || b.Tiles() == 0) return;
  HWY_DYNAMIC_DISPATCH(WinogradTransformInputF32)(b, channels, c0, c1, padded, v);
}

void WinogradInput(const WinogradBlock& b, int64_t channels, const float* x, float* padded, float* v) {
  WinogradPadInput(b, 0, channels, x, padded);
  WinogradTransformInput(b, channels, 0, channels, padded, v);
}

bool WinogradOutput(const WinogradBlock& b, int64_t out_channels, const float* m, const float* bias,
                    const float* residual, Activation act, float* y, int64_t c0, int64_t c1) {
  if (c1 < 0) c1 = out_channels;
  if (c1 <= c0 || b.Tiles() == 0) return false;
  return HWY_DYNAMIC_DISPATCH(WinogradOutputF32)(b, out_channels, m, bias, residual, act, y, c0, c1);
}

void WinogradDirect(const WinogradBlock& b, int64_t channels, int64_t out_channels, const float* x, const float* w,
                    const float* bias, const float* residual, Activation act, float* y) {
  if (out_channels == 0 || b.Tiles() == 0) return;
  HWY_DYNAMIC_DISPATCH(WinogradDirectF32)(b, channels, out_channels, x, w, bias, residual, act, y);
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
