// The ONNX importer's model mapping: initializers from every field, Constant nodes, inputs with
// dynamic dims, opsets and domains, dtypes, and the one error that lists every unsupported op.
#include <catch2/catch.hpp>

#include <cmath>

#include "formats/axon_format.h"
#include "formats/model_file.h"
#include "graph/verifier.h"
#include "tests/formats/onnx/onnx_test_util.h"

using namespace axon;
using namespace axon::onnx_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// x (f32[2,2]) + w -> y, with w given by fill.
template <class Fill>
graph::Model AddOfWeight(Fill fill) {
  OnnxModel m;
  m.Input("x", kFloat, {2, 2});
  auto* w = m.g().add_initializer();
  w->set_name("w");
  fill(*w);
  m.Node("Add", {"x", "w"}, {"y"});
  m.Output("y");
  return m.Import();
}

}  // namespace

TEST_CASE("ONNX initializers are read from raw_data and from every typed field", "[onnx][import]") {
  SECTION("float raw_data and float_data") {
    for (bool typed : {false, true}) {
      graph::Model g = AddOfWeight([&](auto& t) { OnnxModel::FillFloat(t, {2, 2}, {1, 2, 3, 4}, typed); });
      const Tensor& w = g.graph.initializers.at("w");
      CHECK(w.dtype() == DType::kF32);
      CHECK(w.shape() == std::vector<int64_t>{2, 2});
      CHECK(w.ToFloatVector() == std::vector<float>{1, 2, 3, 4});
    }
  }
  SECTION("int64_data, and int32_data for INT32, INT8, UINT8 and BOOL") {
    OnnxModel m;
    m.Input("x", kFloat, {1});
    m.Node("Identity", {"x"}, {"y"});
    m.Output("y");
    m.WeightI64("i64", {-5, 1LL << 40});
    struct Case { const char* name; int type; std::vector<int32_t> values; DType dtype; };
    const Case cases[] = {{"i32", kInt32, {-7, 2147483647}, DType::kI32},
                          {"i8", kInt8, {-128, 127}, DType::kI8},
                          {"u8", kUint8, {0, 255}, DType::kU8},
                          {"b", kBool, {0, 1}, DType::kBool}};
    for (const Case& c : cases) {
      auto* t = m.g().add_initializer();
      t->set_name(c.name);
      t->set_data_type(c.type);
      t->add_dims(2);
      for (int32_t v : c.values) t->add_int32_data(v);
    }
    const graph::Model g = m.Import();
    const auto& in = g.graph.initializers;
    CHECK(in.at("i64").data<int64_t>()[1] == (1LL << 40));
    CHECK(in.at("i32").data<int32_t>()[0] == -7);
    CHECK(in.at("i8").data<int8_t>()[0] == -128);
    CHECK(in.at("u8").data<uint8_t>()[1] == 255);
    CHECK(in.at("b").dtype() == DType::kBool);
    CHECK(in.at("b").data<bool>()[1]);
  }
  SECTION("a scalar and an empty tensor") {
    graph::Model g = AddOfWeight([](auto& t) { OnnxModel::FillFloat(t, {}, {3}, false); });
    CHECK(g.graph.initializers.at("w").shape().empty());
    OnnxModel m;
    m.Weight("w", {0, 2}, {}, /*typed=*/true);
    m.Output("w");
    CHECK(m.Import().graph.initializers.at("w").shape() == std::vector<int64_t>{0, 2});
  }
}

TEST_CASE("ONNX tensors that Axon cannot hold are refused naming the tensor", "[onnx][import]") {
  SECTION("double") {
    const std::string e = ErrorOf(
        [] {
          AddOfWeight([](auto& t) {
            t.set_data_type(kDouble);
            t.add_dims(1);
            t.add_double_data(1.0);
          });
        },
        ErrorCode::kUnsupported);
    CHECK_THAT(e, StartsWith("test.onnx: initializer 'w' has ONNX data type DOUBLE, which Axon does not have"));
  }
  SECTION("external data") {
    const std::string e = ErrorOf(
        [] {
          AddOfWeight([](auto& t) {
            t.set_data_type(kFloat);
            t.add_dims(4);
            t.set_data_location(::onnx::TensorProto::EXTERNAL);
            auto* loc = t.add_external_data();
            loc->set_key("location");
            loc->set_value("../../etc/passwd");
          });
        },
        ErrorCode::kUnsupported);
    CHECK_THAT(e, Contains("initializer 'w' keeps its data in an external file (ONNX external data), which Axon does not read"));
  }
  SECTION("a graph input of an unmapped type") {
    OnnxModel m;
    m.Input("x", ::onnx::TensorProto::FLOAT16, {2});
    m.Node("Identity", {"x"}, {"y"});
    m.Output("y");
    CHECK_THAT(ErrorOf([&] { m.Import(); }, ErrorCode::kUnsupported),
               Contains("graph input 'x' has ONNX data type FLOAT16"));
  }
}

