// Transpose. No Highway here: Transpose is a gather whose cost is memory traffic, and its
// contiguous runs (when the last dim stays last) are plain memcpy.

#include "runtime/kernels/shape_ops.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "runtime/parallel.h"

namespace axon::kernels {

namespace {

// Elements per task: enough to amortize a task, small enough to split large copies over cores.
constexpr int64_t kTaskElems = 32768;
// Tiles of a 2-D transpose: kTileQ elements along the dim contiguous in x (long runs keep the
// hardware prefetcher useful) by kTileI along the dim contiguous in y; 128 x 32 f32 = 16 KiB of
// buffer, well inside L1.
constexpr int64_t kTileQ = 128;
constexpr int64_t kTileI = 32;

// Source offset (elements) of y's row r, where rows enumerate the outer dims except `skip`.
int64_t RowOffset(const TransposeLayout& p, int64_t r, std::ptrdiff_t skip) {
  int64_t off = 0;
  for (std::ptrdiff_t k = static_cast<std::ptrdiff_t>(p.dims.size()) - 1; k >= 0; --k) {
    if (k == skip) continue;
    off += (r % p.dims[k]) * p.strides[k];
    r /= p.dims[k];
  }
  return off;
}

// The innermost run of y is contiguous in x too: each row is one memcpy.
void CopyRows(const TransposeLayout& p, const char* x, char* y) {
  int64_t rows = 1;
  for (int64_t d : p.dims) rows *= d;
  const std::size_t row_bytes = static_cast<std::size_t>(p.inner) * p.esize;
  runtime::ParallelFor(rows, std::max<int64_t>(1, kTaskElems / p.inner), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      std::memcpy(y + r * row_bytes, x + RowOffset(p, r, -1) * static_cast<int64_t>(p.esize), row_bytes);
  });
}

// The innermost run of y is strided in x, and x's contiguous dim is y's outer dim q. Walking
// either side element by element touches a new cache line (and often a new page) per element,
// and with strides like a 768 x 3072 weight matrix's the lines evict each other before they are
// reused. So each (q, inner) tile goes through a small buffer: read in runs contiguous in x,
// written out in runs contiguous in y, every line touched in one burst (768 x 3072: 5.4 ms
// element by element, 1.3 ms tiled, one core). Work items are (row of the other outer dims,
// tile of q). kSize is the element size for the common sizes, so that the address arithmetic
// folds to shifts and each copy to one move, or 0 to read it from p.esize.
template <std::size_t kSize>
void CopyTiles(const TransposeLayout& p, std::size_t q, const char* x, char* y) {
  const int64_t Q = p.dims[q];
  int64_t y_q_stride = p.inner;  // y elements between consecutive indices of dim q
  for (std::size_t k = q + 1; k < p.dims.size(); ++k) y_q_stride *= p.dims[k];
  int64_t others = 1;
  for (std::size_t k = 0; k < p.dims.size(); ++k)
    if (k != q) others *= p.dims[k];
  const int64_t q_tiles = (Q + kTileQ - 1) / kTileQ;
  const int64_t es = kSize ? static_cast<int64_t>(kSize) : static_cast<int64_t>(p.esize);
  const int64_t grain = std::max<int64_t>(1, kTaskElems / (kTileQ * p.inner));
  runtime::ParallelFor(others * q_tiles, grain, [&](int64_t w0, int64_t w1) {
    // [q][inner]; on the stack for the common element sizes, so a run allocates nothing.
    std::array<char, kSize ? kTileQ * kTileI * kSize : 1> fixed;
    std::vector<char> dynamic(kSize ? 0 : static_cast<std::size_t>(kTileQ * kTileI * es));
    char* const tile = kSize ? fixed.data() : dynamic.data();
    for (int64_t w = w0; w < w1; ++w) {
      const int64_t row = w / q_tiles, q0 = (w % q_tiles) * kTileQ, q1 = std::min(Q, q0 + kTileQ);
      // y offset of (row, q = 0, inner = 0): rows enumerate the other dims in y order, so
      // reinsert dim q with index 0.
      int64_t y_off = 0;
      int64_t rest = row, stride = p.inner;
      for (std::ptrdiff_t k = static_cast<std::ptrdiff_t>(p.dims.size()) - 1; k >= 0; --k) {
        if (static_cast<std::size_t>(k) != q) {
          y_off += (rest % p.dims[k]) * stride;
          rest /= p.dims[k];
        }
        stride *= p.dims[k];
      }
      const int64_t x_off = RowOffset(p, row, static_cast<std::ptrdiff_t>(q));
      for (int64_t i0 = 0; i0 < p.inner; i0 += kTileI) {
        const int64_t i1 = std::min(p.inner, i0 + kTileI);
        for (int64_t i = i0; i < i1; ++i) {  // dim q has source stride 1: contiguous reads
          const char* src = x + (x_off + i * p.inner_stride + q0) * es;
          char* dst = tile + (i - i0) * es;
          for (int64_t qi = 0; qi < q1 - q0; ++qi)
            std::memcpy(dst + qi * kTileI * es, src + qi * es, static_cast<std::size_t>(es));
        }
        for (int64_t qi = q0; qi < q1; ++qi) {  // contiguous writes
          char* dst = y + (y_off + qi * y_q_stride + i0) * es;
          std::memcpy(dst, tile + (qi - q0) * kTileI * es, static_cast<std::size_t>((i1 - i0) * es));
        }
      }
    }
  });
}

}  // namespace

