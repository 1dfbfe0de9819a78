// Numpy broadcasting straight from its definition, for kernel tests: the element of an operand
// that y's element `flat` reads.
#pragma once

#include <cstdint>
#include <vector>

namespace axon::test {

// Offset in an operand of shape `xs` (right-aligned against y's shape `ys`, size-1 dims
// broadcast) of the element that y's flat index reads.
inline int64_t BroadcastSource(const std::vector<int64_t>& xs, const std::vector<int64_t>& ys, int64_t flat) {
  std::vector<int64_t> index(ys.size());
  for (std::size_t k = ys.size(); k-- > 0;) {
    index[k] = flat % ys[k];
    flat /= ys[k];
  }
  int64_t off = 0;
  for (std::size_t k = 0; k < xs.size(); ++k) off = off * xs[k] + (xs[k] == 1 ? 0 : index[k + ys.size() - xs.size()]);
  return off;
}

// numpy's broadcast of two shapes (trusted to be compatible).
inline std::vector<int64_t> BroadcastOf(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> y(rank);
  for (std::size_t k = 0; k < rank; ++k) {
    const int64_t da = k + a.size() >= rank ? a[k + a.size() - rank] : 1;
    const int64_t db = k + b.size() >= rank ? b[k + b.size() - rank] : 1;
    y[k] = da == 1 ? db : da;
  }
  return y;
}

}  // namespace axon::test
