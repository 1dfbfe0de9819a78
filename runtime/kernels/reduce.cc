// Reductions over any axes set: one strided kernel over the collapsed layout (reduce.h).
//
// Work items are (output, chunk, column block) triples. A column block is kItemCols adjacent
// outputs of the columns form (one output of the rows form); within it the vectors walk the
// reduced rows together, so each cache line read serves every lane it holds. Chunks exist only
// when there are too few outputs to keep the threads busy (a full reduction, a reduction to a
// handful of channels); then each output's reduction is cut into pieces whose partial results
// are combined by a second, tiny reduction of the same kind.

#include "runtime/kernels/reduce.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "axon/error.h"
#include "runtime/parallel.h"

#ifndef AXON_RUNTIME_KERNELS_REDUCE_CONSTANTS_
#define AXON_RUNTIME_KERNELS_REDUCE_CONSTANTS_
namespace axon::kernels::reduce_detail {
// Adjacent outputs one work item of the columns form covers (a multiple of every vector length).
constexpr int64_t kItemCols = 256;
// Strided rows in one leaf of the columns form's pairwise reduction: each lane adds this many
// terms in sequence before the tree takes over.
constexpr int64_t kLeafRows = 32;
// Below this many work items, outputs are cut into chunks of at least kChunkElems input elements,
// at most kMaxChunks per output.
constexpr int64_t kFewItems = 16;
constexpr int64_t kChunkElems = 32768;
constexpr int64_t kMaxChunks = 64;
// About 16K elements of work per parallel task, as in the other families.
constexpr int64_t kItemElems = 16384;

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t ColumnBlocks(const ReduceLayout& l) { return l.rows ? 1 : CeilDiv(l.inner, kItemCols); }
// Input elements one (unchunked) work item reads.
inline int64_t ItemElems(const ReduceLayout& l) { return l.reduced * (l.rows ? 1 : std::min(l.inner, kItemCols)); }
// Piece k of [0, len) cut into `pieces` nearly equal ones (without overflow for any len).
inline void Piece(int64_t len, int64_t pieces, int64_t k, int64_t& begin, int64_t& end) {
  const int64_t base = len / pieces, extra = len % pieces;
  begin = k * base + std::min(k, extra);
  end = begin + base + (k < extra ? 1 : 0);
}
}  // namespace axon::kernels::reduce_detail
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/reduce.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

using namespace reduce_detail;  // NOLINT: the constants above, shared with the dispatching code

// Offsets of a flat index over some groups (innermost first), stepped without divisions.
struct Odometer {
  Odometer(const int64_t* dims, const int64_t* strides, int n) : dims_(dims), strides_(strides), n_(n) {}
  void Seek(int64_t flat) {
    offset = 0;
    for (int k = 0; k < n_; ++k) {
      idx_[k] = flat % dims_[k];
      flat /= dims_[k];
      offset += idx_[k] * strides_[k];
    }
  }
  void Next() {
    for (int k = 0; k < n_; ++k) {
      offset += strides_[k];
      if (++idx_[k] < dims_[k]) return;
      offset -= dims_[k] * strides_[k];
      idx_[k] = 0;
    }
  }
  int64_t offset = 0;

 private:
  const int64_t* dims_;
  const int64_t* strides_;
  int n_;
  int64_t idx_[kReduceMaxGroups] = {};
};

// Rows form: runs j in [j0, j1) (offsets from the reduced groups), elements [l0, l1) of each,
// pairwise over the runs as over the elements of one run.
template <class Op, class D, typename T = hn::TFromD<D>>
hn::Vec<D> RowsReduce(D d, const ReduceLayout& l, const T* x, int64_t j0, int64_t j1, int64_t l0, int64_t l1) {
  if (j1 - j0 <= kLeafRows) {
    Odometer red(l.red_dims, l.red_strides, l.red);
    red.Seek(j0);
    auto acc = ContigReduce<Op>(d, x + red.offset + l0, l1 - l0);
    for (int64_t j = j0 + 1; j < j1; ++j) {
      red.Next();
      acc = Op::Combine(d, acc, ContigReduce<Op>(d, x + red.offset + l0, l1 - l0));
    }
    return acc;
  }
  const int64_t mid = j0 + ((j1 - j0) / kLeafRows + 1) / 2 * kLeafRows;
  return Op::Combine(d, RowsReduce<Op>(d, l, x, j0, mid, l0, l1), RowsReduce<Op>(d, l, x, mid, j1, l0, l1));
}

