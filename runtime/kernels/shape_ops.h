// Data-movement ops: no arithmetic, any dtype. Identity, Reshape and Flatten are registered as
// kernels that alias the input's storage; Transpose copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace axon::kernels {

// Shape of transpose(x, perm): dim i of the result is dim perm[i] of x. Throws axon::Error
// unless perm is a permutation of 0..rank-1.
std::vector<int64_t> TransposeShape(const std::vector<int64_t>& x_shape, const std::vector<int64_t>& perm);

// y = transpose(x, perm) for elements of elem_size bytes; y is dense with TransposeShape's
// shape and must not overlap x.
void TransposeCopy(const void* x, const std::vector<int64_t>& x_shape, const std::vector<int64_t>& perm, void* y,
                   std::size_t elem_size);

}  // namespace axon::kernels
