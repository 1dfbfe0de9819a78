// The axes rule of the Reduce* ops, shared by their schema (which reports a bad axes list) and
// their adapter (which turns a checked list into the set of reduced dims, possibly during a run:
// it allocates nothing on success).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace axon::graph {

// The reduced dims as a bit mask (bit i: dim i) for `axes` over a shape of `rank` <= 64 dims:
// each axis in [-rank, rank - 1] (graph::NormalizeAxis), negative ones counted from the back, none
// named twice. Empty axes reduce every dim, or none when noop_with_empty_axes (ReduceSum's
// attribute). nullopt, with *error saying why, for a bad list.
std::optional<uint64_t> ReducedAxesMask(std::span<const int64_t> axes, int64_t rank, bool noop_with_empty_axes,
                                        std::string* error);

}  // namespace axon::graph
