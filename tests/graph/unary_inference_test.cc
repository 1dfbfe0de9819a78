// Shape and dtype inference of the elementwise math ops (graph/ops/unary.cc).
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::InferOp;

namespace {

ValueInfo Typed(DType t, std::vector<Dim> dims) { return ValueInfo{"", t, Shape(std::move(dims))}; }

}  // namespace

TEST_CASE("elementwise math keeps shape and dtype and needs f32",
          "[graph][infer][infer:Exp][infer:Log][infer:Sqrt][infer:Neg][infer:Abs][infer:Erf][infer:Reciprocal]"
          "[infer:Softplus][infer:HardSwish][infer:LeakyRelu][infer:Elu][infer:Selu][infer:HardSigmoid]") {
  const Shape shape({Dim::Symbol("batch"), 3, 0});
  for (const char* op : {"Exp", "Log", "Sqrt", "Neg", "Abs", "Erf", "Reciprocal", "Softplus", "HardSwish", "LeakyRelu",
                         "Elu", "Selu", "HardSigmoid"}) {
    INFO(op);
    const auto out = InferOp(op, {F32(shape.dims())});
    CHECK(out[0].shape == shape);
    CHECK(out[0].dtype == DType::kF32);
    CHECK(InferOp(op, {F32({})})[0].shape == Shape(std::vector<Dim>{}));
    CHECK(InferOp(op, {ValueInfo{"", DType::kF32, Shape::UnknownRank()}})[0].shape == Shape::UnknownRank());
    CHECK_THROWS_WITH(InferOp(op, {Typed(DType::kI64, {2})}), Catch::Contains("must be f32, got i64"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2}), F32({2})}), Catch::Contains("expects 1 inputs, got 2"));
  }
}

TEST_CASE("the activations with attributes take ONNX's names, types and defaults",
          "[graph][infer][infer:LeakyRelu][infer:Elu][infer:Selu][infer:HardSigmoid]") {
  struct Case {
    const char* op;
    std::map<std::string, float> defaults;
  };
  for (const Case& c : {Case{"LeakyRelu", {{"alpha", 0.01f}}}, Case{"Elu", {{"alpha", 1.0f}}},
                        Case{"Selu", {{"alpha", 1.67326319217681884765625f}, {"gamma", 1.05070102214813232421875f}}},
                        Case{"HardSigmoid", {{"alpha", 0.2f}, {"beta", 0.5f}}}}) {
    INFO(c.op);
    const OpSchema& schema = *FindOpSchema(c.op);
    CHECK(schema.since_version() == 2);
    CHECK(schema.attrs().size() == c.defaults.size());
    for (const auto& [name, value] : c.defaults) {
      INFO(name);
      REQUIRE(schema.attrs().count(name) == 1);
      CHECK(std::get<float>(*schema.attrs().at(name).default_value) == value);
      std::map<std::string, Attribute> set = {{name, 0.5f}};
      CHECK(InferOp(c.op, {F32({2})}, set)[0].shape == Shape({2}));
      std::map<std::string, Attribute> wrong = {{name, int64_t{1}}};
      CHECK_THROWS_WITH(InferOp(c.op, {F32({2})}, wrong), Catch::Contains("must be float"));
    }
    CHECK_THROWS_WITH(InferOp(c.op, {F32({2})}, {{"slope", 0.5f}}), Catch::Contains("unknown attribute 'slope'"));
  }
}

TEST_CASE("Clip takes optional scalar min and max", "[graph][infer][infer:Clip]") {
  const ValueInfo x = F32({Dim::Symbol("n"), 4});
  CHECK(InferOp("Clip", {x})[0].shape == x.shape);
  CHECK(InferOp("Clip", {x, F32({})})[0].shape == x.shape);
  CHECK(InferOp("Clip", {x, F32({}), F32({})})[0].shape == x.shape);
  CHECK(InferOp("Clip", {x, F32({1}), F32({1})})[0].shape == x.shape);  // as exporters also write them
  CHECK(InferOp("Clip", {x, F32({Dim::Symbol("k")})})[0].dtype == DType::kF32);
  {  // an omitted min: the node lists "" for it
    Node node{"n", "Clip", {"x", "", "hi"}, {"y"}, {}};
    const OpSchema& schema = SchemaFor(node);
    InferContext ctx(node, schema);
    ctx.inputs = {x, ValueInfo{}, F32({})};
    ctx.input_values.assign(3, nullptr);
    schema.RunInference(ctx);
    CHECK(ctx.outputs[0].shape == x.shape);
  }
  CHECK_THROWS_WITH(InferOp("Clip", {x, F32({2})}), Catch::Contains("input min must be a scalar (shape [] or [1]), got shape [2]"));
  CHECK_THROWS_WITH(InferOp("Clip", {x, F32({}), F32({1, 1})}), Catch::Contains("input max must be a scalar"));
  CHECK_THROWS_WITH(InferOp("Clip", {x, Typed(DType::kI64, {})}),
                    Catch::Contains("input min must have the input's dtype f32, got i64"));
  CHECK_THROWS_WITH(InferOp("Clip", {Typed(DType::kBool, {3})}),
                    Catch::Contains("input input must be f32, i32, i64, i8 or u8, got bool"));
  CHECK_THROWS_WITH(InferOp("Clip", {x, F32({}), F32({}), F32({})}), Catch::Contains("expects 1 to 3 inputs"));
  CHECK_THROWS_WITH(InferOp("Clip", {x}, {{"min", 0.0f}}), Catch::Contains("unknown attribute 'min'"));
}

TEST_CASE("Clip on integers: i32, i64, i8 and u8, with bounds of the input's dtype", "[graph][infer][infer:Clip]") {
  for (DType t : {DType::kI32, DType::kI64, DType::kI8, DType::kU8}) {
    INFO(DTypeName(t));
    const ValueInfo x = Typed(t, {Dim::Symbol("n"), 4});
    CHECK(InferOp("Clip", {x})[0].dtype == t);
    const auto out = InferOp("Clip", {x, Typed(t, {}), Typed(t, {1})});
    CHECK(out[0].dtype == t);
    CHECK(out[0].shape == x.shape);
    CHECK_THROWS_WITH(InferOp("Clip", {x, F32({})}),
                      Catch::Contains("input min must have the input's dtype " + std::string(DTypeName(t)) + ", got f32"));
  }
  CHECK_THROWS_WITH(InferOp("Clip", {Typed(DType::kI8, {3}), Typed(DType::kI8, {}), Typed(DType::kU8, {})}),
                    Catch::Contains("input max must have the input's dtype i8, got u8"));
  CHECK_THROWS_WITH(InferOp("Clip", {Typed(DType::kI8, {3}), Typed(DType::kI8, {2})}),
                    Catch::Contains("input min must be a scalar"));
}
