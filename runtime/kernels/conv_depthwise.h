// Depthwise convolution over whole tensors (one filter per channel: Conv with group == C == M),
// with its epilogue fused: y = act(conv(x, w) + bias + residual), applied to each output vector
// before it is stored. The per-plane kernels and their scratch are declared in conv.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/kernels/conv.h"

namespace axon::kernels {

// One depthwise call's operands; plane t of x / y / residual is channel t % channels.
struct DepthwiseArgs {
  WindowGeometry geometry;
  int64_t channels = 0;
  const float* x = nullptr;
  const float* w = nullptr;         // channels × kernel volume
  const float* bias = nullptr;      // channels values, or null
  float* y = nullptr;
  const float* residual = nullptr;  // y's shape, or null; must not overlap y
  Activation activation = Activation::kNone;
};

// ConvF32 for a layout on the depthwise path (layout.path == ConvPath::kDepthwise), with the same
// workspace contract, applying layout.activation (every Activation, kRelu6 included) in the
// kernel's epilogue. Bit-identical for any thread count: a plane's results depend on its shape alone.
void DepthwiseConvF32(const ConvLayout& layout, const float* x, const float* w, const float* bias, float* y,
                      float* workspace = nullptr, std::size_t workspace_floats = 0, int workspace_threads = 0,
                      const float* residual = nullptr);

}  // namespace axon::kernels
