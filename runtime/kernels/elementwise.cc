// Broadcasting binary ops. The layout (built once per plan, outside the SIMD code) right-aligns the
// shapes, gives broadcast dims stride 0, drops size-1 dims and merges adjacent dims that are
// contiguous in a, b and y alike. What remains is an outer odometer over rows and one inner run
// in which a and b each have stride 1 or 0, so the SIMD code has exactly three loops.

#include "runtime/kernels/elementwise.h"

#include <algorithm>
#include <string>

#include <array>

#include "runtime/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/elementwise.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {
namespace hn = hwy::HWY_NAMESPACE;

// Each functor has a vector and a scalar form. Both are single IEEE operations, so the scalar
// tail rounds exactly like the vector body and a chunk boundary never changes a result.
struct AddOp {
  template <class V> HWY_INLINE V operator()(V a, V b) const { return hn::Add(a, b); }
  HWY_INLINE float operator()(float a, float b) const { return a + b; }
};
struct SubOp {
  template <class V> HWY_INLINE V operator()(V a, V b) const { return hn::Sub(a, b); }
  HWY_INLINE float operator()(float a, float b) const { return a - b; }
};
struct MulOp {
  template <class V> HWY_INLINE V operator()(V a, V b) const { return hn::Mul(a, b); }
  HWY_INLINE float operator()(float a, float b) const { return a * b; }
};
struct DivOp {
  template <class V> HWY_INLINE V operator()(V a, V b) const { return hn::Div(a, b); }
  HWY_INLINE float operator()(float a, float b) const { return a / b; }
};

// The three inner runs. Unrolled 2x: two independent load-op-store chains keep both load ports
// busy; deeper unrolling buys nothing for a memory-bound loop.
template <class Op>
HWY_INLINE void RunBothContiguous(const float* a, const float* b, float* y, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const Op op;
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto y0 = op(hn::LoadU(d, a + i), hn::LoadU(d, b + i));
    const auto y1 = op(hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N));
    hn::StoreU(y0, d, y + i);
    hn::StoreU(y1, d, y + i + N);
  }
  for (; i + N <= n; i += N) hn::StoreU(op(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, y + i);
  for (; i < n; ++i) y[i] = op(a[i], b[i]);
}

template <class Op>
HWY_INLINE void RunAScalar(float a, const float* b, float* y, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const Op op;
  const auto va = hn::Set(d, a);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(op(va, hn::LoadU(d, b + i)), d, y + i);
  for (; i < n; ++i) y[i] = op(a, b[i]);
}

template <class Op>
HWY_INLINE void RunBScalar(const float* a, float b, float* y, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const Op op;
  const auto vb = hn::Set(d, b);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(op(hn::LoadU(d, a + i), vb), d, y + i);
  for (; i < n; ++i) y[i] = op(a[i], b);
}

template <class Op>
void RunItems(const BinaryLayout& p, const float* pa, const float* pb, float* py, int64_t begin, int64_t end) {
  const int64_t rank = static_cast<int64_t>(p.dims.size());
  int64_t row = begin / p.chunks_per_row;
  int64_t chunk = begin % p.chunks_per_row;
  // Odometer position of `row`, and the matching input offsets. Merged dims never outnumber the
  // shape's, so a fixed array holds them and a run allocates nothing.
  std::array<int64_t, kMaxBinaryDims> index{};
  int64_t a_off = 0, b_off = 0;
  for (int64_t k = rank - 1, rest = row; k >= 0; --k) {
    index[k] = rest % p.dims[k];
    rest /= p.dims[k];
    a_off += index[k] * p.a_strides[k];
    b_off += index[k] * p.b_strides[k];
  }
  for (int64_t item = begin; item < end; ++item) {
    const int64_t c0 = chunk * p.chunk;
    const int64_t n = std::min(p.chunk, p.inner - c0);
    const float* a = pa + a_off + c0 * p.a_inner;
    const float* b = pb + b_off + c0 * p.b_inner;
    float* y = py + row * p.inner + c0;
    if (p.a_inner == p.b_inner || n == 1) {
      RunBothContiguous<Op>(a, b, y, n);  // a_inner == b_inner == 0 only happens when inner == 1
    } else if (p.a_inner == 0) {
      RunAScalar<Op>(*a, b, y, n);
    } else {
      RunBScalar<Op>(a, *b, y, n);
    }
    if (++chunk == p.chunks_per_row) {
      chunk = 0;
      ++row;
      for (int64_t k = rank - 1; k >= 0; --k) {
        a_off += p.a_strides[k];
        b_off += p.b_strides[k];
        if (++index[k] < p.dims[k]) break;
        a_off -= p.a_strides[k] * p.dims[k];
        b_off -= p.b_strides[k] * p.dims[k];
        index[k] = 0;
      }
    }
  }
}

