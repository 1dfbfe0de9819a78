// Shape and dtype inference of the optimizer ops (graph/ops/optimizer.cc): outputs take X's shape,
// the state exists exactly when the optimizer keeps one, and the attributes are refused where
// torch.optim's constructors refuse them.
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::I64;
using axon::graph::testing::InferOpOutputs;
using axon::graph::testing::Omitted;
using axon::graph::testing::Typed;

namespace {

const std::vector<Dim> kParam = {Dim::Symbol("out"), 3};

std::vector<ValueInfo> Sgd(std::vector<ValueInfo> inputs, std::size_t outputs, std::map<std::string, Attribute> attrs = {}) {
  return InferOpOutputs("SGD", std::move(inputs), outputs, std::move(attrs));
}
std::vector<ValueInfo> Adam(std::vector<ValueInfo> inputs, std::map<std::string, Attribute> attrs = {}) {
  return InferOpOutputs("Adam", std::move(inputs), 3, std::move(attrs));
}

}  // namespace

TEST_CASE("SGD's outputs have X's shape; V comes and goes with momentum", "[graph][infer][infer:SGD]") {
  const auto plain = Sgd({F32(kParam), F32(kParam), F32({}), I64({})}, 1);
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].dtype == DType::kF32);
  CHECK(plain[0].shape == Shape(kParam));
  // A one-element LR and Step are scalars too, as ONNX Runtime takes them.
  CHECK(Sgd({F32(kParam), F32(kParam), F32({1}), I64({1})}, 1, {{"weight_decay", 0.01f}})[0].shape == Shape(kParam));

  const std::map<std::string, Attribute> momentum = {{"momentum", 0.9f}};
  const auto with_buffer = Sgd({F32(kParam), F32(kParam), F32({}), I64({}), F32(kParam)}, 2, momentum);
  REQUIRE(with_buffer.size() == 2);
  CHECK(with_buffer[1].shape == Shape(kParam));
  CHECK(with_buffer[1].dtype == DType::kF32);

  CHECK_THROWS_WITH(Sgd({F32(kParam), F32(kParam), F32({}), I64({})}, 1, momentum),
                    Catch::Contains("momentum 0.9") && Catch::Contains("needs the momentum buffer"));
  CHECK_THROWS_WITH(Sgd({F32(kParam), F32(kParam), F32({}), I64({}), F32(kParam)}, 1, momentum),
                    Catch::Contains("needs the momentum buffer: input V and output V_new"));
  CHECK_THROWS_WITH(Sgd({F32(kParam), F32(kParam), F32({}), I64({}), F32(kParam)}, 2),
                    Catch::Contains("without momentum there is no momentum buffer"));
  CHECK_THROWS_WITH(Sgd({F32(kParam), F32(kParam), F32({}), I64({}), F32({4, 2})}, 2, momentum),
                    Catch::Contains("input V [4,2] must have X's shape [out,3]"));
}

TEST_CASE("SGD refuses what torch.optim.SGD refuses, and wrong inputs", "[graph][infer][infer:SGD]") {
  const std::vector<ValueInfo> in = {F32({2, 3}), F32({2, 3}), F32({}), I64({}), F32({2, 3})};
  CHECK_THROWS_WITH(Sgd(in, 2, {{"momentum", 0.9f}, {"dampening", 0.1f}, {"nesterov", int64_t{1}}}),
                    Catch::Contains("nesterov momentum requires a momentum > 0 and zero dampening"));
  CHECK_THROWS_WITH(Sgd({F32({2, 3}), F32({2, 3}), F32({}), I64({})}, 1, {{"nesterov", int64_t{1}}}),
                    Catch::Contains("nesterov momentum requires"));
  CHECK_THROWS_WITH(Sgd(in, 2, {{"momentum", -0.5f}}), Catch::Contains("momentum must be >= 0"));
  CHECK_THROWS_WITH(Sgd({F32({2, 3}), F32({2, 3}), F32({}), I64({})}, 1, {{"weight_decay", -1.0f}}),
                    Catch::Contains("weight_decay must be >= 0"));
  CHECK_THROWS_WITH(Sgd(in, 2, {{"momentum", 0.9f}, {"nesterov", int64_t{2}}}), Catch::Contains("nesterov must be 0 or 1"));
  // Nesterov with momentum and no dampening is what PyTorch accepts.
  CHECK(Sgd(in, 2, {{"momentum", 0.9f}, {"nesterov", int64_t{1}}}).size() == 2);

  CHECK_THROWS_WITH(Sgd({F32({2, 3}), F32({3, 2}), F32({}), I64({})}, 1),
                    Catch::Contains("input G [3,2] must have X's shape [2,3]"));
  CHECK_THROWS_WITH(Sgd({F32({2, 3}), F32({2, 3, 1}), F32({}), I64({})}, 1), Catch::Contains("must have X's shape"));
  CHECK_THROWS_WITH(Sgd({F32({2, 3}), F32({2, 3}), F32({2}), I64({})}, 1),
                    Catch::Contains("input LR must be a scalar (shape [] or [1]), got shape [2]"));
  CHECK_THROWS_WITH(Sgd({F32({2, 3}), F32({2, 3}), F32({}), F32({})}, 1), Catch::Contains("input Step must be i64, got f32"));
  CHECK_THROWS_WITH(Sgd({F32({2, 3}), F32({2, 3}), I64({}), I64({})}, 1), Catch::Contains("input LR must be f32, got i64"));
  CHECK_THROWS_WITH(Sgd({Typed(DType::kI64, {2}), F32({2}), F32({}), I64({})}, 1), Catch::Contains("must be f32, got i64"));
  CHECK_THROWS_WITH(Sgd({F32({2}), F32({2}), F32({})}, 1), Catch::Contains("SGD"));
}

