#include <catch2/catch.hpp>

#include "graph/op_schema.h"

using namespace axon;
using namespace axon::graph;

TEST_CASE("every registered op belongs to an op-set version this build knows", "[graph][op_schema]") {
  STATIC_REQUIRE(Model::kOpsetVersion == kOpsetVersion);
  for (const std::string& op : RegisteredOps()) {
    INFO(op);
    const int64_t since = FindOpSchema(op)->since_version();
    CHECK(since >= 1);
    CHECK(since <= kOpsetVersion);
  }
}

TEST_CASE("Since refuses versions outside the op set", "[graph][op_schema]") {
  OpSchema s("Test");
  CHECK(s.since_version() == 1);
  CHECK(s.Since(kOpsetVersion).since_version() == kOpsetVersion);
  CHECK_THROWS_WITH(s.Since(0), Catch::Contains("op Test: Since(0)"));
  CHECK_THROWS_WITH(s.Since(kOpsetVersion + 1), Catch::Contains("outside op-set versions"));
}

TEST_CASE("a schema holds a gradient rule when given one", "[graph][op_schema]") {
  OpSchema s("Test");
  CHECK_FALSE(s.has_grad());
  s.Grad([](GradContext&) {});
  CHECK(s.has_grad());
  CHECK(static_cast<bool>(s.grad()));
}

TEST_CASE("outputs past the schema's minimum are optional and may be left off the end", "[graph][op_schema]") {
  OpSchema s("Test");
  s.Inputs({"X"}).Outputs({"Y", "Extra"}, 1).Infer([](InferContext& ctx) {
    for (std::size_t i = 0; i < ctx.outputs.size(); ++i) ctx.SetOutput(i, DType::kF32, ctx.InShape(0));
  });
  CHECK(s.min_outputs() == 1);
  auto infer = [&](std::vector<std::string> outputs) {
    Node node{"n", "Test", {"x"}, std::move(outputs), {}};
    InferContext ctx(node, s);
    ctx.inputs = {ValueInfo{"x", DType::kF32, Shape({2})}};
    s.RunInference(ctx);
    return ctx.outputs.size();
  };
  CHECK(infer({"y"}) == 1);
  CHECK(infer({"y", "extra"}) == 2);
  CHECK_THROWS_WITH(infer({"y", "extra", "more"}), Catch::Contains("expects 1 to 2 outputs, got 3"));
  CHECK_THROWS_WITH(infer({}), Catch::Contains("expects 1 to 2 outputs, got 0"));
  CHECK(OpSchema("Plain").Outputs({"Y"}).min_outputs() == 1);
}

TEST_CASE("a variadic input or output repeats its last parameter, each repetition required", "[graph][op_schema]") {
  OpSchema s("AxonTestVariadic");
  s.Inputs({"first", "rest"}).VariadicInputs(2).Outputs({"outputs"}).VariadicOutputs(1);
  CHECK(s.variadic_inputs());
  CHECK(s.variadic_outputs());
  CHECK(s.InputName(0) == "first");
  CHECK(s.InputName(1) == "rest");
  CHECK(s.InputName(7) == "rest");
  auto infer = [&](std::vector<std::string> inputs, std::vector<std::string> outputs) {
    Node node{"v", "AxonTestVariadic", std::move(inputs), std::move(outputs), {}};
    InferContext ctx(node, s);
    for (std::size_t i = 0; i < node.inputs.size(); ++i)
      ctx.inputs.push_back(node.inputs[i].empty() ? ValueInfo{} : ValueInfo{node.inputs[i], DType::kF32, Shape({1})});
    ctx.input_values.assign(node.inputs.size(), nullptr);
    s.RunInference(ctx);
    return ctx.outputs.size();
  };
  CHECK(infer({"a", "b"}, {"y"}) == 1);
  CHECK(infer({"a", "b", "c", "d", "e"}, {"y", "z", "w"}) == 3);
  CHECK_THROWS_WITH(infer({"a"}, {"y"}), Catch::Contains("expects at least 2 inputs, got 1"));
  CHECK_THROWS_WITH(infer({"a", "b", ""}, {"y"}), Catch::Contains("required input rest is missing"));
  CHECK_THROWS_WITH(infer({"a", "b"}, {}), Catch::Contains("expects at least 1 outputs, got 0"));
}

TEST_CASE("a tensor attribute is read with TensorValue and compares by value", "[graph][op_schema]") {
  OpSchema s("AxonTestTensorAttr");
  s.Inputs({"x"}).Outputs({"y"}).Attr("value", AttrType::kTensor,
                                      TensorAttr{Tensor::FromVector(std::vector<float>{0.0f}, {1})});
  Node node{"t", "AxonTestTensorAttr", {"x"}, {"y"}, {}};
  AttrReader defaults(node, s);
  CHECK(defaults.TensorValue("value").dtype() == DType::kF32);
  CHECK(defaults.TensorValue("value").ToFloatVector() == std::vector<float>{0.0f});
  node.attrs["value"] = TensorAttr{Tensor::FromVector(std::vector<int64_t>{7}, {1})};
  AttrReader set(node, s);
  CHECK(set.TensorValue("value").data<int64_t>()[0] == 7);
  CHECK_THROWS_AS(set.Int("value"), Error);
  CHECK(std::string(AttrTypeName(TypeOf(node.attrs["value"]))) == "tensor");
  // Equal by dtype, shape and bytes, not by storage.
  const Attribute a = TensorAttr{Tensor::FromVector(std::vector<int64_t>{7}, {1})};
  CHECK(a == node.attrs["value"]);
  CHECK_FALSE(a == Attribute(TensorAttr{Tensor::FromVector(std::vector<int64_t>{7}, {})}));
  CHECK_FALSE(a == Attribute(TensorAttr{Tensor::FromVector(std::vector<int64_t>{8}, {1})}));
  CHECK_FALSE(a == Attribute(TensorAttr{Tensor::FromVector(std::vector<int32_t>{7}, {1})}));
}

TEST_CASE("the shape, indexing, comparison and cast ops came with op set 2", "[graph][op_schema]") {
  for (const char* op : {"Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Gather", "Shape", "ConstantOfShape", "Expand",
                         "Cast", "Where", "Equal", "Less", "Greater", "Not", "Range"}) {
    INFO(op);
    REQUIRE(FindOpSchema(op) != nullptr);
    CHECK(FindOpSchema(op)->since_version() == 2);
  }
}
