// Shapes with symbolic dims: a dim is a known size, a named unknown ("batch"), or anonymous.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "axon/tensor.h"

namespace axon::graph {

// Most dims a value may have (numpy's limit). Shapes come from files and from shape tensors, so a
// bound keeps a hostile model from declaring millions of dims.
inline constexpr int64_t kMaxRank = 64;

class Dim {
 public:
  Dim() = default;                                      // anonymous unknown
  Dim(int64_t value) : value_(value) {}                 // NOLINT: dims read naturally as numbers
  static Dim Symbol(std::string name) { Dim d; d.symbol_ = std::move(name); return d; }

  bool known() const { return value_ >= 0; }
  int64_t value() const { return value_; }              // -1 when unknown
  const std::string& symbol() const { return symbol_; } // empty when known or anonymous
  std::string ToString() const { return known() ? std::to_string(value_) : symbol_.empty() ? "?" : symbol_; }
  bool operator==(const Dim& o) const { return value_ == o.value_ && symbol_ == o.symbol_; }

 private:
  int64_t value_ = -1;
  std::string symbol_;
};

// A shape whose rank may itself be unknown (has_rank() false).
class Shape {
 public:
  Shape() = default;
  Shape(std::vector<Dim> dims) : dims_(std::move(dims)), has_rank_(true) {}  // NOLINT
  Shape(std::initializer_list<Dim> dims) : dims_(dims), has_rank_(true) {}
  static Shape FromValues(const std::vector<int64_t>& values);
  static Shape UnknownRank() { return Shape(); }

  bool has_rank() const { return has_rank_; }
  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  const std::vector<Dim>& dims() const { return dims_; }
  const Dim& operator[](std::size_t i) const { return dims_[i]; }
  bool fully_known() const;
  std::optional<std::vector<int64_t>> values() const;   // when fully known
  std::string ToString() const;                          // "[batch,784]"
  bool operator==(const Shape& o) const { return has_rank_ == o.has_rank_ && dims_ == o.dims_; }

 private:
  std::vector<Dim> dims_;
  bool has_rank_ = false;
};

// The one rule for axis attributes: axis in [-rank, rank - 1] (a rank-0 shape accepts 0 and -1),
// negative counted from the back. nullopt when out of range.
std::optional<int64_t> NormalizeAxis(int64_t axis, int64_t rank);

// The product of some dims, computed without overflow under axon::ElementCount's rule.
struct DimProduct {
  std::optional<int64_t> value;  // nullopt when a dim is unknown and none is 0 (or too_large)
  bool too_large = false;        // the known nonzero dims alone multiply past kMaxElementCount
  Dim ToDim() const { return value ? Dim(*value) : Dim(); }
};
DimProduct MultiplyDims(std::span<const Dim> dims);

// The one element-count rule, shared by MultiplyDims and axon::ElementCount: the known nonzero
// dims are multiplied first and bounded on their own (a 0 elsewhere makes the product 0, but a
// shape like [0, 2^62, 2^62] must still be refused, see kMaxElementCount). value_of(d) is the
// dim's size, or -1 when unknown.
template <class Dims, class ValueOf>
DimProduct MultiplyDimsBy(const Dims& dims, ValueOf value_of) {
  int64_t nonzero = 1;
  bool zero = false, unknown = false;
  for (const auto& d : dims) {
    const int64_t v = value_of(d);
    if (v < 0) {
      unknown = true;
    } else if (v == 0) {
      zero = true;
    } else if (nonzero > kMaxElementCount / v) {
      return DimProduct{std::nullopt, true};
    } else {
      nonzero *= v;
    }
  }
  if (zero) return DimProduct{0, false};
  if (unknown) return DimProduct{std::nullopt, false};
  return DimProduct{nonzero, false};
}

}  // namespace axon::graph
