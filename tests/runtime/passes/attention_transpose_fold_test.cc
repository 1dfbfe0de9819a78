// attention-fusion folds the Transposes that split heads before attention and merge them after
// into the FusedAttention (q_perm ... y_perm: operands read and written in place through strides).
// Reference: the same FusedAttention on Transposes that stay (each also a graph output, so not
// folded): the GEMMs see the same operand values, so outputs must match bit for bit, on 1, 2 and
// 4 threads; and both within float precision of the unfused MatMul, Softmax, MatMul.
#include <catch2/catch.hpp>

#include <map>

#include "graph/builder.h"
#include "runtime/session_factory.h"
#include "tests/graph/graph_test_util.h"
#include "tests/runtime/passes/pass_test_util.h"

using namespace axon;
using namespace axon::testing;
using graph::Dim;
using graph::Shape;

namespace {

using Perm = std::vector<int64_t>;

// How each operand lies in its input: the input's shape and the perm that makes the operand.
struct Case {
  const char* name;
  std::vector<int64_t> q, k, v;  // input shapes
  Perm q_perm, k_perm, v_perm, y_perm;
};

// N = 3 slices (batch × heads), L = 40 queries (two row blocks), S = 24 keys, d = 8, dv = 6.
const Case kCases[] = {
    // PyTorch's nn.MultiheadAttention export: [L, N, d] per operand, Kt by perm (1, 2, 0), Y back to [L, N, dv].
    {"heads split and merged", {40, 3, 8}, {24, 3, 8}, {24, 3, 6}, {1, 0, 2}, {1, 2, 0}, {1, 0, 2}, {1, 0, 2}},
    // Q and V stored transposed ([N, d, L], [N, dv, S]): the GEMMs take op(A) = Aᵀ and op(B) = Bᵀ.
    {"transposed operands", {3, 8, 40}, {3, 24, 8}, {3, 6, 24}, {0, 2, 1}, {0, 2, 1}, {0, 2, 1}, {1, 0, 2}},
};

enum class Form { kOps, kAttentionKept, kAttentionFolded };

graph::Graph Build(const Case& c, Form form) {
  graph::GraphBuilder b("attention_heads");
  const auto input = [&](const char* name, const std::vector<int64_t>& s) {
    return b.Input(name, DType::kF32, Shape({s[0], s[1], s[2]}));
  };
  const std::string q = b.Op("Transpose", {input("q", c.q)}, {{"perm", c.q_perm}});
  const std::string kt = b.Op("Transpose", {input("k", c.k)}, {{"perm", c.k_perm}});
  const std::string v = b.Op("Transpose", {input("v", c.v)}, {{"perm", c.v_perm}});
  std::string y;
  if (form == Form::kOps) {
    y = b.Op("MatMul", {b.Op("Softmax", {b.Op("MatMul", {q, kt})}, {{"axis", int64_t{-1}}}), v});
  } else {
    y = b.Op("FusedAttention", {q, kt, v}, {{"scale", 0.35355338f}});
  }
  b.Output(b.Op("Transpose", {y}, {{"perm", c.y_perm}}), "y");
  if (form == Form::kAttentionKept) {  // second readers keep every Transpose
    b.Output(q, "q_t");
    b.Output(kt, "kt_t");
    b.Output(v, "v_t");
    b.Output(y, "y_t");
  }
  return b.Build();
}

Tensor RunY(const graph::Graph& g, const std::vector<NamedTensor>& in, int threads) {
  graph::Model m;
  m.graph = g;
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = threads, .opt_level = 2}, "test");
  return s.Run(in)[0];
}

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::equal(a.data<float>(), a.data<float>() + a.size(), b.data<float>());
}

}  // namespace

