// Pad: any dtype, any rank; modes constant, reflect and edge; negative pads crop (a dim is
// cropped first, then padded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace axon::kernels {

enum class PadMode { kConstant, kReflect, kEdge };

struct PadLayout {
  std::vector<int64_t> in_shape, out_shape;  // out = in + begin + end per dim (the schema checked)
  PadMode mode = PadMode::kConstant;
  std::size_t elem_size = 4;
};

// Scratch for the per-dim index tables: one int64 per output index of every dim.
std::size_t PadWorkspaceBytes(const PadLayout& layout);

// y = pad(x). pads: 2·rank values, begins then ends (read on every run: they may be a run-time
// input). constant: one element of the dtype, or null for zero. workspace: PadWorkspaceBytes,
// or null to allocate. Outer rows run on threads; each output element is a copy, so results are
// the same on any thread count.
void PadCopy(const PadLayout& layout, const void* x, const int64_t* pads, const void* constant, void* y,
             int64_t* workspace = nullptr);

}  // namespace axon::kernels
