// Slice's strided copy. When the innermost kept dim has step 1 each row is one memcpy; otherwise
// elements are moved one by one (a slice with a step is usually small, or a reversal).
#include "runtime/kernels/slice.h"

#include <algorithm>
#include <cstring>

#include "runtime/parallel.h"

namespace axon::kernels {

StridedLayout MakeStridedLayout(int rank, const int64_t* x_shape, const int64_t* y_shape, const int64_t* starts,
                                const int64_t* steps, std::size_t elem_size) {
  StridedLayout p;
  p.esize = elem_size;
  int64_t x_stride = 1;
  std::array<int64_t, kMaxSliceDims> x_strides{};
  for (int d = rank - 1; d >= 0; --d) {
    x_strides[d] = x_stride;
    x_stride *= x_shape[d];
  }
  for (int d = 0; d < rank; ++d) {
    p.elements *= y_shape[d];
    if (y_shape[d] == 0) continue;  // nothing is read; offsets no longer matter
    p.offset += starts[d] * x_strides[d];
    if (y_shape[d] == 1) continue;  // contributes only its start
    const int64_t s = steps[d] * x_strides[d];
    if (p.rank > 0 && p.strides[p.rank - 1] == s * y_shape[d]) {  // stepping the outer dim = a full inner sweep
      p.dims[p.rank - 1] *= y_shape[d];
      p.strides[p.rank - 1] = s;
    } else {
      p.dims[p.rank] = y_shape[d];
      p.strides[p.rank] = s;
      ++p.rank;
    }
  }
  if (p.rank > 0) {
    --p.rank;
    p.inner = p.dims[p.rank];
    p.inner_stride = p.strides[p.rank];
  }
  return p;
}

namespace {

// Moves each dense row of y from (or, kScatter, to) its strided place in x.
template <std::size_t kSize, bool kScatter>
void MoveRows(const StridedLayout& p, char* x, char* y) {
  const int64_t es = kSize ? static_cast<int64_t>(kSize) : static_cast<int64_t>(p.esize);
  int64_t rows = 1;
  for (int d = 0; d < p.rank; ++d) rows *= p.dims[d];
  runtime::ParallelFor(rows, std::max<int64_t>(1, 32768 / p.inner), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t src = p.offset;
      for (int64_t d = p.rank - 1, rest = r; d >= 0; --d) {
        src += (rest % p.dims[d]) * p.strides[d];
        rest /= p.dims[d];
      }
      char* dense = y + r * p.inner * es;
      auto move = [&](char* strided, char* row, int64_t bytes) {
        if constexpr (kScatter) std::memcpy(strided, row, static_cast<std::size_t>(bytes));
        else std::memcpy(row, strided, static_cast<std::size_t>(bytes));
      };
      if (p.inner_stride == 1) {
        move(x + src * es, dense, p.inner * es);
      } else {
        for (int64_t i = 0; i < p.inner; ++i) move(x + (src + i * p.inner_stride) * es, dense + i * es, es);
      }
    }
  });
}

template <bool kScatter>
void Move(const StridedLayout& p, char* x, char* y) {
  if (p.elements == 0) return;
  switch (p.esize) {  // fixed sizes: each element copy is one move
    case 1: return MoveRows<1, kScatter>(p, x, y);
    case 4: return MoveRows<4, kScatter>(p, x, y);
    case 8: return MoveRows<8, kScatter>(p, x, y);
    default: return MoveRows<0, kScatter>(p, x, y);
  }
}

}  // namespace

// The const_casts only give both directions one signature: neither writes its const argument.
void StridedCopy(const StridedLayout& p, const void* x, void* y) {
  Move<false>(p, const_cast<char*>(static_cast<const char*>(x)), static_cast<char*>(y));
}

void StridedScatter(const StridedLayout& p, const void* y, void* x) {
  Move<true>(p, static_cast<char*>(x), const_cast<char*>(static_cast<const char*>(y)));
}

}  // namespace axon::kernels