TEST_CASE("ONNX initializers listed as graph inputs (IR < 4) are initializers, not inputs", "[onnx][import]") {
  OnnxModel m(9, 3);
  m.Input("x", kFloat, {2, 2});
  m.Input("w", kFloat, {2, 2});
  m.Weight("w", {2, 2}, {1, 1, 1, 1});
  m.Node("Add", {"x", "w"}, {"y"});
  m.Output("y");
  Session s = m.Load();
  REQUIRE(s.inputs().size() == 1);
  CHECK(s.inputs()[0].name == "x");
  std::vector<float> x = {1, 2, 3, 4};
  CHECK(s.Run({{"x", Tensor::View(x.data(), {2, 2})}})[0].ToFloatVector() == std::vector<float>{2, 3, 4, 5});
}

TEST_CASE("an input that is also an initializer must be declared as the initializer is", "[onnx][import]") {
  for (int64_t ir : {3, 7}) {
    INFO("IR " << ir);
    OnnxModel m(9, ir);
    m.Input("x", kFloat, {2, 3});
    m.Input("w", kFloat, {4, 4});  // the initializer below is [2,3]
    m.Weight("w", {2, 3}, {1, 1, 1, 1, 1, 1});
    m.Node("Add", {"x", "w"}, {"y"});
    m.Output("y");
    CHECK_THAT(ErrorOf([&] { m.Import(); }, ErrorCode::kInvalidFile),
               Contains("graph input w: f32[4,4] is also an initializer of f32[2,3]: they must agree"));
  }
}

TEST_CASE("ONNX Constant nodes of every value kind become initializers", "[onnx][import]") {
  OnnxModel m(13);
  m.Input("x", kFloat, {2});
  auto& c1 = m.Node("Constant", {}, {"c_tensor"});
  OnnxModel::FillFloat(AttrTensor(c1, "value"), {2}, {10, 20}, true);
  AttrFloat(m.Node("Constant", {}, {"c_float"}), "value_float", 0.5f);
  AttrFloats(m.Node("Constant", {}, {"c_floats"}), "value_floats", {1, 2});
  AttrInt(m.Node("Constant", {}, {"c_int"}), "value_int", 7);
  AttrInts(m.Node("Constant", {}, {"c_ints"}), "value_ints", {1, 2, 3});
  m.Node("Add", {"x", "c_tensor"}, {"a"});
  m.Node("Mul", {"a", "c_float"}, {"b"});
  m.Node("Add", {"b", "c_floats"}, {"y"});
  m.Output("y");
  m.Output("c_int");
  m.Output("c_ints");
  graph::Model g = m.Import();
  CHECK(g.graph.nodes.size() == 3);  // the Constants are gone
  const auto& in = g.graph.initializers;
  CHECK(in.at("c_float").shape().empty());
  CHECK(in.at("c_floats").shape() == std::vector<int64_t>{2});
  CHECK(in.at("c_int").dtype() == DType::kI64);
  CHECK(in.at("c_int").shape().empty());
  CHECK(in.at("c_ints").data<int64_t>()[2] == 3);

  Session s = m.Load();
  std::vector<float> x = {1, 2};
  const auto out = s.Run({{"x", Tensor::View(x.data(), {2})}});
  CHECK(out[0].ToFloatVector() == std::vector<float>{6.5f, 13});  // (x + [10,20]) * 0.5 + [1,2]

  SECTION("string and sparse values are refused clearly") {
    OnnxModel bad(13);
    bad.Input("x", kFloat, {2});
    AttrString(bad.Node("Constant", {}, {"s"}, "str"), "value_string", "hello");
    bad.Node("Identity", {"x"}, {"y"});
    bad.Output("y");
    CHECK_THAT(ErrorOf([&] { bad.Import(); }, ErrorCode::kUnsupported),
               Contains("node 'str' (Constant, opset 13): string constants are not supported"));
  }
  SECTION("two values") {
    OnnxModel bad(13);
    auto& c = bad.Node("Constant", {}, {"y"}, "two");
    AttrFloat(c, "value_float", 1);
    AttrInt(c, "value_int", 1);
    bad.Output("y");
    CHECK_THAT(ErrorOf([&] { bad.Import(); }, ErrorCode::kInvalidFile), Contains("must have exactly one value attribute, has 2"));
  }
}

