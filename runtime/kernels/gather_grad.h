// The backward pass of Gather for f32 data: dY's rows added back into the rows of dData they
// were gathered from (a row picked twice gets both), Highway-dispatched.
#pragma once

#include <cstdint>

#include "runtime/kernels/gather.h"

namespace axon::kernels {

// layout as Gather's (inner_bytes of f32 rows); dx is [outer, axis_dim, inner], dy is
// [outer, count, inner]. dx is zeroed first, then dx[o, indices[j], :] += dy[o, j, :] in order of
// j, so the result does not depend on the thread count. Every index must be in range
// (FindIndexOutOfRange returned -1); dx must not overlap dy.
template <class I>
void GatherGradF32(const GatherLayout& layout, const float* dy, const I* indices, float* dx);

}  // namespace axon::kernels