TransposeLayout MakeTransposeLayout(const std::vector<int64_t>& x_shape, const std::vector<int64_t>& perm,
                                    std::size_t elem_size) {
  const std::size_t rank = x_shape.size();
  TransposeLayout p;
  p.esize = elem_size;
  for (int64_t d : x_shape) p.elements *= d;
  std::vector<int64_t> x_strides(rank);
  for (int64_t k = static_cast<int64_t>(rank) - 1, s = 1; k >= 0; --k) {
    x_strides[k] = s;
    s *= x_shape[k];
  }
  // Walk y in order; dims[i] advances the source by strides[i]. Size-1 dims are dropped and
  // neighbours that are also neighbours in x are merged, so e.g. perm (0, 2, 1) of [B, M, N]
  // becomes a batch of 2-D transposes and perm (1, 0, 2) a list of memcpy runs.
  for (std::size_t i = 0; i < rank; ++i) {
    const int64_t yd = x_shape[perm[i]];
    if (yd == 1) continue;
    const int64_t s = x_strides[perm[i]];
    if (!p.dims.empty() && p.strides.back() == s * yd) {
      p.dims.back() *= yd;
      p.strides.back() = s;
    } else {
      p.dims.push_back(yd);
      p.strides.push_back(s);
    }
  }
  if (p.dims.empty()) return p;  // a single element (or none)
  p.inner = p.dims.back();
  p.inner_stride = p.strides.back();
  p.dims.pop_back();
  p.strides.pop_back();
  // When y's innermost run is strided in x, x's last non-1 dim (stride 1) is one of y's outer dims.
  if (p.inner_stride != 1)
    p.contiguous_dim = static_cast<std::size_t>(std::find(p.strides.begin(), p.strides.end(), 1) - p.strides.begin());
  return p;
}

void TransposeCopy(const TransposeLayout& p, const void* x, void* y) {
  if (p.elements == 0) return;
  const char* src = static_cast<const char*>(x);
  char* dst = static_cast<char*>(y);
  if (p.dims.empty() && p.inner == 1) {  // a single element
    std::memcpy(dst, src, p.esize);
    return;
  }
  if (p.inner_stride == 1) return CopyRows(p, src, dst);
  const std::size_t q = p.contiguous_dim;
  switch (p.esize) {
    case 1: return CopyTiles<1>(p, q, src, dst);
    case 2: return CopyTiles<2>(p, q, src, dst);
    case 4: return CopyTiles<4>(p, q, src, dst);
    case 8: return CopyTiles<8>(p, q, src, dst);
    default: return CopyTiles<0>(p, q, src, dst);
  }
}

}  // namespace axon::kernels