// Columns form, one leaf: rows j in [j0, j1) (at most kLeafRows) of kVecs adjacent whole vectors
// at x, each lane an output; results to out (room for kVecs vectors), unfinalized. kVecs == 0:
// `count` < Lanes(d) columns, in scalars (a partial vector per row would cost more than it adds).
template <int kVecs, class Op, class D, typename T = hn::TFromD<D>>
HWY_INLINE void ColumnsLeaf(D d, const ReduceLayout& l, const T* x, std::size_t count, int64_t j0, int64_t j1, T* out) {
  const std::size_t N = hn::Lanes(d);
  Odometer red(l.red_dims, l.red_strides, l.red);
  red.Seek(j0);
  if constexpr (kVecs == 0) {
    for (std::size_t c = 0; c < count; ++c) out[c] = Op::Identity();
    for (int64_t j = j0; j < j1; ++j, red.Next())
      for (std::size_t c = 0; c < count; ++c) out[c] = Op::Combine(out[c], x[red.offset + static_cast<int64_t>(c)]);
    return;
  }
  const auto id = hn::Set(d, Op::Identity());
  auto a0 = id, a1 = id, a2 = id, a3 = id;
  auto n0 = hn::FirstN(d, 0), n1 = n0, n2 = n0, n3 = n0;
  for (int64_t j = j0; j < j1; ++j, red.Next()) {
    const T* p = x + red.offset;
    Take<Op>(a0, n0, hn::LoadU(d, p));
    if constexpr (kVecs > 1) Take<Op>(a1, n1, hn::LoadU(d, p + N));
    if constexpr (kVecs > 2) Take<Op>(a2, n2, hn::LoadU(d, p + 2 * N));
    if constexpr (kVecs > 3) Take<Op>(a3, n3, hn::LoadU(d, p + 3 * N));
  }
  hn::StoreU(WithNaN<Op>(d, a0, n0), d, out);
  if constexpr (kVecs > 1) hn::StoreU(WithNaN<Op>(d, a1, n1), d, out + N);
  if constexpr (kVecs > 2) hn::StoreU(WithNaN<Op>(d, a2, n2), d, out + 2 * N);
  if constexpr (kVecs > 3) hn::StoreU(WithNaN<Op>(d, a3, n3), d, out + 3 * N);
}

// Columns form: rows j in [j0, j1) of `width` <= kItemCols adjacent columns at x, pairwise over
// the rows; results to out[0, width) (room for kItemCols), unfinalized. A leaf walks its rows once
// per group of four vectors: each row's columns are adjacent, so the prefetcher follows every
// row, and a strided walk over many rows keeps several cache lines in flight. Columns past the
// last whole vector are covered by one more vector ending at the last column (when the row has
// that many), recomputing a few lanes bit for bit instead of loading a partial vector per row.
template <class Op, class D, typename T = hn::TFromD<D>>
void ColumnsReduce(D d, const ReduceLayout& l, const T* x, int64_t width, int64_t j0, int64_t j1, T* out) {
  const auto N = static_cast<int64_t>(hn::Lanes(d));
  if (j1 - j0 > kLeafRows) {
    const int64_t mid = j0 + ((j1 - j0) / kLeafRows + 1) / 2 * kLeafRows;
    ColumnsReduce<Op>(d, l, x, width, j0, mid, out);
    HWY_ALIGN T other[kItemCols];
    ColumnsReduce<Op>(d, l, x, width, mid, j1, other);
    int64_t c = 0;
    for (; c + N <= width; c += N) hn::StoreU(Op::Combine(d, hn::LoadU(d, out + c), hn::LoadU(d, other + c)), d, out + c);
    for (; c < width; ++c) out[c] = Op::Combine(out[c], other[c]);  // the same IEEE operation as a lane's
    return;
  }
  if (width < N) return ColumnsLeaf<0, Op>(d, l, x, static_cast<std::size_t>(width), j0, j1, out);
  int64_t c = 0;
  for (; c + 4 * N <= width; c += 4 * N) ColumnsLeaf<4, Op>(d, l, x + c, 0, j0, j1, out + c);
  switch ((width - c) / N) {
    case 3: ColumnsLeaf<3, Op>(d, l, x + c, 0, j0, j1, out + c); c += 3 * N; break;
    case 2: ColumnsLeaf<2, Op>(d, l, x + c, 0, j0, j1, out + c); c += 2 * N; break;
    case 1: ColumnsLeaf<1, Op>(d, l, x + c, 0, j0, j1, out + c); c += N; break;
    default: break;
  }
  if (c < width) ColumnsLeaf<1, Op>(d, l, x + width - N, 0, j0, j1, out + width - N);
}