TEST_CASE("ONNX graph inputs keep their dynamic dims", "[onnx][import]") {
  OnnxModel m;
  m.Input("x", kFloat, {std::string("batch"), std::monostate{}, 4});
  m.Node("Relu", {"x"}, {"y"});
  m.Output("y", kFloat, {std::string("N"), std::monostate{}, 4});
  Session s = m.Load();
  CHECK(s.inputs()[0].ToString() == "x: f32[batch,?,4]");
  std::vector<float> x(3 * 5 * 4, -1.0f);
  const auto out = s.Run({{"x", Tensor::View(x.data(), {3, 5, 4})}});
  CHECK(out[0].shape() == std::vector<int64_t>{3, 5, 4});
}

TEST_CASE("ONNX opset 20's Gelu imports as Axon's Gelu, in both forms", "[onnx][import][kernel:Gelu]") {
  for (const char* approximate : {"", "none", "tanh"}) {
    INFO("approximate = '" << approximate << "'");
    OnnxModel m(20);
    m.Input("x", kFloat, {4});
    auto& gelu = m.Node("Gelu", {"x"}, {"y"});
    if (*approximate) AttrString(gelu, "approximate", approximate);
    m.Output("y");
    Session s = m.Load();
    std::vector<float> x = {-2.0f, -0.5f, 0.5f, 3.0f};
    const std::vector<float> y = s.Run({{"x", Tensor::View(x.data(), {4})}})[0].ToFloatVector();
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double v = x[i];
      const double want = std::string(approximate) == "tanh"
                              ? 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)))
                              : 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
      CHECK(y[i] == Approx(want).epsilon(1e-6).margin(1e-7));
    }
  }
  OnnxModel old(17);
  old.Input("x", kFloat, {4});
  old.Node("Gelu", {"x"}, {"y"});
  old.Output("y");
  CHECK_THAT(ErrorOf([&] { old.Import(); }, ErrorCode::kUnsupported), Contains("Gelu (opset 17): 1 node, imported from opset 20"));
}

TEST_CASE("ONNX opsets and domains decide what is imported", "[onnx][import]") {
  SECTION("an opset newer than 20 is refused") {
    OnnxModel m(21);
    m.Input("x", kFloat, {1});
    m.Node("Relu", {"x"}, {"y"});
    m.Output("y");
    CHECK_THAT(ErrorOf([&] { m.Import(); }, ErrorCode::kUnsupported),
               Contains("test.onnx: uses ONNX opset 21; this build of Axon imports opsets up to 20"));
  }
  SECTION("opsets 18 to 20: ops unchanged since 17 map 1:1; ops changed after 17 are refused, naming the op") {
    OnnxModel m(18);
    m.Input("x", kFloat, {2, 3});
    m.Node("Relu", {"x"}, {"r"});
    auto& mean = m.Node("ReduceMean", {"r"}, {"y"});
    AttrInts(mean, "axes", {1});
    m.Output("y");
    CHECK_THAT(ErrorOf([&] { m.Import(); }, ErrorCode::kUnsupported),
               Contains("ReduceMean (opset 18): 1 node, imported up to opset 17 (its newer version is not translated yet)"));
    OnnxModel ok(19);
    ok.Input("x", kFloat, {2, 3});
    ok.Node("Relu", {"x"}, {"y"});
    ok.Output("y");
    Session s = ok.Load();
    std::vector<float> x = {-1, 2, -3, 4, -5, 6};
    CHECK(s.Run({{"x", Tensor::View(x.data(), {2, 3})}})[0].ToFloatVector() == std::vector<float>{0, 2, 0, 4, 0, 6});
  }
  SECTION("an unused other domain is fine; nodes of it are unsupported ops") {
    OnnxModel m(13);
    auto* ml = m.m.add_opset_import();
    ml->set_domain("com.example");
    ml->set_version(1);
    m.Input("x", kFloat, {1});
    m.Node("Relu", {"x"}, {"y"});
    m.Output("y");
    CHECK_NOTHROW(m.Import());
    m.Node("Fancy", {"y"}, {"z"}).set_domain("com.example");
    m.Output("z");
    CHECK_THAT(ErrorOf([&] { m.Import(); }, ErrorCode::kUnsupported),
               Contains("com.example.Fancy (opset 1): 1 node, domain com.example"));
  }
  SECTION("ai.onnx is the default domain") {
    OnnxModel m(13);
    m.m.mutable_opset_import(0)->set_domain("ai.onnx");
    m.Input("x", kFloat, {1});
    m.Node("Relu", {"x"}, {"y"}).set_domain("ai.onnx");
    m.Output("y");
    CHECK_NOTHROW(m.Load());
  }
}

