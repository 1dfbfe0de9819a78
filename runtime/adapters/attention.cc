// Adapter of FusedAttention: the leading dims fold into one batch of independent slices; where a
// leading dim of 1 broadcasts (attention-fusion takes two anonymous dims as equal, and at run time
// one may be 1), each output slice is given the slice of Q, Kt and V it reads. A folded Transpose
// (q_perm ... y_perm) becomes that operand's strides: it is read or written where it lies.
#include <algorithm>
#include <memory>
#include <vector>

#include "runtime/adapter.h"
#include "runtime/kernels/attention.h"

namespace axon::runtime {
namespace {

// numpy's broadcast of three dims the schema has checked: 0 wins over 1.
int64_t Broadcast(int64_t a, int64_t b, int64_t c) { return a == 0 || b == 0 || c == 0 ? 0 : std::max({a, b, c}); }

// Row-major strides of a shape.
std::vector<int64_t> Packed(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// The operand Transpose(x, perm) of a rank-3 input x, read in place: its shape and strides.
void Folded(const std::vector<int64_t>& x, const std::vector<int64_t>& perm, std::vector<int64_t>& shape,
            kernels::AttentionStrides& strides) {
  const std::vector<int64_t> packed = Packed(x);
  int64_t st[3];
  shape.assign(3, 0);
  for (std::size_t k = 0; k < 3; ++k) {
    shape[k] = x[static_cast<std::size_t>(perm[k])];
    st[k] = packed[static_cast<std::size_t>(perm[k])];
  }
  strides = {st[0], st[1], st[2]};
}

BoundStep BindAttention(const BindContext& b) {
  kernels::AttentionShape s;
  std::vector<int64_t> operand[3];
  kernels::AttentionStrides* strides[3] = {&s.q_strides, &s.kt_strides, &s.v_strides};
  const char* perms[3] = {"q_perm", "kt_perm", "v_perm"};
  for (std::size_t i = 0; i < 3; ++i) {
    operand[i] = b.InShape(i);
    if (b.attrs().Has(perms[i])) Folded(b.InShape(i), b.attrs().Ints(perms[i]), operand[i], *strides[i]);
  }
  const std::vector<int64_t>& qs = operand[0];
  const std::vector<int64_t>& ks = operand[1];
  const std::vector<int64_t>& vs = operand[2];
  const std::size_t rank = qs.size();
  s.batch = 1;
  bool broadcast = false;
  for (std::size_t i = 0; i + 2 < rank; ++i) {
    s.batch *= Broadcast(qs[i], ks[i], vs[i]);
    broadcast |= qs[i] != ks[i] || qs[i] != vs[i];
  }
  // slices[0..2][b]: the slice of Q, Kt, V that output slice b reads (row-major over the leading dims).
  auto slices = std::make_shared<std::vector<int64_t>>();
  if (broadcast && s.batch > 0) {
    slices->assign(static_cast<std::size_t>(3 * s.batch), 0);
    for (int64_t b = 0; b < s.batch; ++b) {
      int64_t rest = b, stride[3] = {1, 1, 1};
      for (std::size_t i = rank - 2; i-- > 0;) {
        const int64_t n = Broadcast(qs[i], ks[i], vs[i]), idx = rest % n;
        rest /= n;
        const int64_t dims[3] = {qs[i], ks[i], vs[i]};
        for (int k = 0; k < 3; ++k) {
          if (dims[k] != 1) (*slices)[static_cast<std::size_t>(k * s.batch + b)] += idx * stride[k];
          stride[k] *= dims[k];
        }
      }
    }
    s.q_slice = slices->data();
    s.kt_slice = slices->data() + s.batch;
    s.v_slice = slices->data() + 2 * s.batch;
  }
  s.rows = qs[rank - 2], s.depth = qs[rank - 1], s.cols = ks[rank - 1], s.depth_v = vs[rank - 1];
  s.scale = b.attrs().Float("scale");
  if (b.attrs().Has("y_perm")) {
    // Output dim k is Y's dim y_perm[k]: Y's dim j steps by the output's stride of that k.
    const std::vector<int64_t>& perm = b.attrs().Ints("y_perm");
    const std::vector<int64_t> out = Packed(b.OutShape(0));
    int64_t st[3];
    for (std::size_t k = 0; k < 3; ++k) st[static_cast<std::size_t>(perm[k])] = out[k];
    s.y_strides = {st[0], st[1], st[2]};
  }
  // Its scratch (scores, the GEMMs' packing) comes from the plan, within the session's memory limit.
  const int threads = b.threads();
  const auto workspace = static_cast<int64_t>(kernels::AttentionWorkspaceBytes(s, threads));
  return BoundStep{.run =
                       [s, slices, threads, workspace](const StepArgs& a) {
                         kernels::AttentionF32(s, a.In<float>(0), a.In<float>(1), a.In<float>(2), a.Out<float>(0),
                                               static_cast<float*>(a.workspace),
                                               static_cast<std::size_t>(workspace) / sizeof(float), threads);
                       },
                   .workspace_bytes = workspace};
}

}  // namespace

AXON_ADAPTER(FusedAttention, BindAttention);

}  // namespace axon::runtime