TEST_CASE("attention-fusion folds the heads' Transposes into FusedAttention, bits unchanged on 1, 2, 4 threads",
          "[passes][attention-fusion][kernel:FusedAttention]") {
  for (const Case& c : kCases) {
    INFO(c.name);
    const std::vector<NamedTensor> in = {{"q", RandomTensor(c.q, 51)}, {"k", RandomTensor(c.k, 52)}, {"v", RandomTensor(c.v, 53)}};
    const graph::Graph folded = Build(c, Form::kAttentionFolded);
    const Optimized r = OptimizeAndCompare(folded, in);
    CHECK(r.difference == 0);
    REQUIRE(r.graph.nodes.size() == 1);
    const graph::Node& fused = r.graph.nodes[0];
    CHECK(fused.op_type == "FusedAttention");
    CHECK(fused.inputs == std::vector<std::string>{"q", "k", "v"});
    CHECK(fused.outputs[0] == "y");
    CHECK(std::get<Perm>(fused.attrs.at("q_perm")) == c.q_perm);
    CHECK(std::get<Perm>(fused.attrs.at("kt_perm")) == c.k_perm);
    CHECK(std::get<Perm>(fused.attrs.at("v_perm")) == c.v_perm);
    CHECK(std::get<Perm>(fused.attrs.at("y_perm")) == c.y_perm);
    // The ops' own chain fuses the same way.
    const Optimized ops = OptimizeAndCompare(Build(c, Form::kOps), in);
    CHECK(ops.difference < 2e-6);  // scale 1 here, but Softmax(x) vs the kernel's: float precision
    CHECK(CountOps(ops.graph, "Transpose") == 0);

    const graph::Graph kept = Build(c, Form::kAttentionKept);
    CHECK(CountOps(OptimizeAndCompare(kept, in).graph, "Transpose") == 4);
    const Tensor reference = RunY(kept, in, 1);
    for (int threads : {1, 2, 4}) {
      INFO("threads " << threads);
      CHECK(SameBits(RunY(folded, in, threads), reference));
    }
  }
}

TEST_CASE("FusedAttention with folded Transposes: shape rule", "[infer:FusedAttention]") {
  using graph::testing::F32;
  using graph::testing::InferOp;
  const std::map<std::string, graph::Attribute> heads = {
      {"q_perm", Perm{1, 0, 2}}, {"kt_perm", Perm{1, 2, 0}}, {"v_perm", Perm{1, 0, 2}}, {"y_perm", Perm{1, 0, 2}}};
  // Q [40, 3, 8] → [3, 40, 8]; K [24, 3, 8] → Kt [3, 8, 24]; V [24, 3, 6] → [3, 24, 6]; Y [3, 40, 6] → [40, 3, 6].
  CHECK(InferOp("FusedAttention", {F32({40, 3, 8}), F32({24, 3, 8}), F32({24, 3, 6})}, heads)[0].shape ==
        Shape({40, 3, 6}));
  CHECK(InferOp("FusedAttention", {F32({3, 8, 40}), F32({3, 8, 24}), F32({3, 24, 6})}, {{"q_perm", Perm{0, 2, 1}}})[0].shape ==
        Shape({3, 40, 6}));
  // d must agree once the perms are applied: Q [40, 3, 8] is [3, 40, 8], Kt [3, 24, 8] unpermuted.
  CHECK_THROWS_WITH(InferOp("FusedAttention", {F32({40, 3, 8}), F32({3, 24, 8}), F32({3, 8, 6})}, {{"q_perm", Perm{1, 0, 2}}}),
                    Catch::Contains("must share d"));
  // A perm that moves the last dim to the front leaves no unit stride in the matrix.
  CHECK_THROWS_WITH(InferOp("FusedAttention", {F32({8, 3, 40}), F32({3, 8, 24}), F32({3, 24, 6})}, {{"q_perm", Perm{2, 1, 0}}}),
                    Catch::Contains("must keep the last dim in the last two"));
  CHECK_THROWS_WITH(InferOp("FusedAttention", {F32({3, 40, 8}), F32({3, 8, 24}), F32({3, 24, 6})}, {{"y_perm", Perm{0, 2, 1}}}),
                    Catch::Contains("must keep the last dim last"));
  CHECK_THROWS_WITH(InferOp("FusedAttention", {F32({3, 40, 8}), F32({3, 8, 24}), F32({3, 24, 6})}, {{"q_perm", Perm{0, 0, 1}}}),
                    Catch::Contains("must be a permutation"));
  CHECK_THROWS_WITH(InferOp("FusedAttention", {F32({1, 3, 40, 8}), F32({1, 3, 8, 24}), F32({1, 3, 24, 6})}, {{"q_perm", Perm{0, 2, 1}}}),
                    Catch::Contains("rank 3"));
}
