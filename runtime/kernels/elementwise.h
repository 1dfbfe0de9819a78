// Binary elementwise arithmetic on f32 with numpy broadcasting, Highway-dispatched.
#pragma once

#include <cstdint>
#include <vector>

namespace axon::kernels {

enum class BinaryOp { kAdd, kSub, kMul, kDiv };

// The numpy broadcast of two shapes (right-aligned; each dim pair equal or one of them 1).
// Throws axon::Error(kInvalidArgument) naming both shapes when they do not broadcast.
std::vector<int64_t> BroadcastShapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

// y = a op b elementwise, a and b broadcast to y_shape, which must equal
// BroadcastShapes(a_shape, b_shape) (axon::Error otherwise). y may be the same buffer as a (or
// b) when that input already has y's shape; no other overlap is allowed. Every element is one
// correctly rounded IEEE operation, so results are identical on every target and for any thread
// count.
void BinaryF32(BinaryOp op, const float* a, const std::vector<int64_t>& a_shape, const float* b,
               const std::vector<int64_t>& b_shape, float* y, const std::vector<int64_t>& y_shape);

}  // namespace axon::kernels
