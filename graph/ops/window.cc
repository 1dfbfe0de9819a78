#include "graph/ops/window.h"

namespace axon::graph {
namespace {

std::string List(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

// An ints attribute of one value per spatial dim (or two, for pads), each >= min; `fallback`
// when absent.
std::vector<int64_t> ReadInts(const AttrReader& attrs, const std::string& name, std::size_t count, int64_t min,
                              int64_t fallback, const WindowFail& fail) {
  if (!attrs.Has(name)) return std::vector<int64_t>(count, fallback);
  const std::vector<int64_t>& v = attrs.Ints(name);
  if (v.size() != count)
    fail(name + " " + List(v) + " must have " + std::to_string(count) + " values" +
         (name == "pads" ? " (begin and end of each spatial dim)" : " (one per spatial dim)"));
  for (int64_t x : v)
    if (x < min) fail(name + " " + List(v) + " must all be >= " + std::to_string(min));
  return v;
}

}  // namespace

Window ReadWindow(const AttrReader& attrs, std::vector<int64_t> kernel, const WindowFail& fail) {
  Window w;
  const std::size_t n = kernel.size();
  if (n == 0) fail("needs at least one spatial dim");
  for (int64_t k : kernel)
    if (k < 1) fail("kernel " + List(kernel) + " must have sizes >= 1");
  w.kernel = std::move(kernel);
  w.strides = ReadInts(attrs, "strides", n, 1, 1, fail);
  w.dilations = ReadInts(attrs, "dilations", n, 1, 1, fail);
  w.pads = ReadInts(attrs, "pads", 2 * n, 0, 0, fail);
  const std::string auto_pad = attrs.Has("auto_pad") ? attrs.String("auto_pad") : "NOTSET";
  if (auto_pad == "NOTSET" || auto_pad.empty()) {  // ONNX Runtime reads "" as NOTSET too
    w.auto_pad = AutoPad::kNotSet;
  } else if (auto_pad == "SAME_UPPER") {
    w.auto_pad = AutoPad::kSameUpper;
  } else if (auto_pad == "SAME_LOWER") {
    w.auto_pad = AutoPad::kSameLower;
  } else if (auto_pad == "VALID") {
    w.auto_pad = AutoPad::kValid;
  } else {
    fail("auto_pad '" + auto_pad + "' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  }
  if (w.auto_pad != AutoPad::kNotSet && attrs.Has("pads"))
    fail("pads cannot be given together with auto_pad " + auto_pad);
  if (attrs.Has("ceil_mode")) {
    const int64_t ceil_mode = attrs.Int("ceil_mode");
    if (ceil_mode != 0 && ceil_mode != 1) fail("ceil_mode must be 0 or 1, got " + std::to_string(ceil_mode));
    w.ceil_mode = ceil_mode == 1;
  }
  return w;
}

WindowDim ResolveWindowDim(const Window& w, int64_t axis, int64_t in, const WindowFail& fail) {
  const auto i = static_cast<std::size_t>(axis);
  const auto n = static_cast<std::size_t>(w.rank());
  // Attributes come from files: 128-bit arithmetic cannot overflow on any of them.
  using Wide = __int128;
  const Wide stride = w.strides[i], dilated = Wide(w.dilations[i]) * (w.kernel[i] - 1) + 1;
  const std::string where = " in spatial dim " + std::to_string(axis);
  if (dilated > kMaxElementCount) fail("the dilated kernel is too large" + where);
  WindowDim r;
  if (w.auto_pad == AutoPad::kSameUpper || w.auto_pad == AutoPad::kSameLower) {
    const Wide out = (Wide(in) + stride - 1) / stride;
    Wide needed = (out - 1) * stride + dilated - in;
    if (needed < 0 || out == 0) needed = 0;
    const Wide half = needed / 2;
    r.out = static_cast<int64_t>(out);
    r.pad_begin = static_cast<int64_t>(w.auto_pad == AutoPad::kSameUpper ? half : needed - half);
    r.pad_end = static_cast<int64_t>(needed) - r.pad_begin;
    return r;
  }
  const bool valid = w.auto_pad == AutoPad::kValid;
  const Wide begin = valid ? 0 : w.pads[i], end = valid ? 0 : w.pads[n + i];
  const Wide span = Wide(in) + begin + end;
  // With ceil_mode the one window starting at the padded input's beginning may run past its end
  // by less than a stride: ONNX's ceil((span - dilated) / stride) + 1 is then 1 (PyTorch agrees),
  // the window clipped to the input.
  const bool clipped = w.ceil_mode && dilated - span < stride && Wide(in) + begin > 0;
  if (span < dilated && !clipped)
    fail("the dilated kernel (" + std::to_string(static_cast<int64_t>(dilated)) + ") is larger than the padded input (" +
         std::to_string(static_cast<int64_t>(span)) + ")" + where);
  Wide out = (span - dilated) / stride + 1;
  if (w.ceil_mode) {
    out = (span - dilated + stride - 1) / stride + 1;
    if ((out - 1) * stride >= Wide(in) + begin) --out;  // the last window would start in the end pad
  }
  if (out > kMaxElementCount) fail("the output would be too large" + where);
  r.out = static_cast<int64_t>(out);
  r.pad_begin = static_cast<int64_t>(begin);
  r.pad_end = static_cast<int64_t>(end);
  return r;
}

TransposedWindow ReadTransposedWindow(const AttrReader& attrs, std::vector<int64_t> kernel, const WindowFail& fail) {
  TransposedWindow t;
  const std::size_t n = kernel.size();
  t.window = ReadWindow(attrs, std::move(kernel), fail);
  t.output_padding = ReadInts(attrs, "output_padding", n, 0, 0, fail);
  if (attrs.Has("output_shape")) {
    const std::vector<int64_t>& shape = attrs.Ints("output_shape");
    if (shape.size() != n && shape.size() != n + 2)
      fail("output_shape " + List(shape) + " must have " + std::to_string(n) + " values (one per spatial dim)");
    t.output_shape.assign(shape.end() - static_cast<std::ptrdiff_t>(n), shape.end());
    for (int64_t d : t.output_shape)
      if (d < 0 || d > kMaxElementCount) fail("output_shape " + List(shape) + " has an invalid size");
  }
  return t;
}

WindowDim ResolveTransposedDim(const TransposedWindow& t, int64_t axis, int64_t in, const WindowFail& fail) {
  const Window& w = t.window;
  const auto i = static_cast<std::size_t>(axis);
  const auto n = static_cast<std::size_t>(w.rank());
  using Wide = __int128;
  const Wide dilated = Wide(w.dilations[i]) * (w.kernel[i] - 1) + 1;
  const std::string where = " in spatial dim " + std::to_string(axis);
  if (dilated > kMaxElementCount) fail("the dilated kernel is too large" + where);
  // The full result before any cropping: every input position's window, end to end.
  const Wide full = Wide(w.strides[i]) * (Wide(in) - 1) + t.output_padding[i] + dilated;
  WindowDim r;
  const bool same = w.auto_pad == AutoPad::kSameUpper || w.auto_pad == AutoPad::kSameLower;
  if (!t.output_shape.empty() || same) {
    const Wide out = !t.output_shape.empty() ? Wide(t.output_shape[i]) : Wide(in) * w.strides[i];
    if (out > kMaxElementCount) fail("the output would be too large" + where);
    const Wide total = full > out ? full - out : 0;
    const Wide small = total / 2;
    r.out = static_cast<int64_t>(out);
    r.pad_begin = static_cast<int64_t>(w.auto_pad == AutoPad::kSameUpper ? small : total - small);
    r.pad_end = static_cast<int64_t>(total) - r.pad_begin;
    return r;
  }
  const bool valid = w.auto_pad == AutoPad::kValid;
  const Wide begin = valid ? 0 : w.pads[i], end = valid ? 0 : w.pads[n + i];
  const Wide out = full - begin - end;
  if (out < 0)
    fail("pads " + std::to_string(static_cast<int64_t>(begin)) + ", " + std::to_string(static_cast<int64_t>(end)) +
         " crop more than the " + std::to_string(static_cast<int64_t>(full)) + " positions of the result" + where);
  if (out > kMaxElementCount) fail("the output would be too large" + where);
  r.out = static_cast<int64_t>(out);
  r.pad_begin = static_cast<int64_t>(begin);
  r.pad_end = static_cast<int64_t>(end);
  return r;
}

std::vector<Dim> InferWindowDims(const InferContext& ctx, const Window& w, const std::vector<Dim>& in) {
  std::vector<Dim> out;
  const WindowFail fail = FailThrough(ctx);
  for (std::size_t i = 0; i < in.size(); ++i)
    out.push_back(in[i].known() ? Dim(ResolveWindowDim(w, static_cast<int64_t>(i), in[i].value(), fail).out) : Dim());
  return out;
}

std::vector<int64_t> KernelOf(const InferContext& ctx, std::size_t weight, int64_t spatial_rank) {
  const Shape& w = ctx.InShape(weight);
  std::vector<int64_t> from_w;
  if (w.has_rank()) {
    ctx.Require(w.rank() == spatial_rank + 2,
                "W must have rank " + std::to_string(spatial_rank + 2) + " like X, got " + std::to_string(w.rank()));
    for (int64_t i = 2; i < w.rank(); ++i) from_w.push_back(w[i].known() ? w[i].value() : -1);
  }
  if (!ctx.attrs.Has("kernel_shape")) return from_w;  // empty or with -1s: not known yet
  const std::vector<int64_t>& attr = ctx.attrs.Ints("kernel_shape");
  ctx.Require(static_cast<int64_t>(attr.size()) == spatial_rank,
              "kernel_shape has " + std::to_string(attr.size()) + " values for " + std::to_string(spatial_rank) +
                  " spatial dims");
  for (std::size_t i = 0; i < from_w.size(); ++i)
    if (from_w[i] >= 0 && from_w[i] != attr[i])
      ctx.Fail("kernel_shape " + Shape::FromValues(attr).ToString() + " disagrees with W " + w.ToString());
  return attr;
}

WindowFail FailThrough(const InferContext& ctx) {
  return [&ctx](const std::string& message) { ctx.Fail(message); };
}

}  // namespace axon::graph
