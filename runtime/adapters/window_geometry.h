// The window of a Conv, ConvTranspose or pooling node as the kernels' 3-D WindowGeometry: the
// attributes read and auto_pad resolved by graph/ops/window.h (the rule shape inference used),
// 1-D and 2-D windows padded to 3-D with leading unit dims.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/ops/window.h"
#include "runtime/adapter.h"
#include "runtime/kernels/im2col.h"

namespace axon::runtime {

// Throws axon::Error (kUnsupported) for more than 3 spatial dims. `image` is the [N, C, spatial]
// shape the window slides over and `grid` the [N, C, spatial] shape of window positions;
// `kernel` the kernel's spatial size. pad comes from ResolveWindowDim over `image`; pad_end, when
// given, gets the end padding the same way.
inline kernels::WindowGeometry ResolvedGeometry(const BindContext& b, const std::vector<int64_t>& image,
                                                const std::vector<int64_t>& grid, const std::vector<int64_t>& kernel,
                                                std::array<int64_t, 3>* pad_end = nullptr) {
  const auto spatial = static_cast<int64_t>(image.size()) - 2;
  if (spatial < 1 || spatial > 3)
    throw Error(ErrorCode::kUnsupported, b.node().Describe() + ": " + std::to_string(spatial) +
                                             " spatial dims are not supported (1 to 3 are)");
  const graph::WindowFail fail = [&b](const std::string& message) {
    throw Error(ErrorCode::kInvalidModel, b.node().Describe() + ": " + message);
  };
  const graph::Window w = graph::ReadWindow(b.attrs(), kernel, fail);
  kernels::WindowGeometry g;
  if (pad_end) *pad_end = {0, 0, 0};
  for (int64_t i = 0; i < spatial; ++i) {
    const auto at = static_cast<std::size_t>(3 - spatial + i), src = static_cast<std::size_t>(i);
    g.in[at] = image[src + 2];
    g.out[at] = grid[src + 2];
    g.kernel[at] = w.kernel[src];
    g.stride[at] = w.strides[src];
    g.dilation[at] = w.dilations[src];
    const graph::WindowDim resolved = graph::ResolveWindowDim(w, i, image[src + 2], fail);
    g.pad[at] = resolved.pad_begin;
    if (pad_end) (*pad_end)[at] = resolved.pad_end;
  }
  return g;
}

}  // namespace axon::runtime