// A mean divides once, at the end (divisor 1: a sum or max, left alone).
template <typename T>
HWY_INLINE T Finalize(T v, T divisor) {
  return divisor == T(1) ? v : static_cast<T>(v / divisor);
}

// Work items [i0, i1). to_partials: items are (output, chunk, column block) and write unfinalized
// partial results to out ([outputs, chunks, inner]); otherwise (output, column block) into y.
template <class Op, typename T>
void ReduceItems(const ReduceLayout& l, const T* x, T* out, bool to_partials, T divisor, int64_t i0, int64_t i1) {
  if (i0 >= i1) return;
  const hn::ScalableTag<T> d;
  const auto N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t col_blocks = ColumnBlocks(l);
  const int64_t chunks = to_partials ? l.chunks : 1;
  if (l.rows && l.red_count == 1 && l.row < N && chunks == 1 && l.kept <= 1) {
    // Short contiguous rows, one per output (a softmax-like [n, 4] reduced over its last dim): a
    // vector would be mostly padding, and the general walk's bookkeeping would cost more than
    // the few adds, so a plain loop.
    const int64_t row = l.row;
    for (int64_t o = i0; o < i1; ++o) {
      const T* p = x + o * row;
      T r = Op::Identity();
      for (int64_t e = 0; e < row; ++e) r = Op::Combine(r, p[e]);
      out[o] = Finalize(r, divisor);
    }
    return;
  }
  // Narrow columns whose width divides the vector, read from one reduced group: each output's
  // rows are then one contiguous run, and lane i of every vector along it (all start at multiples
  // of the vector length) belongs to column i % inner, so the run is reduced like a row and the
  // lanes are folded by column at the end.
  const bool fold = !l.rows && l.inner < N && N % l.inner == 0 && l.red == 1;
  HWY_ALIGN T buf[kItemCols];
  // (o, k, cb) of item i0, then stepped: no divisions per item.
  int64_t cb = i0 % col_blocks, k = (i0 / col_blocks) % chunks, o = i0 / col_blocks / chunks;
  Odometer kept(l.kept_dims, l.kept_strides, l.kept);
  kept.Seek(o);
  for (int64_t item = i0; item < i1; ++item) {
    const T* base = x + kept.offset;
    const int64_t slot = o * chunks + k;
    if (l.rows) {
      int64_t j0 = 0, j1 = l.red_count, e0 = 0, e1 = l.row;
      if (chunks > 1) {
        if (l.red_count > 1) {
          Piece(l.red_count, chunks, k, j0, j1);
        } else {
          Piece(l.row, chunks, k, e0, e1);
        }
      }
      T r;
      if (l.red_count > 1) {
        r = CombineLanes<Op>(d, RowsReduce<Op>(d, l, base, j0, j1, e0, e1));
      } else if (l.row >= N) {
        r = CombineLanes<Op>(d, ContigReduce<Op>(d, base + e0, e1 - e0));
      } else {  // a short row: a vector would be mostly padding
        r = Op::Identity();
        for (int64_t e = e0; e < e1; ++e) r = Op::Combine(r, base[e]);
      }
      out[slot] = to_partials ? r : Finalize(r, divisor);
    } else {
      int64_t j0 = 0, j1 = l.red_count;
      if (chunks > 1) Piece(l.red_count, chunks, k, j0, j1);
      const int64_t c0 = cb * kItemCols, width = std::min(l.inner, c0 + kItemCols) - c0;
      if (fold) {
        hn::Store(ContigReduce<Op>(d, base + j0 * l.inner, (j1 - j0) * l.inner), d, buf);
        for (int64_t c = 0; c < l.inner; ++c)
          for (int64_t lane = c + l.inner; lane < N; lane += l.inner) buf[c] = Op::Combine(buf[c], buf[lane]);
      } else {
        ColumnsReduce<Op>(d, l, base + c0, width, j0, j1, buf);
      }
      T* dst = out + slot * l.inner + c0;
      for (int64_t i = 0; i < width; ++i) dst[i] = to_partials ? buf[i] : Finalize(buf[i], divisor);
    }
    if (++cb == col_blocks) {
      cb = 0;
      if (++k == chunks) {
        k = 0;
        ++o;
        kept.Next();
      }
    }
  }
}

