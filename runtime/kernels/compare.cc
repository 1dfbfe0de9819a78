// Plain loops over the broadcast runs: each run has operand strides of 0 or 1, and the four
// stride cases are separate loops so that the compiler vectorizes the contiguous ones. These ops
// feed masks and shape arithmetic, where memory traffic, not arithmetic, is the cost.
#include "runtime/kernels/compare.h"

#include <cstring>

#include "runtime/parallel.h"

namespace axon::kernels {
namespace {

template <class T, class Op>
void CompareRuns(const BroadcastLayout& p, const T* a, const T* b, uint8_t* y, Op op) {
  ParallelBroadcastRuns(p, [&](const std::array<int64_t, kMaxBroadcastOperands>& at, int64_t y_off, int64_t n) {
    const T* pa = a + at[0];
    const T* pb = b + at[1];
    uint8_t* py = y + y_off;
    if (p.inner_stride[0] && p.inner_stride[1]) {
      for (int64_t i = 0; i < n; ++i) py[i] = op(pa[i], pb[i]);
    } else if (p.inner_stride[0]) {
      const T vb = *pb;
      for (int64_t i = 0; i < n; ++i) py[i] = op(pa[i], vb);
    } else if (p.inner_stride[1]) {
      const T va = *pa;
      for (int64_t i = 0; i < n; ++i) py[i] = op(va, pb[i]);
    } else {
      std::memset(py, op(*pa, *pb), static_cast<std::size_t>(n));
    }
  });
}

// Fixed-size elements: one load and store each.
template <class E>
void SelectRuns(const BroadcastLayout& p, const uint8_t* cond, const E* x, const E* y, E* out) {
  ParallelBroadcastRuns(p, [&](const std::array<int64_t, kMaxBroadcastOperands>& at, int64_t o_off, int64_t n) {
    const uint8_t* c = cond + at[0];
    const E* px = x + at[1];
    const E* py = y + at[2];
    E* po = out + o_off;
    const int64_t sc = p.inner_stride[0], sx = p.inner_stride[1], sy = p.inner_stride[2];
    for (int64_t i = 0; i < n; ++i) po[i] = c[i * sc] ? px[i * sx] : py[i * sy];
  });
}

void SelectBytes(const BroadcastLayout& p, std::size_t es, const uint8_t* cond, const char* x, const char* y, char* out) {
  ParallelBroadcastRuns(p, [&](const std::array<int64_t, kMaxBroadcastOperands>& at, int64_t o_off, int64_t n) {
    const auto e = static_cast<int64_t>(es);
    for (int64_t i = 0; i < n; ++i) {
      const char* from = cond[at[0] + i * p.inner_stride[0]] ? x + (at[1] + i * p.inner_stride[1]) * e
                                                             : y + (at[2] + i * p.inner_stride[2]) * e;
      std::memcpy(out + (o_off + i) * e, from, es);
    }
  });
}

}  // namespace

template <class T>
void Compare(CompareOp op, const BroadcastLayout& layout, const T* a, const T* b, uint8_t* y) {
  switch (op) {
    case CompareOp::kEqual: return CompareRuns(layout, a, b, y, [](T u, T v) -> uint8_t { return u == v; });
    case CompareOp::kLess: return CompareRuns(layout, a, b, y, [](T u, T v) -> uint8_t { return u < v; });
    case CompareOp::kGreater: return CompareRuns(layout, a, b, y, [](T u, T v) -> uint8_t { return u > v; });
  }
}
template void Compare(CompareOp, const BroadcastLayout&, const float*, const float*, uint8_t*);
template void Compare(CompareOp, const BroadcastLayout&, const int64_t*, const int64_t*, uint8_t*);
template void Compare(CompareOp, const BroadcastLayout&, const int32_t*, const int32_t*, uint8_t*);
template void Compare(CompareOp, const BroadcastLayout&, const int8_t*, const int8_t*, uint8_t*);
template void Compare(CompareOp, const BroadcastLayout&, const uint8_t*, const uint8_t*, uint8_t*);

void LogicalNot(const uint8_t* x, uint8_t* y, int64_t n) {
  runtime::ParallelFor(n, 65536, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = x[i] == 0;
  });
}

void Select(const BroadcastLayout& layout, std::size_t elem_size, const uint8_t* cond, const void* x, const void* y,
            void* out) {
  switch (elem_size) {
    case 1:
      return SelectRuns(layout, cond, static_cast<const uint8_t*>(x), static_cast<const uint8_t*>(y), static_cast<uint8_t*>(out));
    case 4:
      return SelectRuns(layout, cond, static_cast<const uint32_t*>(x), static_cast<const uint32_t*>(y), static_cast<uint32_t*>(out));
    case 8:
      return SelectRuns(layout, cond, static_cast<const uint64_t*>(x), static_cast<const uint64_t*>(y), static_cast<uint64_t*>(out));
    default:
      return SelectBytes(layout, elem_size, cond, static_cast<const char*>(x), static_cast<const char*>(y), static_cast<char*>(out));
  }
}

}  // namespace axon::kernels