void BinaryItemsF32(BinaryOp op, const BinaryLayout& p, const float* a, const float* b, float* y, int64_t begin,
                    int64_t end) {
  switch (op) {
    case BinaryOp::kAdd: return RunItems<AddOp>(p, a, b, y, begin, end);
    case BinaryOp::kSub: return RunItems<SubOp>(p, a, b, y, begin, end);
    case BinaryOp::kMul: return RunItems<MulOp>(p, a, b, y, begin, end);
    case BinaryOp::kDiv: return RunItems<DivOp>(p, a, b, y, begin, end);
  }
}

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(BinaryItemsF32);

namespace {

// ~64 KiB of output per work item: enough to amortize a task, small enough to split a 1M-element
// op over cores. A multiple of every vector length, so only a row's last chunk has a tail.
constexpr int64_t kItemElems = 16384;

// Right-aligns `shape` to `rank` dims and returns its element strides, 0 on broadcast dims.
std::vector<int64_t> BroadcastStrides(const std::vector<int64_t>& shape, const std::vector<int64_t>& y_shape) {
  const std::size_t rank = y_shape.size();
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (std::size_t k = shape.size(); k-- > 0;) {
    const std::size_t i = k + (rank - shape.size());
    strides[i] = shape[k] == 1 ? 0 : stride;
    stride *= shape[k];
  }
  return strides;
}

}  // namespace

BinaryLayout MakeBinaryLayout(const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape,
                              const std::vector<int64_t>& y_shape) {
  BinaryLayout p;
  for (int64_t d : y_shape) p.elements *= d;
  const std::vector<int64_t> sa = BroadcastStrides(a_shape, y_shape);
  const std::vector<int64_t> sb = BroadcastStrides(b_shape, y_shape);
  for (std::size_t i = 0; i < y_shape.size(); ++i) {
    if (y_shape[i] == 1) continue;  // contributes nothing to any offset
    // Merge into the previous dim when stepping it equals stepping this one dims[i] times, in
    // both inputs (true for two contiguous dims and for two broadcast dims alike).
    if (!p.dims.empty() && p.a_strides.back() == sa[i] * y_shape[i] && p.b_strides.back() == sb[i] * y_shape[i]) {
      p.dims.back() *= y_shape[i];
      p.a_strides.back() = sa[i];
      p.b_strides.back() = sb[i];
      continue;
    }
    p.dims.push_back(y_shape[i]);
    p.a_strides.push_back(sa[i]);
    p.b_strides.push_back(sb[i]);
  }
  if (!p.dims.empty()) {  // the innermost kept dim becomes the run; its strides are 0 or 1
    p.inner = p.dims.back();
    p.a_inner = p.a_strides.back();
    p.b_inner = p.b_strides.back();
    p.dims.pop_back();
    p.a_strides.pop_back();
    p.b_strides.pop_back();
  }
  p.rows = 1;
  for (int64_t d : p.dims) p.rows *= d;
  p.chunk = std::max<int64_t>(1, std::min(p.inner, kItemElems));
  p.chunks_per_row = (p.inner + p.chunk - 1) / p.chunk;
  return p;
}

void BinaryF32(BinaryOp op, const BinaryLayout& layout, const float* a, const float* b, float* y) {
  if (layout.elements == 0) return;
  const auto run = HWY_DYNAMIC_DISPATCH(BinaryItemsF32);
  const int64_t items = layout.rows * layout.chunks_per_row;
  const int64_t grain = std::max<int64_t>(1, kItemElems / layout.chunk);  // short rows: many per task
  runtime::ParallelFor(items, grain, [&](int64_t begin, int64_t end) { run(op, layout, a, b, y, begin, end); });
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
