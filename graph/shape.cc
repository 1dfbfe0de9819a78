#include "graph/shape.h"

#include <algorithm>

namespace axon::graph {

Shape Shape::FromValues(const std::vector<int64_t>& values) {
  std::vector<Dim> dims(values.begin(), values.end());
  return Shape(std::move(dims));
}

bool Shape::fully_known() const {
  if (!has_rank_) return false;
  for (const Dim& d : dims_)
    if (!d.known()) return false;
  return true;
}

std::optional<std::vector<int64_t>> Shape::values() const {
  if (!fully_known()) return std::nullopt;
  std::vector<int64_t> v;
  v.reserve(dims_.size());
  for (const Dim& d : dims_) v.push_back(d.value());
  return v;
}

std::string Shape::ToString() const {
  if (!has_rank_) return "[?...]";
  std::string s = "[";
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ",";
    s += dims_[i].ToString();
  }
  return s + "]";
}

DimProduct MultiplyDims(std::span<const Dim> dims) {
  return MultiplyDimsBy(dims, [](const Dim& d) { return d.value(); });
}

std::optional<int64_t> NormalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -std::max<int64_t>(rank, 1) || axis >= std::max<int64_t>(rank, 1)) return std::nullopt;
  return axis < 0 ? std::max<int64_t>(axis + rank, 0) : axis;
}

}  // namespace axon::graph
