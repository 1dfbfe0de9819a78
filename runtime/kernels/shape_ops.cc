// Shape ops. No Highway here: Transpose is a gather whose cost is memory traffic, and its
// contiguous runs (when the last dim stays last) are plain memcpy.

#include "runtime/kernels/shape_ops.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "axon/error.h"
#include "axon/tensor.h"
#include "runtime/kernel_registry.h"
#include "runtime/parallel.h"

namespace axon::kernels {

std::vector<int64_t> TransposeShape(const std::vector<int64_t>& x_shape, const std::vector<int64_t>& perm) {
  const std::size_t rank = x_shape.size();
  std::vector<bool> seen(rank, false);
  bool ok = perm.size() == rank;
  for (std::size_t i = 0; ok && i < rank; ++i) {
    ok = perm[i] >= 0 && perm[i] < static_cast<int64_t>(rank) && !seen[perm[i]];
    if (ok) seen[perm[i]] = true;
  }
  if (!ok)
    throw Error(ErrorCode::kInvalidArgument,
                "perm " + ShapeToString(perm) + " is not a permutation of the dims of " + ShapeToString(x_shape));
  std::vector<int64_t> y(rank);
  for (std::size_t i = 0; i < rank; ++i) y[i] = x_shape[perm[i]];
  return y;
}

namespace {

// Elements per task: enough to amortize a task, small enough to split large copies over cores.
constexpr int64_t kTaskElems = 32768;
// Tiles of a 2-D transpose: kTileQ elements along the dim contiguous in x (long runs keep the
// hardware prefetcher useful) by kTileI along the dim contiguous in y; 128 x 32 f32 = 16 KiB of
// buffer, well inside L1.
constexpr int64_t kTileQ = 128;
constexpr int64_t kTileI = 32;

// The copy after dims are collapsed: y walks dims (outermost first) with source strides, the
// last dim being the innermost run.
struct TransposePlan {
  std::vector<int64_t> dims, strides;  // outer dims of y and their source strides (elements)
  int64_t inner, inner_stride;
  std::size_t esize;
};

// Source offset (elements) of y's row r, where rows enumerate the outer dims except `skip`.
int64_t RowOffset(const TransposePlan& p, int64_t r, std::ptrdiff_t skip) {
  int64_t off = 0;
  for (std::ptrdiff_t k = static_cast<std::ptrdiff_t>(p.dims.size()) - 1; k >= 0; --k) {
    if (k == skip) continue;
    off += (r % p.dims[k]) * p.strides[k];
    r /= p.dims[k];
  }
  return off;
}

// The innermost run of y is contiguous in x too: each row is one memcpy.
void CopyRows(const TransposePlan& p, const char* x, char* y) {
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
void CopyTiles(const TransposePlan& p, std::size_t q, const char* x, char* y) {
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
    std::vector<char> tile(static_cast<std::size_t>(kTileQ * kTileI * es));  // [q][inner]
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
          char* dst = tile.data() + (i - i0) * es;
          for (int64_t qi = 0; qi < q1 - q0; ++qi)
            std::memcpy(dst + qi * kTileI * es, src + qi * es, static_cast<std::size_t>(es));
        }
        for (int64_t qi = q0; qi < q1; ++qi) {  // contiguous writes
          char* dst = y + (y_off + qi * y_q_stride + i0) * es;
          std::memcpy(dst, tile.data() + (qi - q0) * kTileI * es, static_cast<std::size_t>((i1 - i0) * es));
        }
      }
    }
  });
}

}  // namespace

void TransposeCopy(const void* x, const std::vector<int64_t>& x_shape, const std::vector<int64_t>& perm, void* y,
                   std::size_t elem_size) {
  const std::vector<int64_t> y_shape = TransposeShape(x_shape, perm);
  if (ElementCount(y_shape) == 0) return;
  const std::size_t rank = x_shape.size();
  std::vector<int64_t> x_strides(rank);
  for (int64_t k = static_cast<int64_t>(rank) - 1, s = 1; k >= 0; --k) {
    x_strides[k] = s;
    s *= x_shape[k];
  }
  // Walk y in order; dims[i] advances the source by strides[i]. Size-1 dims are dropped and
  // neighbours that are also neighbours in x are merged, so e.g. perm (0, 2, 1) of [B, M, N]
  // becomes a batch of 2-D transposes and perm (1, 0, 2) a list of memcpy runs.
  TransposePlan p{{}, {}, 1, 1, elem_size};
  for (std::size_t i = 0; i < rank; ++i) {
    if (y_shape[i] == 1) continue;
    const int64_t s = x_strides[perm[i]];
    if (!p.dims.empty() && p.strides.back() == s * y_shape[i]) {
      p.dims.back() *= y_shape[i];
      p.strides.back() = s;
    } else {
      p.dims.push_back(y_shape[i]);
      p.strides.push_back(s);
    }
  }
  const char* src = static_cast<const char*>(x);
  char* dst = static_cast<char*>(y);
  if (p.dims.empty()) {  // a single element
    std::memcpy(dst, src, elem_size);
    return;
  }
  p.inner = p.dims.back();
  p.inner_stride = p.strides.back();
  p.dims.pop_back();
  p.strides.pop_back();
  if (p.inner_stride == 1) return CopyRows(p, src, dst);
  // x's last non-1 dim has stride 1 and, not being last in y, is one of y's outer dims.
  const std::size_t q = static_cast<std::size_t>(std::find(p.strides.begin(), p.strides.end(), 1) - p.strides.begin());
  if (q == p.strides.size())
    throw Error(ErrorCode::kInternal, "TransposeCopy: no contiguous source dim for " + ShapeToString(x_shape) +
                                          " perm " + ShapeToString(perm));
  switch (elem_size) {
    case 1: return CopyTiles<1>(p, q, src, dst);
    case 2: return CopyTiles<2>(p, q, src, dst);
    case 4: return CopyTiles<4>(p, q, src, dst);
    case 8: return CopyTiles<8>(p, q, src, dst);
    default: return CopyTiles<0>(p, q, src, dst);
  }
}

namespace {

void TransposeKernel(runtime::KernelContext& k) {
  const Tensor& x = k.In(0);
  Tensor& y = k.Out(0);
  std::vector<int64_t> perm;
  if (k.attrs().Has("perm")) {
    perm = k.attrs().Ints("perm");
  } else {  // ONNX default: reverse the dims
    for (int64_t i = x.rank() - 1; i >= 0; --i) perm.push_back(i);
  }
  if (x.dtype() != y.dtype() || TransposeShape(x.shape(), perm) != y.shape())
    throw Error(ErrorCode::kInternal, "Transpose: output " + std::string(DTypeName(y.dtype())) +
                                          ShapeToString(y.shape()) + " does not match input " +
                                          std::string(DTypeName(x.dtype())) + ShapeToString(x.shape()) +
                                          " with perm " + ShapeToString(perm));
  TransposeCopy(x.raw_data(), x.shape(), perm, y.raw_data(), DTypeSize(x.dtype()));
}

}  // namespace

// Relabelling ops: the output is the input's storage under the shape the executor inferred.
AXON_ALIAS_KERNEL(Identity, 0);
AXON_ALIAS_KERNEL(Reshape, 0);
AXON_ALIAS_KERNEL(Flatten, 0);
AXON_KERNEL(Transpose, TransposeKernel);

}  // namespace axon::kernels