TEST_CASE("SGD and Adam never read LR or Step while inferring, so they are no part of a plan's key",
          "[graph][infer][infer:SGD][infer:Adam]") {
  const Tensor lr = Tensor::FromVector(std::vector<float>{0.1f}, {}), step = Tensor::FromVector(std::vector<int64_t>{3}, {});
  for (const char* op : {"SGD", "Adam"}) {
    INFO(op);
    const bool adam = std::string(op) == "Adam";
    Node node{"n", op, {"x", "g", "lr", "step"}, {"x_new"}, {}};
    if (adam) node.inputs.insert(node.inputs.end(), {"m", "v"}), node.outputs.insert(node.outputs.end(), {"m_new", "v_new"});
    const OpSchema& schema = SchemaFor(node);
    InferContext ctx(node, schema);
    ctx.inputs = {F32({4}), F32({4}), F32({}), I64({})};
    if (adam) ctx.inputs.insert(ctx.inputs.end(), {F32({4}), F32({4})});
    ctx.input_values.assign(ctx.inputs.size(), nullptr);
    ctx.input_values[2] = &lr;
    ctx.input_values[3] = &step;
    schema.RunInference(ctx);
    CHECK(ctx.outputs.size() == (adam ? 3u : 1u));
    for (bool read : ctx.values_read) CHECK_FALSE(read);
  }
}

TEST_CASE("Adam's outputs have X's shape; its attributes are checked as torch.optim.Adam's",
          "[graph][infer][infer:Adam]") {
  const std::vector<ValueInfo> in = {F32(kParam), F32(kParam), F32({}), I64({}), F32(kParam), F32(kParam)};
  const auto out = Adam(in);
  REQUIRE(out.size() == 3);
  for (const ValueInfo& o : out) {
    CHECK(o.dtype == DType::kF32);
    CHECK(o.shape == Shape(kParam));
  }
  CHECK(Adam(in, {{"decoupled", int64_t{1}}, {"weight_decay", 0.01f}}).size() == 3);
  CHECK_THROWS_WITH(Adam(in, {{"beta1", 1.0f}}), Catch::Contains("beta1 must be in [0, 1), got 1"));
  CHECK_THROWS_WITH(Adam(in, {{"beta2", -0.1f}}), Catch::Contains("beta2 must be in [0, 1)"));
  CHECK_THROWS_WITH(Adam(in, {{"epsilon", -1e-8f}}), Catch::Contains("epsilon must be >= 0"));
  CHECK_THROWS_WITH(Adam(in, {{"weight_decay", -0.01f}}), Catch::Contains("weight_decay must be >= 0"));
  CHECK_THROWS_WITH(Adam(in, {{"decoupled", int64_t{2}}}), Catch::Contains("decoupled must be 0 or 1"));
  CHECK_THROWS_WITH(Adam({F32({2, 3}), F32({2, 3}), F32({}), I64({}), F32({2, 3}), F32({3})}),
                    Catch::Contains("input V [3] must have X's shape [2,3]"));
  CHECK_THROWS_WITH(Adam({F32({2, 3}), F32({2, 3}), F32({}), I64({}), F32({2, 4}), F32({2, 3})}),
                    Catch::Contains("input M [2,4] must have X's shape"));
  CHECK_THROWS_WITH(Adam({F32({2, 3}), F32({2, 3}), F32({}), I64({}), Omitted(), F32({2, 3})}), Catch::Contains("M"));
}

TEST_CASE("GemmSGD's output has X's shape, which must be op(A)·op(B)'s", "[graph][infer][infer:GemmSGD]") {
  auto infer = [](std::vector<ValueInfo> in, std::map<std::string, Attribute> attrs = {}) {
    return InferOpOutputs("GemmSGD", std::move(in), 1, std::move(attrs));
  };
  const Dim batch = Dim::Symbol("batch");
  // dW = dYᵀ·X: dY [batch, 4], X [batch, 3], W [4, 3]; After may be anything, or absent.
  const auto y = infer({F32({batch, 4}), F32({batch, 3}), F32({4, 3}), F32({}), F32({}), F32({batch, 4}), I64({2})},
                       {{"transA", int64_t{1}}});
  REQUIRE(y.size() == 1);
  CHECK(y[0].dtype == DType::kF32);
  CHECK(y[0].shape == Shape({4, 3}));
  CHECK(infer({F32({4, 5}), F32({3, 5}), F32({4, 3}), F32({1}), F32({})}, {{"transB", int64_t{1}}})[0].shape == Shape({4, 3}));

  CHECK_THROWS_WITH(infer({F32({batch, 4}), F32({batch, 3}), F32({3, 4}), F32({}), F32({})}, {{"transA", int64_t{1}}}),
                    Catch::Contains("X [3,4] must have op(A)·op(B)'s shape [4,3]"));
  CHECK_THROWS_WITH(infer({F32({4, 5}), F32({6, 3}), F32({4, 3}), F32({}), F32({})}), Catch::Contains("inner dimensions differ"));
  CHECK_THROWS_WITH(infer({F32({4, 5}), F32({5, 3}), F32({4, 3}), F32({2}), F32({})}), Catch::Contains("LR"));
  CHECK_THROWS_WITH(infer({F32({4, 5}), F32({5, 3}), F32({4, 3}), F32({}), F32({})}, {{"weight_decay", -0.5f}}),
                    Catch::Contains("weight_decay must be >= 0"));
  CHECK_THROWS(infer({F32({4, 5}), F32({5, 3}), F32({4, 3}), F32({})}));  // no Guard
}
