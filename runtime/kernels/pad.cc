// Pad, row by row. Per dim, a table maps each output index to the input index it copies (or -1
// for the constant), built on every run from the pads (a handful of int64 per dim). An output row
// (all dims but the last) is then: the constant when any outer index maps to -1, else the
// mapped input row's elements at the edges and one memcpy for the middle, which is where nearly
// all the bytes of a real padding (a CNN's 1-pixel border) are.

#include "runtime/kernels/pad.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "runtime/parallel.h"

namespace axon::kernels {
namespace {

// Output index o of a dim of `in` elements padded by begin / end (either may be negative: a
// crop). The dim keeps input indices [crop, crop + kept); o maps into that span shifted by the
// positive begin, and outside it by mode.
void BuildMap(int64_t in, int64_t begin, int64_t end, PadMode mode, int64_t out, int64_t* map) {
  const int64_t crop = std::max<int64_t>(0, -begin), shift = std::max<int64_t>(0, begin);
  const int64_t kept = in - crop - std::max<int64_t>(0, -end);
  for (int64_t o = 0; o < out; ++o) {
    int64_t j = o - shift;  // index into the kept span
    if (j < 0 || j >= kept) {
      if (mode == PadMode::kConstant || kept == 0) {
        map[o] = -1;
        continue;
      }
      if (mode == PadMode::kEdge || kept == 1) {
        j = std::clamp<int64_t>(j, 0, kept - 1);
      } else {  // reflect without repeating the edge, as numpy does, for pads of any length
        const int64_t period = 2 * (kept - 1);
        j = ((j % period) + period) % period;
        if (j >= kept) j = period - j;
      }
    }
    map[o] = crop + j;
  }
}

void Fill(char* dst, int64_t count, const char* value, std::size_t esize) {
  if (count <= 0) return;
  bool zero = true;
  for (std::size_t b = 0; b < esize; ++b) zero = zero && value[b] == 0;
  if (zero) return static_cast<void>(std::memset(dst, 0, static_cast<std::size_t>(count) * esize));
  std::memcpy(dst, value, esize);
  // Doubling copies: log2(count) memcpys instead of count.
  for (int64_t done = 1; done < count;) {
    const int64_t n = std::min(done, count - done);
    std::memcpy(dst + done * esize, dst, static_cast<std::size_t>(n) * esize);
    done += n;
  }
}

}  // namespace

std::size_t PadWorkspaceBytes(const PadLayout& l) {
  int64_t n = 0;
  for (int64_t d : l.out_shape) n += d;
  return static_cast<std::size_t>(n) * sizeof(int64_t);
}

void PadCopy(const PadLayout& l, const void* x, const int64_t* pads, const void* constant, void* y, int64_t* workspace) {
  const std::size_t esize = l.elem_size;
  const auto rank = static_cast<int64_t>(l.out_shape.size());
  int64_t out_elems = 1;
  for (int64_t d : l.out_shape) out_elems *= d;
  if (out_elems == 0) return;
  const char zero[8] = {};
  const char* value = constant ? static_cast<const char*>(constant) : zero;
  if (rank == 0) return static_cast<void>(std::memcpy(y, x, esize));

  std::unique_ptr<int64_t[]> owned;
  if (!workspace) {
    owned.reset(new int64_t[PadWorkspaceBytes(l) / sizeof(int64_t)]);
    workspace = owned.get();
  }
  int64_t* maps[64];
  for (int64_t i = 0, at = 0; i < rank; at += l.out_shape[i], ++i) {
    maps[i] = workspace + at;
    BuildMap(l.in_shape[i], pads[i], pads[rank + i], l.mode, l.out_shape[i], maps[i]);
  }
  int64_t in_strides[64];
  for (int64_t i = rank - 1, s = 1; i >= 0; --i) in_strides[i] = s, s *= l.in_shape[i];

  const int64_t inner = l.out_shape[rank - 1], rows = out_elems / inner;
  const int64_t* last = maps[rank - 1];
  // The middle run of the last dim: output [m0, m1) copies the kept input span contiguously.
  const int64_t begin = pads[rank - 1], end = pads[2 * rank - 1];
  const int64_t m0 = std::max<int64_t>(0, begin);
  const int64_t m1 = m0 + l.in_shape[rank - 1] - std::max<int64_t>(0, -begin) - std::max<int64_t>(0, -end);
  const char* xb = static_cast<const char*>(x);
  char* yb = static_cast<char*>(y);
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner));
  runtime::ParallelFor(rows, grain, [&](int64_t r0, int64_t r1) {
    int64_t idx[64];
    for (int64_t i = rank - 2, rest = r0; i >= 0; --i) idx[i] = rest % l.out_shape[i], rest /= l.out_shape[i];
    for (int64_t r = r0; r < r1; ++r) {
      char* out = yb + static_cast<std::size_t>(r * inner) * esize;
      int64_t in_off = 0;
      bool constant_row = false;
      for (int64_t i = 0; i < rank - 1 && !constant_row; ++i) {
        const int64_t m = maps[i][idx[i]];
        constant_row = m < 0;
        in_off += m * in_strides[i];
      }
      if (constant_row) {
        Fill(out, inner, value, esize);
      } else {
        const char* in = xb + static_cast<std::size_t>(in_off) * esize;
        // Either side of the middle: the constant, or single elements the table points at.
        auto sides = [&](int64_t o0, int64_t o1) {
          if (l.mode == PadMode::kConstant) return Fill(out + static_cast<std::size_t>(o0) * esize, o1 - o0, value, esize);
          for (int64_t o = o0; o < o1; ++o)
            std::memcpy(out + static_cast<std::size_t>(o) * esize, in + static_cast<std::size_t>(last[o]) * esize, esize);
        };
        sides(0, m0);
        if (m1 > m0)
          std::memcpy(out + static_cast<std::size_t>(m0) * esize, in + static_cast<std::size_t>(last[m0]) * esize,
                      static_cast<std::size_t>(m1 - m0) * esize);
        sides(m1, inner);
      }
      for (int64_t i = rank - 2; i >= 0; --i) {  // next row
        if (++idx[i] < l.out_shape[i]) break;
        idx[i] = 0;
      }
    }
  });
}

}  // namespace axon::kernels