void ReduceSumF32(const ReduceLayout& l, const float* x, float* out, bool to_partials, float divisor, int64_t i0,
                  int64_t i1) {
  ReduceItems<SumOp<float>>(l, x, out, to_partials, divisor, i0, i1);
}
void ReduceMaxF32(const ReduceLayout& l, const float* x, float* out, bool to_partials, float divisor, int64_t i0,
                  int64_t i1) {
  ReduceItems<MaxOp<float>>(l, x, out, to_partials, divisor, i0, i1);
}
void ReduceSumI64(const ReduceLayout& l, const int64_t* x, int64_t* out, bool to_partials, int64_t divisor,
                  int64_t i0, int64_t i1) {
  ReduceItems<SumOp<int64_t>>(l, x, out, to_partials, divisor, i0, i1);
}
void ReduceMaxI64(const ReduceLayout& l, const int64_t* x, int64_t* out, bool to_partials, int64_t divisor,
                  int64_t i0, int64_t i1) {
  ReduceItems<MaxOp<int64_t>>(l, x, out, to_partials, divisor, i0, i1);
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(ReduceSumF32);
HWY_EXPORT(ReduceMaxF32);
HWY_EXPORT(ReduceSumI64);
HWY_EXPORT(ReduceMaxI64);

using namespace reduce_detail;  // NOLINT

ReduceLayout MakeReduceLayout(std::span<const int64_t> shape, uint64_t axes_mask) {
  ReduceLayout l;
  const auto rank = static_cast<int>(shape.size());
  if (rank > kReduceMaxRank) throw Error(ErrorCode::kInternal, "reduction of more than 64 dims");
  auto reduced = [&](int i) { return (axes_mask >> i & 1) != 0; };
  bool kept_zero = false, reduced_zero = false;
  int64_t kept_elems = 1;
  for (int i = 0; i < rank; ++i) {
    if (shape[i] == 0) (reduced(i) ? reduced_zero : kept_zero) = true;
    if (!reduced(i)) kept_elems *= shape[i];
  }
  if (kept_zero) {  // no outputs at all
    l.outputs = 0;
    return l;
  }
  if (reduced_zero) {  // every output reduces nothing: the identity (ReduceF32 fills it in)
    l.outputs = kept_elems;
    l.reduced = 0;
    return l;
  }
  // Groups from the innermost dim out; a dim of size 1 changes no offset, so it is skipped, and a
  // dim of the same kind as the group inside it extends that group (their offsets are contiguous).
  struct Group {
    bool reduced;
    int64_t size, stride;
  };
  Group groups[kReduceMaxRank];
  int n = 0;
  bool any_reduced = false;
  int64_t stride = 1;
  for (int i = rank - 1; i >= 0; --i) {
    if (shape[i] != 1) {
      if (n > 0 && groups[n - 1].reduced == reduced(i)) {
        groups[n - 1].size *= shape[i];
      } else {
        groups[n++] = {reduced(i), shape[i], stride};
      }
      any_reduced = any_reduced || reduced(i);
    }
    stride *= shape[i];
  }
  if (!any_reduced) {
    l.copy = true;
    l.outputs = kept_elems;
    return l;
  }
  l.rows = groups[0].reduced;
  (l.rows ? l.row : l.inner) = groups[0].size;
  for (int g = 1; g < n; ++g) {
    if (groups[g].reduced) {
      l.red_dims[l.red] = groups[g].size, l.red_strides[l.red] = groups[g].stride, ++l.red;
      l.red_count *= groups[g].size;
    } else {
      l.kept_dims[l.kept] = groups[g].size, l.kept_strides[l.kept] = groups[g].stride, ++l.kept;
      l.outputs *= groups[g].size;
    }
  }
  l.reduced = l.red_count * l.row;
  // Chunks, from the shape alone (never the thread count or the target).
  const int64_t items = l.outputs * ColumnBlocks(l);
  const int64_t per_item = ItemElems(l);
  const int64_t splittable = l.rows && l.red_count == 1 ? l.row : l.red_count;
  if (items < kFewItems && per_item >= 2 * kChunkElems)
    l.chunks = std::min({kMaxChunks, per_item / kChunkElems, splittable});
  return l;
}

std::size_t ReduceWorkspaceBytes(const ReduceLayout& layout, std::size_t element_size) {
  if (layout.chunks <= 1) return 0;
  return static_cast<std::size_t>(layout.outputs * layout.chunks * layout.inner) * element_size;
}

std::size_t ReduceWorkspaceBound(int64_t out_elements, std::size_t element_size) {
  // Chunks need fewer than kFewItems work items, each at most kItemCols outputs.
  if (out_elements >= kFewItems * kItemCols) return 0;
  return static_cast<std::size_t>(out_elements * kMaxChunks) * element_size;
}

namespace {

template <typename T, class ItemsFn>
void Run(ReduceOp op, const ReduceLayout& l, const T* x, T* y, void* workspace, ItemsFn items_fn) {
  const int64_t n_out = l.Outputs();
  if (n_out <= 0) return;
  if (l.copy) {
    if (x != y) std::memcpy(y, x, static_cast<std::size_t>(n_out) * sizeof(T));
    return;
  }
  if (l.reduced == 0) {
    T fill = T(0);
    if (op == ReduceOp::kMax) {
      fill = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    } else if (op == ReduceOp::kMean) {
      fill = std::numeric_limits<T>::quiet_NaN();  // 0 / 0
    }
    std::fill(y, y + n_out, fill);
    return;
  }
  const T divisor = op == ReduceOp::kMean ? static_cast<T>(l.reduced) : T(1);
  const int64_t col_blocks = ColumnBlocks(l), per_item = ItemElems(l);
  if (l.chunks <= 1) {
    runtime::ParallelFor(l.outputs * col_blocks, std::max<int64_t>(1, kItemElems / per_item),
                         [&](int64_t i0, int64_t i1) { items_fn(l, x, y, false, divisor, i0, i1); });
    return;
  }
  T* partial = static_cast<T*>(workspace);
  runtime::ParallelFor(l.outputs * l.chunks * col_blocks, std::max<int64_t>(1, kItemElems * l.chunks / per_item),
                       [&](int64_t i0, int64_t i1) { items_fn(l, x, partial, true, divisor, i0, i1); });
  // The partials, [outputs, chunks, inner], reduced over the chunks: a handful of items.
  const int64_t shape[3] = {l.outputs, l.chunks, l.inner};
  const ReduceLayout combine = MakeReduceLayout(shape, uint64_t{1} << 1);
  items_fn(combine, partial, y, false, divisor, 0, combine.outputs * ColumnBlocks(combine));
}

}  // namespace

void ReduceF32(ReduceOp op, const ReduceLayout& layout, const float* x, float* y, void* workspace) {
  Run<float>(op, layout, x, y, workspace,
             op == ReduceOp::kMax ? HWY_DYNAMIC_DISPATCH(ReduceMaxF32) : HWY_DYNAMIC_DISPATCH(ReduceSumF32));
}

void ReduceI64(ReduceOp op, const ReduceLayout& layout, const int64_t* x, int64_t* y, void* workspace) {
  if (op == ReduceOp::kMean) throw Error(ErrorCode::kInternal, "ReduceI64: a mean of integers is not supported");
  Run<int64_t>(op, layout, x, y, workspace,
               op == ReduceOp::kMax ? HWY_DYNAMIC_DISPATCH(ReduceMaxI64) : HWY_DYNAMIC_DISPATCH(ReduceSumI64));
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
