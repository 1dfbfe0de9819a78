// The sliding-window geometry that Conv, ConvTranspose, MaxPool and AveragePool share (ONNX
// opset-17 attributes): kernel, strides, dilations, pads and auto_pad, read and checked once, and
// the one rule for the output size and the pads auto_pad resolves to. Shape inference and the
// adapters both call it, so a kernel is bound to exactly the geometry the schema inferred.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "graph/op_schema.h"

namespace axon::graph {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

struct Window {
  std::vector<int64_t> kernel, strides, dilations;
  std::vector<int64_t> pads;  // ONNX order: every dim's begin, then every dim's end
  AutoPad auto_pad = AutoPad::kNotSet;
  bool ceil_mode = false;     // pools only
  int64_t rank() const { return static_cast<int64_t>(kernel.size()); }
};

// Called with a message on a bad attribute; does not return (throws).
using WindowFail = std::function<void(const std::string&)>;

// Reads the window attributes of a node with `kernel.size()` spatial dims. `kernel` is the
// kernel's spatial size: the kernel_shape attribute, or W's spatial dims; a kernel_shape
// attribute that is present must agree with it. Checks sizes and ranges: strides and dilations
// >= 1, pads >= 0, pads not given together with an auto_pad other than NOTSET (the spec forbids
// both; ONNX's shape inference and ONNX Runtime would disagree on which wins).
// ceil_mode is read when the op has that attribute.
Window ReadWindow(const AttrReader& attrs, std::vector<int64_t> kernel, const WindowFail& fail);

struct WindowDim {
  int64_t out = 0, pad_begin = 0, pad_end = 0;
};

// Output size of spatial dim `axis` for an input of size `in` (>= 0), and the pads it runs with:
//   NOTSET, VALID (pads 0): out = floor((in + pads - dilated_kernel) / stride) + 1, or with
//     ceil_mode the ceiling, less one if that last window would start past the input and the
//     begin pad (as ONNX Runtime and PyTorch do, so exported models agree);
//   SAME_UPPER, SAME_LOWER: out = ceil(in / stride), padded by what that needs, the odd one at
//     the end (UPPER) or the beginning (LOWER).
// Fails when no window fits in the padded input, except that with ceil_mode the first window may
// overhang it by less than a stride (out = 1 by the ceiling, as ONNX and PyTorch give; the kernels
// clip it to the input).
WindowDim ResolveWindowDim(const Window& w, int64_t axis, int64_t in, const WindowFail& fail);

// ConvTranspose's extra attributes: output_padding (>= 0, zeros by default) and output_shape
// (spatial dims, or N, C and the spatial dims as ONNX Runtime also accepts; empty when absent).
struct TransposedWindow {
  Window window;
  std::vector<int64_t> output_padding, output_shape;
};
TransposedWindow ReadTransposedWindow(const AttrReader& attrs, std::vector<int64_t> kernel, const WindowFail& fail);

// ConvTranspose's output size of spatial dim `axis` for an input of size `in`, and the pads it
// crops from the full result s·(in - 1) + output_padding + dilated_kernel:
//   output_shape given, or auto_pad SAME_* (output in·stride): pads total the difference (never
//     negative: a larger output gets only the bias at its end, as ONNX Runtime does), split with
//     the odd one at the end for SAME_UPPER and at the beginning otherwise (the ONNX spec);
//   else the pads attribute (VALID: none).
// Fails when the output would have a negative size.
WindowDim ResolveTransposedDim(const TransposedWindow& t, int64_t axis, int64_t in, const WindowFail& fail);

// The inferred spatial dims of the output (unknown where the input's is), through ctx.Fail.
std::vector<Dim> InferWindowDims(const InferContext& ctx, const Window& w, const std::vector<Dim>& in);

// The kernel's spatial size for a node whose input `weight` is [*, *, k1..kn] (Conv's and
// ConvTranspose's W): the kernel_shape attribute when given (checked against W), else W's
// spatial dims, -1 where unknown; empty when W's rank is unknown too.
std::vector<int64_t> KernelOf(const InferContext& ctx, std::size_t weight, int64_t spatial_rank);

// A WindowFail that fails through ctx, naming the node and its inputs.
WindowFail FailThrough(const InferContext& ctx);

}  // namespace axon::graph
