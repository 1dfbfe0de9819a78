// Adapters of LayerNormalization and BatchNormalization.
//
// LayerNormalization: the axis splits X into [rows, cols]. A Scale or B with fewer elements than
// the normalized dims (broadcast, e.g. [hidden] over [seq, hidden]) is expanded to cols elements
// on every run, into the step's scratch: cols floats beside rows * cols of work, and never stale
// when the parameter changes or the planned shape does.
//
// BatchNormalization: when scale and var are constants (the usual case: a trained model's
// statistics), scale / sqrt(var + epsilon) is worked out once per session; otherwise on every run,
// into scratch (C floats).
#include <memory>
#include <vector>

#include "runtime/adapter.h"
#include "runtime/kernels/batch_norm_train.h"
#include "runtime/kernels/normalization.h"

namespace axon::runtime {
namespace {

int64_t Product(std::vector<int64_t>::const_iterator begin, std::vector<int64_t>::const_iterator end) {
  int64_t n = 1;
  for (auto it = begin; it != end; ++it) n *= *it;  // planned shapes are bounded by kMaxElementCount
  return n;
}

// How a Scale or B broadcasts to the normalized dims: their sizes, and its element stride along
// each (0 where it is broadcast). Made at bind time; Expand then allocates nothing.
struct Expansion {
  std::vector<int64_t> dims, strides;
};

Expansion MakeExpansion(const std::vector<int64_t>& from, const std::vector<int64_t>& to) {
  Expansion e{to, std::vector<int64_t>(to.size(), 0)};
  const std::size_t pad = to.size() - from.size();  // the schema checked from fits in to
  int64_t s = 1;
  for (std::size_t k = to.size(); k-- > pad;) {
    e.strides[k] = from[k - pad] == 1 ? 0 : s;
    s *= from[k - pad];
  }
  return e;
}

// dst[i] = src at the position of normalized element i, for the `count` elements of e.dims.
void Expand(const float* src, const Expansion& e, int64_t count, float* dst) {
  int64_t index[graph::kMaxRank] = {};
  int64_t offset = 0;
  for (int64_t i = 0; i < count; ++i) {
    dst[i] = src[offset];
    for (std::size_t k = e.dims.size(); k-- > 0;) {
      offset += e.strides[k];
      if (++index[k] < e.dims[k]) break;
      offset -= e.strides[k] * e.dims[k];
      index[k] = 0;
    }
  }
}

BoundStep BindLayerNorm(const BindContext& b) {
  const std::vector<int64_t>& shape = b.InShape(0);
  const auto rank = static_cast<int64_t>(shape.size());
  const int64_t axis = graph::NormalizeAxis(b.attrs().Int("axis"), rank).value();  // the schema checked it
  const int64_t rows = Product(shape.begin(), shape.begin() + axis);
  const int64_t cols = Product(shape.begin() + axis, shape.end());
  const float epsilon = b.attrs().Float("epsilon");
  const std::vector<int64_t> norm(shape.begin() + axis, shape.end());
  const bool has_bias = b.HasIn(2);
  const bool expand_scale = Product(b.InShape(1).begin(), b.InShape(1).end()) != cols;
  const bool expand_bias = has_bias && Product(b.InShape(2).begin(), b.InShape(2).end()) != cols;
  const Expansion scale_expansion = expand_scale ? MakeExpansion(b.InShape(1), norm) : Expansion{};
  const Expansion bias_expansion = expand_bias ? MakeExpansion(b.InShape(2), norm) : Expansion{};
  const std::size_t outputs = b.node().outputs.size();
  const int64_t workspace = (expand_scale + expand_bias) * cols * static_cast<int64_t>(sizeof(float));
  return BoundStep{.run =
                       [=](const StepArgs& a) {
                         auto* scratch = static_cast<float*>(a.workspace);
                         const float* scale = a.In<float>(1);
                         const float* bias = has_bias ? a.In<float>(2) : nullptr;
                         if (expand_scale) {
                           Expand(scale, scale_expansion, cols, scratch);
                           scale = scratch;
                           scratch += cols;
                         }
                         if (expand_bias) {
                           Expand(bias, bias_expansion, cols, scratch);
                           bias = scratch;
                         }
                         kernels::LayerNormF32(a.In<float>(0), scale, bias, a.Out<float>(0),
                                               outputs > 1 ? a.Out<float>(1) : nullptr,
                                               outputs > 2 ? a.Out<float>(2) : nullptr, rows, cols, epsilon);
                       },
                   .in_place_input = 0,
                   .workspace_bytes = workspace};
}

// Training mode's [batch, channels, inner], refused (as torch refuses it) when a channel has one
// value: its unbiased variance would divide by zero.
kernels::BatchNormTrainShape TrainShape(const BindContext& b, const std::vector<int64_t>& shape) {
  const kernels::BatchNormTrainShape s{shape[0], shape[1], Product(shape.begin() + 2, shape.end())};
  if (s.batch * s.inner < 2 && s.channels > 0)
    throw Error(ErrorCode::kInvalidArgument,
                b.node().Describe() + ": training mode needs more than 1 value per channel, got input of " +
                    std::to_string(s.batch * s.inner) + " per channel (batch " + std::to_string(s.batch) + ")");
  return s;
}

BoundStep BindBatchNormTraining(const BindContext& b) {
  const kernels::BatchNormTrainShape shape = TrainShape(b, b.InShape(0));
  const float epsilon = b.attrs().Float("epsilon"), momentum = b.attrs().Float("momentum");
  const std::size_t outputs = b.node().outputs.size();
  return BoundStep{.run = [=](const StepArgs& a) {
    kernels::BatchNormTrainF32(a.In<float>(0), a.In<float>(1), a.In<float>(2), a.In<float>(3), a.In<float>(4),
                               a.Out<float>(0), outputs > 1 ? a.Out<float>(1) : nullptr,
                               outputs > 2 ? a.Out<float>(2) : nullptr, shape, epsilon, momentum);
  }};
}

BoundStep BindBatchNormGrad(const BindContext& b) {
  const kernels::BatchNormTrainShape shape = TrainShape(b, b.InShape(1));
  const float epsilon = b.attrs().Float("epsilon");
  return BoundStep{.run = [=](const StepArgs& a) {
    kernels::BatchNormTrainGradF32(a.In<float>(0), a.In<float>(1), a.In<float>(2), a.Out<float>(0), a.Out<float>(1),
                                   a.Out<float>(2), shape, epsilon);
  }};
}

BoundStep BindBatchNorm(const BindContext& b) {
  if (b.attrs().Int("training_mode") == 1) return BindBatchNormTraining(b);
  const std::vector<int64_t>& shape = b.InShape(0);
  const int64_t batch = shape[0], channels = shape[1];  // the schema checked rank >= 2
  const int64_t inner = Product(shape.begin() + 2, shape.end());
  const float epsilon = b.attrs().Float("epsilon");
  if (b.IsConstant(1) && b.IsConstant(4)) {
    // scale / sqrt(var + epsilon), made once from the constants and again when either is a
    // parameter that changes. The inputs themselves are kept (prepared_only stays 0): C floats
    // each, and when only one of them is a parameter, re-making this reads the other, which
    // must not have been released.
    const Tensor *scale = b.Constant(1), *var = b.Constant(4);
    const Prepared<float> folded = b.Prepare<float>(0, {1, 4}, [scale, var, epsilon] {
      const int64_t c = scale->size();
      std::shared_ptr<float[]> out(new float[static_cast<std::size_t>(c)]);
      kernels::BatchNormScale(scale->data<float>(), var->data<float>(), epsilon, out.get(), c);
      return std::shared_ptr<const float>(out, out.get());
    });
    return BoundStep{.run =
                         [folded, batch, channels, inner](const StepArgs& a) {
                           kernels::BatchNormF32(a.In<float>(0), a.Out<float>(0), a.In<float>(3), folded.get(),
                                                 a.In<float>(2), batch, channels, inner);
                         },
                     .in_place_input = 0};
  }
  return BoundStep{.run =
                       [batch, channels, inner, epsilon](const StepArgs& a) {
                         auto* scale = static_cast<float*>(a.workspace);
                         kernels::BatchNormScale(a.In<float>(1), a.In<float>(4), epsilon, scale, channels);
                         kernels::BatchNormF32(a.In<float>(0), a.Out<float>(0), a.In<float>(3), scale, a.In<float>(2),
                                               batch, channels, inner);
                       },
                   .in_place_input = 0,
                   .workspace_bytes = channels * static_cast<int64_t>(sizeof(float))};
}

}  // namespace

AXON_ADAPTER(LayerNormalization, BindLayerNorm);
AXON_ADAPTER(BatchNormalization, BindBatchNorm);
AXON_ADAPTER(BatchNormalizationGrad, BindBatchNormGrad);

}  // namespace axon::runtime
