// Adapter of FusedAttention: the leading dims of Q fold into one batch of independent slices.
#include "runtime/adapter.h"
#include "runtime/kernels/attention.h"

namespace axon::runtime {
namespace {

BoundStep BindAttention(const BindContext& b) {
  const std::vector<int64_t>& qs = b.InShape(0);
  const std::vector<int64_t>& ks = b.InShape(1);
  const std::vector<int64_t>& vs = b.InShape(2);
  const std::size_t rank = qs.size();
  kernels::AttentionShape s;
  s.batch = 1;
  for (std::size_t i = 0; i + 2 < rank; ++i) s.batch *= qs[i];
  s.rows = qs[rank - 2], s.depth = qs[rank - 1], s.cols = ks[rank - 1], s.depth_v = vs[rank - 1];
  s.scale = b.attrs().Float("scale");
  return BoundStep{.run = [s](const StepArgs& a) {
    kernels::AttentionF32(s, a.In<float>(0), a.In<float>(1), a.In<float>(2), a.Out<float>(0));
  }};
}

}  // namespace

AXON_ADAPTER(FusedAttention, BindAttention);

}  // namespace axon::runtime