TEST_CASE("a model with unsupported ops fails with one error listing every (op, opset) pair", "[onnx][import]") {
  OnnxModel m(11);
  m.Input("x", kFloat, {1, 1, 4, 4});
  m.Node("AxonTestNoSuchOp", {"x"}, {"a"});
  m.Node("AxonTestNoSuchOp", {"a"}, {"b"});
  m.Node("If", {"b"}, {"c"});
  m.Node("Relu", {"c"}, {"y"});
  m.Output("y");
  const std::string e = ErrorOf([&] { m.Import(); }, ErrorCode::kUnsupported);
  CHECK(e == "test.onnx: cannot import 3 of 4 nodes; unsupported ONNX ops: AxonTestNoSuchOp (opset 11): 2 nodes, not in "
             "the importer's table; If (opset 11): 1 node, not in the importer's table");
  SECTION("an op older than its table entry") {
    OnnxModel old(6);
    old.Input("x", kFloat, {2});
    old.Node("Erf", {"x"}, {"y"});  // Erf exists from opset 9
    old.Output("y");
    CHECK_THAT(ErrorOf([&] { old.Import(); }, ErrorCode::kUnsupported), Contains("Erf (opset 6): 1 node, imported from opset 9"));
  }
}

TEST_CASE("Session::Load recognizes ONNX and .axon files by content", "[onnx][import]") {
  OnnxModel m;
  m.Input("x", kFloat, {2});
  m.Node("Relu", {"x"}, {"y"});
  m.Output("y");
  const std::string onnx = m.Bytes();
  CHECK(formats::SniffModelFormat(onnx.data(), onnx.size()) == formats::ModelFormat::kOnnx);
  const std::string axon = formats::SerializeModel(m.Import());
  CHECK(formats::SniffModelFormat(axon.data(), axon.size()) == formats::ModelFormat::kAxon);
  CHECK(formats::SniffModelFormat("", 0) == formats::ModelFormat::kUnknown);
  CHECK(formats::SniffModelFormat("garbage", 7) == formats::ModelFormat::kUnknown);
  // Both load through the same call, whatever the origin's name says.
  CHECK(Session::LoadFromBytes(onnx.data(), onnx.size(), {}, "model.axon").outputs()[0].ToString() == "y: f32[2]");
  CHECK(Session::LoadFromBytes(axon.data(), axon.size(), {}, "model.onnx").outputs()[0].ToString() == "y: f32[2]");
  // Bytes that decide nothing are reported in the format the name says.
  CHECK_THAT(ErrorOf([] { Session::LoadFromBytes("garbage", 7, {}, "m.onnx"); }, ErrorCode::kInvalidFile),
             StartsWith("m.onnx: not a valid ONNX model"));
  CHECK_THAT(ErrorOf([] { Session::LoadFromBytes("garbage", 7, {}, "m.axon"); }, ErrorCode::kInvalidFile),
             StartsWith("m.axon: not a valid .axon model file"));
}
