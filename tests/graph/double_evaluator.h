// A small double-precision interpreter of forward graphs, independent of Axon's kernels and
// adapters: the reference that gradient tests take central finite differences on. Written
// straight from the ONNX/numpy definitions, for clarity rather than speed (tensors of a few
// dozen elements). Integer tensors (shapes, axes) are held as doubles too.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/op_schema.h"

namespace axon::test {

struct DTensor {
  std::vector<int64_t> shape;
  std::vector<double> v;
  int64_t size() const { return static_cast<int64_t>(v.size()); }
};

inline int64_t Count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

inline std::vector<int64_t> Strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

// Calls fn(index) for every multi-index of shape, row-major.
inline void ForEachIndex(const std::vector<int64_t>& shape, const std::function<void(const std::vector<int64_t>&)>& fn) {
  const int64_t n = Count(shape);
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    fn(idx);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

// Offset in `shape` (right-aligned, broadcast: size-1 dims read index 0) of an index of `out`.
inline int64_t BroadcastOffset(const std::vector<int64_t>& shape, const std::vector<int64_t>& out_index) {
  const auto st = Strides(shape);
  const std::size_t off = out_index.size() - shape.size();
  int64_t o = 0;
  for (std::size_t i = 0; i < shape.size(); ++i) o += (shape[i] == 1 ? 0 : out_index[off + i]) * st[i];
  return o;
}

inline std::vector<int64_t> BroadcastShape(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const std::size_t r = std::max(a.size(), b.size());
  std::vector<int64_t> out(r);
  for (std::size_t i = 0; i < r; ++i) {
    const int64_t da = i + a.size() >= r ? a[i + a.size() - r] : 1;
    const int64_t db = i + b.size() >= r ? b[i + b.size() - r] : 1;
    if (da != db && da != 1 && db != 1) throw std::runtime_error("reference: shapes do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

inline DTensor Binary(const DTensor& a, const DTensor& b, const std::function<double(double, double)>& f) {
  DTensor y{BroadcastShape(a.shape, b.shape), {}};
  ForEachIndex(y.shape, [&](const std::vector<int64_t>& i) {
    y.v.push_back(f(a.v[BroadcastOffset(a.shape, i)], b.v[BroadcastOffset(b.shape, i)]));
  });
  return y;
}

inline DTensor Unary(const DTensor& a, const std::function<double(double)>& f) {
  DTensor y{a.shape, {}};
  for (double x : a.v) y.v.push_back(f(x));
  return y;
}

inline int64_t Axis(int64_t axis, std::size_t rank) { return axis < 0 ? axis + static_cast<int64_t>(rank) : axis; }

inline DTensor Transpose(const DTensor& a, const std::vector<int64_t>& perm) {
  DTensor y;
  for (int64_t p : perm) y.shape.push_back(a.shape[p]);
  const auto st = Strides(a.shape);
  ForEachIndex(y.shape, [&](const std::vector<int64_t>& i) {
    int64_t o = 0;
    for (std::size_t k = 0; k < perm.size(); ++k) o += i[k] * st[perm[k]];
    y.v.push_back(a.v[o]);
  });
  return y;
}

// numpy matmul, 1-D operands promoted and the added dims dropped again.
inline DTensor MatMul(DTensor a, DTensor b) {
  const bool a1 = a.shape.size() == 1, b1 = b.shape.size() == 1;
  if (a1) a.shape.insert(a.shape.begin(), 1);
  if (b1) b.shape.push_back(1);
  const int64_t m = a.shape[a.shape.size() - 2], k = a.shape.back(), n = b.shape.back();
  const std::vector<int64_t> ab(a.shape.begin(), a.shape.end() - 2), bb(b.shape.begin(), b.shape.end() - 2);
  const std::vector<int64_t> batch = BroadcastShape(ab, bb);
  DTensor y;
  y.shape = batch;
  y.shape.push_back(m);
  y.shape.push_back(n);
  y.v.assign(static_cast<std::size_t>(Count(y.shape)), 0.0);
  int64_t out = 0;
  ForEachIndex(batch, [&](const std::vector<int64_t>& bi) {
    const int64_t ao = BroadcastOffset(ab, bi) * m * k, bo = BroadcastOffset(bb, bi) * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j, ++out) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) s += a.v[ao + i * k + p] * b.v[bo + p * n + j];
        y.v[out] = s;
      }
  });
  if (a1) y.shape.erase(y.shape.end() - 2);
  if (b1) y.shape.pop_back();
  return y;
}

inline DTensor Reduce(const DTensor& a, std::vector<int64_t> axes, bool keepdims, bool mean) {
  const std::size_t r = a.shape.size();
  if (axes.empty())
    for (std::size_t i = 0; i < r; ++i) axes.push_back(static_cast<int64_t>(i));
  std::vector<bool> red(r, false);
  for (int64_t ax : axes) red[Axis(ax, r)] = true;
  std::vector<int64_t> kept_shape(r);
  int64_t count = 1;
  for (std::size_t i = 0; i < r; ++i) {
    kept_shape[i] = red[i] ? 1 : a.shape[i];
    if (red[i]) count *= a.shape[i];
  }
  DTensor y{kept_shape, std::vector<double>(static_cast<std::size_t>(Count(kept_shape)), 0.0)};
  int64_t k = 0;
  ForEachIndex(a.shape, [&](const std::vector<int64_t>& i) { y.v[BroadcastOffset(kept_shape, i)] += a.v[k++]; });
  if (mean)
    for (double& v : y.v) v /= static_cast<double>(count);
  if (!keepdims) {
    y.shape.clear();
    for (std::size_t i = 0; i < r; ++i)
      if (!red[i]) y.shape.push_back(a.shape[i]);
  }
  return y;
}

inline DTensor Softmax(const DTensor& a, int64_t axis, bool log) {
  axis = Axis(axis, a.shape.size());
  int64_t outer = 1, inner = 1;
  const int64_t len = a.shape[axis];
  for (int64_t i = 0; i < axis; ++i) outer *= a.shape[i];
  for (std::size_t i = axis + 1; i < a.shape.size(); ++i) inner *= a.shape[i];
  DTensor y = a;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      auto at = [&](int64_t q) { return (o * len + q) * inner + j; };
      double mx = -INFINITY, s = 0;
      for (int64_t q = 0; q < len; ++q) mx = std::max(mx, a.v[at(q)]);
      for (int64_t q = 0; q < len; ++q) s += std::exp(a.v[at(q)] - mx);
      for (int64_t q = 0; q < len; ++q) y.v[at(q)] = log ? a.v[at(q)] - mx - std::log(s) : std::exp(a.v[at(q)] - mx) / s;
    }
  return y;
}

// Parts of `a` along axis: part p covers [begin[p], begin[p] + size[p]).
inline DTensor Take(const DTensor& a, int64_t axis, int64_t begin, int64_t size, int64_t step = 1) {
  DTensor y{a.shape, {}};
  y.shape[axis] = size;
  const auto st = Strides(a.shape);
  ForEachIndex(y.shape, [&](const std::vector<int64_t>& i) {
    int64_t o = 0;
    for (std::size_t k = 0; k < i.size(); ++k) o += (static_cast<int64_t>(k) == axis ? begin + i[k] * step : i[k]) * st[k];
    y.v.push_back(a.v[o]);
  });
  return y;
}

inline std::vector<int64_t> Ints(const DTensor& t) {
  std::vector<int64_t> v;
  for (double x : t.v) v.push_back(static_cast<int64_t>(x));
  return v;
}

inline DTensor FromTensor(const Tensor& t) {
  DTensor d{t.shape(), {}};
  for (int64_t i = 0; i < t.size(); ++i) {
    switch (t.dtype()) {
      case DType::kF32: d.v.push_back(t.data<float>()[i]); break;
      case DType::kI64: d.v.push_back(static_cast<double>(t.data<int64_t>()[i])); break;
      case DType::kI32: d.v.push_back(t.data<int32_t>()[i]); break;
      default: throw std::runtime_error("reference: unsupported dtype");
    }
  }
  return d;
}

// MaxPool / AveragePool with explicit pads (auto_pad NOTSET, ceil_mode 0), any number of
// spatial dims, straight from the definition: each output is the max or mean of its window's taps
// inside the image (the mean's divisor counts the padding too when count_include_pad).
inline DTensor Pool(const DTensor& x, const graph::AttrReader& attrs, bool max) {
  const std::vector<int64_t>& k = attrs.Ints("kernel_shape");
  const std::size_t n = k.size();
  auto ints = [&](const char* name, int64_t def, std::size_t count) {
    return attrs.Has(name) ? attrs.Ints(name) : std::vector<int64_t>(count, def);
  };
  const std::vector<int64_t> s = ints("strides", 1, n), pads = ints("pads", 0, 2 * n);
  const std::vector<int64_t> dil = max ? ints("dilations", 1, n) : std::vector<int64_t>(n, 1);
  const bool include_pad = !max && attrs.Int("count_include_pad") != 0;
  DTensor y{{x.shape[0], x.shape[1]}, {}};
  for (std::size_t i = 0; i < n; ++i)
    y.shape.push_back((x.shape[2 + i] + pads[i] + pads[n + i] - ((k[i] - 1) * dil[i] + 1)) / s[i] + 1);
  const auto xs = Strides(x.shape);
  ForEachIndex(y.shape, [&](const std::vector<int64_t>& o) {
    double best = -INFINITY, sum = 0;
    int64_t count = 0;
    ForEachIndex(k, [&](const std::vector<int64_t>& t) {
      int64_t off = o[0] * xs[0] + o[1] * xs[1];
      bool inside = true, in_padded = true;
      for (std::size_t i = 0; i < n; ++i) {
        const int64_t p = o[2 + i] * s[i] - pads[i] + t[i] * dil[i];
        inside = inside && p >= 0 && p < x.shape[2 + i];
        in_padded = in_padded && p >= -pads[i] && p < x.shape[2 + i] + pads[n + i];
        off += p * xs[2 + i];
      }
      if (include_pad ? in_padded : inside) ++count;
      if (!inside) return;
      best = std::max(best, x.v[off]);
      sum += x.v[off];
    });
    y.v.push_back(max ? best : sum / static_cast<double>(count));
  });
  return y;
}

// Conv with explicit pads (auto_pad NOTSET), any number of spatial dims and groups.
inline DTensor Conv(const DTensor& x, const DTensor& w, const DTensor* b, const graph::AttrReader& attrs) {
  const std::size_t n = x.shape.size() - 2;
  auto ints = [&](const char* name, int64_t def, std::size_t count) {
    return attrs.Has(name) ? attrs.Ints(name) : std::vector<int64_t>(count, def);
  };
  const std::vector<int64_t> s = ints("strides", 1, n), dil = ints("dilations", 1, n);
  std::vector<int64_t> pads = ints("pads", 0, 2 * n);
  const int64_t group = attrs.Int("group"), m = w.shape[0], cg = w.shape[1], mg = m / group;
  const std::vector<int64_t> k(w.shape.begin() + 2, w.shape.end());
  if (attrs.String("auto_pad") == "SAME_UPPER") {  // out = ceil(in / stride), the odd pad at the end
    for (std::size_t i = 0; i < n; ++i) {
      const int64_t in = x.shape[2 + i], out = (in + s[i] - 1) / s[i];
      const int64_t total = std::max<int64_t>(0, (out - 1) * s[i] + (k[i] - 1) * dil[i] + 1 - in);
      pads[i] = total / 2;
      pads[n + i] = total - total / 2;
    }
  }
  DTensor y{{x.shape[0], m}, {}};
  for (std::size_t i = 0; i < n; ++i)
    y.shape.push_back((x.shape[2 + i] + pads[i] + pads[n + i] - ((k[i] - 1) * dil[i] + 1)) / s[i] + 1);
  const auto xs = Strides(x.shape), ws = Strides(w.shape);
  ForEachIndex(y.shape, [&](const std::vector<int64_t>& o) {
    double sum = b ? b->v[o[1]] : 0.0;
    const int64_t g = o[1] / mg;
    for (int64_t c = 0; c < cg; ++c)
      ForEachIndex(k, [&](const std::vector<int64_t>& t) {
        int64_t xo = o[0] * xs[0] + (g * cg + c) * xs[1], wo = o[1] * ws[0] + c * ws[1];
        for (std::size_t i = 0; i < n; ++i) {
          const int64_t p = o[2 + i] * s[i] - pads[i] + t[i] * dil[i];
          if (p < 0 || p >= x.shape[2 + i]) return;
          xo += p * xs[2 + i];
          wo += t[i] * ws[2 + i];
        }
        sum += x.v[xo] * w.v[wo];
      });
    y.v.push_back(sum);
  });
  return y;
}

// ConvTranspose with explicit pads and output_padding (auto_pad NOTSET, no output_shape), groups.
inline DTensor ConvTranspose(const DTensor& x, const DTensor& w, const DTensor* b, const graph::AttrReader& attrs) {
  const std::size_t n = x.shape.size() - 2;
  auto ints = [&](const char* name, int64_t def, std::size_t count) {
    return attrs.Has(name) ? attrs.Ints(name) : std::vector<int64_t>(count, def);
  };
  const std::vector<int64_t> s = ints("strides", 1, n), dil = ints("dilations", 1, n), pads = ints("pads", 0, 2 * n),
                             op = ints("output_padding", 0, n);
  const int64_t group = attrs.Int("group"), cin = x.shape[1], cg = cin / group, mg = w.shape[1];
  const std::vector<int64_t> k(w.shape.begin() + 2, w.shape.end());
  DTensor y{{x.shape[0], mg * group}, {}};
  for (std::size_t i = 0; i < n; ++i)
    y.shape.push_back(s[i] * (x.shape[2 + i] - 1) + op[i] + (k[i] - 1) * dil[i] + 1 - pads[i] - pads[n + i]);
  y.v.assign(static_cast<std::size_t>(Count(y.shape)), 0.0);
  const auto xs = Strides(x.shape), ws = Strides(w.shape), ys = Strides(y.shape);
  ForEachIndex(x.shape, [&](const std::vector<int64_t>& xi) {
    const double xv = x.v[BroadcastOffset(x.shape, xi)];
    const int64_t g = xi[1] / cg;
    for (int64_t co = 0; co < mg; ++co)
      ForEachIndex(k, [&](const std::vector<int64_t>& t) {
        int64_t yo = xi[0] * ys[0] + (g * mg + co) * ys[1], wo = xi[1] * ws[0] + co * ws[1];
        for (std::size_t i = 0; i < n; ++i) {
          const int64_t p = xi[2 + i] * s[i] + t[i] * dil[i] - pads[i];
          if (p < 0 || p >= y.shape[2 + i]) return;
          yo += p * ys[2 + i];
          wo += t[i] * ws[2 + i];
        }
        y.v[yo] += xv * w.v[wo];
      });
  });
  if (b)
    for (int64_t i = 0; i < y.size(); ++i) y.v[i] += b->v[(i / ys[1]) % y.shape[1]];
  return y;
}

// Evaluates every node of a forward graph from the given values (graph inputs; initializers are
// read from the graph) and returns all values by name; nodes with an input not given are skipped.
inline std::map<std::string, DTensor> EvaluateDouble(const graph::Graph& g, std::map<std::string, DTensor> values) {
  for (const auto& [name, t] : g.initializers)
    if (!values.count(name)) values[name] = FromTensor(t);
  for (std::size_t index : graph::TopologicalOrder(g)) {
    const graph::Node& node = g.nodes[index];
    if (std::any_of(node.inputs.begin(), node.inputs.end(), [&](const std::string& v) { return !v.empty() && !values.count(v); }))
      continue;  // an input not fed (the loss's weights while y's shape is being found)
    const graph::AttrReader attrs(node, graph::SchemaFor(node));
    auto in = [&](std::size_t i) -> const DTensor& { return values.at(node.inputs.at(i)); };
    auto has = [&](std::size_t i) { return i < node.inputs.size() && !node.inputs[i].empty(); };
    const std::string& op = node.op_type;
    std::vector<DTensor> out(1);
    DTensor& y = out[0];
    if (op == "Add") y = Binary(in(0), in(1), [](double a, double b) { return a + b; });
    else if (op == "Sub") y = Binary(in(0), in(1), [](double a, double b) { return a - b; });
    else if (op == "Mul") y = Binary(in(0), in(1), [](double a, double b) { return a * b; });
    else if (op == "Div") y = Binary(in(0), in(1), [](double a, double b) { return a / b; });
    else if (op == "Pow") y = Binary(in(0), in(1), [](double a, double b) { return std::pow(a, b); });
    else if (op == "Neg") y = Unary(in(0), [](double a) { return -a; });
    else if (op == "Exp") y = Unary(in(0), [](double a) { return std::exp(a); });
    else if (op == "Log") y = Unary(in(0), [](double a) { return std::log(a); });
    else if (op == "Sqrt") y = Unary(in(0), [](double a) { return std::sqrt(a); });
    else if (op == "Erf") y = Unary(in(0), [](double a) { return std::erf(a); });
    else if (op == "Gelu" && attrs.String("approximate") == "tanh")
      y = Unary(in(0), [](double a) { return 0.5 * a * (1 + std::tanh(std::sqrt(2 / M_PI) * (a + 0.044715 * a * a * a))); });
    else if (op == "Gelu") y = Unary(in(0), [](double a) { return 0.5 * a * (1 + std::erf(a / std::sqrt(2.0))); });
    else if (op == "Relu") y = Unary(in(0), [](double a) { return a > 0 ? a : 0.0; });
    else if (op == "Sigmoid") y = Unary(in(0), [](double a) { return 1 / (1 + std::exp(-a)); });
    else if (op == "Tanh") y = Unary(in(0), [](double a) { return std::tanh(a); });
    else if (op == "LeakyRelu") {
      const double alpha = attrs.Float("alpha");
      y = Unary(in(0), [alpha](double a) { return a > 0 ? a : alpha * a; });
    } else if (op == "Identity" || op == "Cast") y = in(0);  // Cast: f32 to f32 in these tests
    else if (op == "Abs") y = Unary(in(0), [](double a) { return std::fabs(a); });
    else if (op == "Reciprocal") y = Unary(in(0), [](double a) { return 1 / a; });
    else if (op == "Softplus") y = Unary(in(0), [](double a) { return std::log1p(std::exp(a)); });
    else if (op == "Elu") {
      const double alpha = attrs.Float("alpha");
      y = Unary(in(0), [alpha](double a) { return a > 0 ? a : alpha * std::expm1(a); });
    } else if (op == "Selu") {
      const double alpha = attrs.Float("alpha"), gamma = attrs.Float("gamma");
      y = Unary(in(0), [=](double a) { return gamma * (a > 0 ? a : alpha * std::expm1(a)); });
    } else if (op == "HardSigmoid") {
      const double alpha = attrs.Float("alpha"), beta = attrs.Float("beta");
      y = Unary(in(0), [=](double a) { return std::clamp(alpha * a + beta, 0.0, 1.0); });
    } else if (op == "HardSwish") {
      y = Unary(in(0), [](double a) { return a * std::clamp(a / 6 + 0.5, 0.0, 1.0); });
    } else if (op == "Clip") {
      const double lo = has(1) ? in(1).v[0] : -INFINITY, hi = has(2) ? in(2).v[0] : INFINITY;
      y = Unary(in(0), [=](double a) { return std::clamp(a, lo, hi); });
    } else if (op == "PRelu") y = Binary(in(0), in(1), [](double a, double s) { return a > 0 ? a : s * a; });
    else if (op == "Greater") y = Binary(in(0), in(1), [](double a, double b) { return a > b ? 1.0 : 0.0; });
    else if (op == "Less") y = Binary(in(0), in(1), [](double a, double b) { return a < b ? 1.0 : 0.0; });
    else if (op == "Where") {
      y.shape = BroadcastShape(in(0).shape, BroadcastShape(in(1).shape, in(2).shape));
      ForEachIndex(y.shape, [&](const std::vector<int64_t>& i) {
        const bool c = in(0).v[BroadcastOffset(in(0).shape, i)] != 0;
        y.v.push_back(c ? in(1).v[BroadcastOffset(in(1).shape, i)] : in(2).v[BroadcastOffset(in(2).shape, i)]);
      });
    } else if (op == "Expand") {
      std::vector<int64_t> shape = Ints(in(1));
      y = Binary(in(0), DTensor{shape, std::vector<double>(static_cast<std::size_t>(Count(shape)), 0.0)},
                 [](double a, double) { return a; });
    } else if (op == "Pad") {
      const DTensor& x = in(0);
      const std::vector<int64_t> p = Ints(in(1));
      const std::size_t r = x.shape.size();
      for (std::size_t i = 0; i < r; ++i) y.shape.push_back(x.shape[i] + p[i] + p[r + i]);
      const auto xs = Strides(x.shape);
      ForEachIndex(y.shape, [&](const std::vector<int64_t>& o) {
        int64_t off = 0;
        for (std::size_t i = 0; i < r; ++i) {
          const int64_t q = o[i] - p[i];
          if (q < 0 || q >= x.shape[i]) return y.v.push_back(0.0);
          off += q * xs[i];
        }
        y.v.push_back(x.v[off]);
      });
    } else if (op == "ReduceMax") {
      const DTensor& x = in(0);
      std::vector<int64_t> axes = attrs.Has("axes") ? attrs.Ints("axes") : std::vector<int64_t>{};
      const std::size_t r = x.shape.size();
      if (axes.empty())
        for (std::size_t i = 0; i < r; ++i) axes.push_back(static_cast<int64_t>(i));
      std::vector<int64_t> kept = x.shape;
      for (int64_t a : axes) kept[Axis(a, r)] = 1;
      y = DTensor{kept, std::vector<double>(static_cast<std::size_t>(Count(kept)), -INFINITY)};
      int64_t k = 0;
      ForEachIndex(x.shape, [&](const std::vector<int64_t>& i) {
        double& m = y.v[BroadcastOffset(kept, i)];
        m = std::max(m, x.v[k++]);
      });
      if (attrs.Int("keepdims") == 0) {
        y.shape.clear();
        for (std::size_t i = 0; i < r; ++i)
          if (std::none_of(axes.begin(), axes.end(), [&](int64_t a) { return Axis(a, r) == static_cast<int64_t>(i); }))
            y.shape.push_back(x.shape[i]);
      }
    } else if (op == "BatchNormalization") {
      const DTensor& x = in(0);
      const double eps = attrs.Float("epsilon");
      const auto xs = Strides(x.shape);
      y = x;
      // Training mode normalizes with the batch's mean and biased variance per channel.
      std::vector<double> mean = in(3).v, var = in(4).v;
      if (attrs.Int("training_mode") == 1) {
        const auto channels = static_cast<std::size_t>(x.shape[1]);
        std::vector<double> sum(channels, 0.0), sq(channels, 0.0);
        const double count = static_cast<double>(x.size()) / static_cast<double>(channels);
        for (int64_t i = 0; i < x.size(); ++i) sum[(i / xs[1]) % x.shape[1]] += x.v[i];
        for (std::size_t c = 0; c < channels; ++c) mean[c] = sum[c] / count;
        for (int64_t i = 0; i < x.size(); ++i) {
          const int64_t c = (i / xs[1]) % x.shape[1];
          sq[c] += (x.v[i] - mean[c]) * (x.v[i] - mean[c]);
        }
        for (std::size_t c = 0; c < channels; ++c) var[c] = sq[c] / count;
      }
      for (int64_t i = 0; i < x.size(); ++i) {
        const int64_t c = (i / xs[1]) % x.shape[1];
        y.v[i] = in(1).v[c] * (x.v[i] - mean[c]) / std::sqrt(var[c] + eps) + in(2).v[c];
      }
    }
    else if (op == "Softmax" || op == "LogSoftmax") y = Softmax(in(0), attrs.Int("axis"), op == "LogSoftmax");
    else if (op == "MatMul") y = MatMul(in(0), in(1));
    else if (op == "Gemm") {
      DTensor a = in(0), b = in(1);
      if (attrs.Int("transA")) a = Transpose(a, {1, 0});
      if (attrs.Int("transB")) b = Transpose(b, {1, 0});
      const double alpha = attrs.Float("alpha"), beta = attrs.Float("beta");
      y = Unary(MatMul(a, b), [alpha](double v) { return alpha * v; });
      if (has(2)) y = Binary(y, in(2), [beta](double p, double c) { return p + beta * c; });
    } else if (op == "Transpose") {
      std::vector<int64_t> perm;
      if (attrs.Has("perm")) {
        perm = attrs.Ints("perm");
      } else {
        for (std::size_t i = in(0).shape.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
      }
      y = Transpose(in(0), perm);
    } else if (op == "Reshape") {
      y = in(0);
      std::vector<int64_t> s = Ints(in(1));
      int64_t infer = -1, known = 1;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == 0) s[i] = in(0).shape[i];
        if (s[i] == -1) infer = static_cast<int64_t>(i);
        else known *= s[i];
      }
      if (infer >= 0) s[infer] = in(0).size() / known;
      y.shape = s;
    } else if (op == "Flatten") {
      y = in(0);
      const int64_t axis = Axis(attrs.Int("axis"), y.shape.size());
      int64_t lead = 1;
      for (int64_t i = 0; i < axis; ++i) lead *= y.shape[i];
      y.shape = {lead, y.size() / std::max<int64_t>(lead, 1)};
    } else if (op == "Squeeze") {
      y = in(0);
      std::vector<int64_t> axes = Ints(in(1));
      std::vector<int64_t> s;
      for (std::size_t i = 0; i < y.shape.size(); ++i)
        if (std::none_of(axes.begin(), axes.end(), [&](int64_t a) { return Axis(a, y.shape.size()) == static_cast<int64_t>(i); }))
          s.push_back(y.shape[i]);
      y.shape = s;
    } else if (op == "Unsqueeze") {
      y = in(0);
      std::vector<int64_t> axes = Ints(in(1));
      const std::size_t r = y.shape.size() + axes.size();
      for (int64_t& a : axes) a = Axis(a, r);
      std::sort(axes.begin(), axes.end());
      for (int64_t a : axes) y.shape.insert(y.shape.begin() + a, 1);
    } else if (op == "ReduceSum" && !has(1) && attrs.Int("noop_with_empty_axes")) {
      y = in(0);
    } else if (op == "ReduceSum") {
      y = Reduce(in(0), has(1) ? Ints(in(1)) : std::vector<int64_t>{}, attrs.Int("keepdims") != 0, false);
    } else if (op == "ReduceMean") {
      y = Reduce(in(0), attrs.Has("axes") ? attrs.Ints("axes") : std::vector<int64_t>{}, attrs.Int("keepdims") != 0, true);
    } else if (op == "ConvTranspose") {
      y = ConvTranspose(in(0), in(1), has(2) ? &in(2) : nullptr, attrs);
    } else if (op == "Conv") {
      y = Conv(in(0), in(1), has(2) ? &in(2) : nullptr, attrs);
    } else if (op == "MaxPool" || op == "AveragePool") {
      y = Pool(in(0), attrs, op == "MaxPool");
    } else if (op == "GlobalAveragePool") {
      std::vector<int64_t> spatial;
      for (std::size_t i = 2; i < in(0).shape.size(); ++i) spatial.push_back(static_cast<int64_t>(i));
      y = Reduce(in(0), spatial, true, true);
    } else if (op == "LayerNormalization") {
      const DTensor& x = in(0);
      std::vector<int64_t> axes;
      for (int64_t i = Axis(attrs.Int("axis"), x.shape.size()); i < static_cast<int64_t>(x.shape.size()); ++i) axes.push_back(i);
      const DTensor mean = Reduce(x, axes, true, true);
      const DTensor centred = Binary(x, mean, [](double a, double m) { return a - m; });
      const DTensor var = Reduce(Unary(centred, [](double c) { return c * c; }), axes, true, true);
      const double eps = attrs.Float("epsilon");
      y = Binary(centred, var, [eps](double c, double v) { return c / std::sqrt(v + eps); });
      y = Binary(y, in(1), [](double a, double s) { return a * s; });
      if (has(2)) y = Binary(y, in(2), [](double a, double b) { return a + b; });
    } else if (op == "Gather") {
      const DTensor& data = in(0);
      const int64_t axis = Axis(attrs.Int("axis"), data.shape.size());
      const std::vector<int64_t> idx = Ints(in(1));
      y.shape.assign(data.shape.begin(), data.shape.begin() + axis);
      y.shape.insert(y.shape.end(), in(1).shape.begin(), in(1).shape.end());
      y.shape.insert(y.shape.end(), data.shape.begin() + axis + 1, data.shape.end());
      int64_t outer = 1, inner = 1;
      for (int64_t i = 0; i < axis; ++i) outer *= data.shape[i];
      for (std::size_t i = axis + 1; i < data.shape.size(); ++i) inner *= data.shape[i];
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j : idx) {
          const int64_t r = j < 0 ? j + data.shape[axis] : j;
          for (int64_t k = 0; k < inner; ++k) y.v.push_back(data.v[(o * data.shape[axis] + r) * inner + k]);
        }
    } else if (op == "Concat") {
      const int64_t axis = Axis(attrs.Int("axis"), in(0).shape.size());
      y.shape = in(0).shape;
      y.shape[axis] = 0;
      for (std::size_t i = 0; i < node.inputs.size(); ++i) y.shape[axis] += in(i).shape[axis];
      ForEachIndex(y.shape, [&](const std::vector<int64_t>& idx) {
        int64_t p = idx[axis];
        std::size_t i = 0;
        while (p >= in(i).shape[axis]) p -= in(i++).shape[axis];
        std::vector<int64_t> j = idx;
        j[axis] = p;
        y.v.push_back(in(i).v[BroadcastOffset(in(i).shape, j)]);
      });
    } else if (op == "Split") {
      const int64_t axis = Axis(attrs.Int("axis"), in(0).shape.size());
      const std::size_t n = node.outputs.size();
      std::vector<int64_t> sizes = has(1) ? Ints(in(1)) : std::vector<int64_t>(n, in(0).shape[axis] / static_cast<int64_t>(n));
      out.clear();
      int64_t begin = 0;
      for (int64_t s : sizes) {
        out.push_back(Take(in(0), axis, begin, s));
        begin += s;
      }
    } else if (op == "Slice") {
      y = in(0);
      const std::vector<int64_t> starts = Ints(in(1)), ends = Ints(in(2));
      for (std::size_t k = 0; k < starts.size(); ++k) {  // ONNX's clamping, for steps of either sign
        const int64_t axis = has(3) ? Axis(Ints(in(3))[k], y.shape.size()) : static_cast<int64_t>(k);
        const int64_t step = has(4) ? Ints(in(4))[k] : 1;
        const int64_t dim = y.shape[axis];
        const int64_t b0 = starts[k] < 0 ? starts[k] + dim : starts[k], e0 = ends[k] < 0 ? ends[k] + dim : ends[k];
        if (step > 0) {
          const int64_t b = std::clamp<int64_t>(b0, 0, dim), e = std::clamp<int64_t>(e0, 0, dim);
          y = Take(y, axis, b, e > b ? (e - b + step - 1) / step : 0, step);
        } else {
          const int64_t b = std::clamp<int64_t>(b0, 0, dim - 1), e = std::clamp<int64_t>(e0, -1, dim - 1);
          y = Take(y, axis, b, b > e ? (b - e - step - 1) / -step : 0, step);
        }
      }
    } else {
      throw std::runtime_error("reference: no double evaluation of " + op);
    }
    for (std::size_t o = 0; o < node.outputs.size(); ++o) values[node.outputs[o]] = out.at(o);
  }
  return values;
}

}  // namespace axon::test
