// What each translator emits, checked on the graph: many of the ops they emit land in Axon later,
// so these imports run with ImportOptions::allow_missing_schemas and look at nodes, inputs and
// attributes rather than at results (translators_test.cc runs the ones Axon has).
#include <catch2/catch.hpp>

#include "tests/formats/onnx/onnx_test_util.h"

using namespace axon;
using namespace axon::onnx_test;
using Catch::Matchers::Contains;

namespace {

graph::Model Translate(const OnnxModel& m) {
  const std::string b = m.Bytes();
  return formats::onnx_import::Import(b.data(), b.size(), kTestOrigin, {.allow_missing_schemas = true}).model;
}

std::string TranslateError(const OnnxModel& m, ErrorCode code) { return ErrorOf([&] { Translate(m); }, code); }

const graph::Node& ProducerOf(const graph::Model& g, const std::string& value) {
  for (const graph::Node& n : g.graph.nodes)
    for (const std::string& out : n.outputs)
      if (out == value) return n;
  FAIL("no node produces " << value);
  throw;
}

std::vector<int64_t> I64(const graph::Model& g, const std::string& name) {
  const Tensor& t = g.graph.initializers.at(name);
  REQUIRE(t.dtype() == DType::kI64);
  return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.size());
}

std::vector<float> F32(const graph::Model& g, const std::string& name) { return g.graph.initializers.at(name).ToFloatVector(); }

template <class T>
T Attr(const graph::Node& n, const std::string& name) {
  REQUIRE(n.attrs.count(name));
  return std::get<T>(n.attrs.at(name));
}

// x (f32[2,3,4,5]) -> op -> y, at an opset.
OnnxModel Unary(int64_t opset, const std::string& op, ::onnx::NodeProto** node, std::vector<std::string> extra_inputs = {}) {
  OnnxModel m(opset);
  m.Input("x", kFloat, {2, 3, 4, 5});
  std::vector<std::string> inputs = {"x"};
  inputs.insert(inputs.end(), extra_inputs.begin(), extra_inputs.end());
  *node = &m.Node(op, inputs, {"y"}, "n");
  m.Output("y");
  return m;
}

}  // namespace

TEST_CASE("attributes that became inputs become constant inputs", "[onnx][translate]") {
  ::onnx::NodeProto* n;
  SECTION("Squeeze and Unsqueeze before 13") {
    // x f32[2,1,4,5]: dim 1 can be squeezed.
    auto squeeze = [&](int64_t opset, std::vector<std::string> extra = {}) {
      OnnxModel m(opset);
      m.Input("x", kFloat, {2, 1, 4, 5});
      std::vector<std::string> inputs = {"x"};
      inputs.insert(inputs.end(), extra.begin(), extra.end());
      n = &m.Node("Squeeze", inputs, {"y"}, "n");
      m.Output("y");
      return m;
    };
    OnnxModel m = squeeze(11);
    AttrInts(*n, "axes", {1});
    graph::Model g = Translate(m);
    const graph::Node& sq = ProducerOf(g, "y");
    CHECK(sq.op_type == "Squeeze");
    REQUIRE(sq.inputs.size() == 2);
    CHECK(I64(g, sq.inputs[1]) == std::vector<int64_t>{1});
    CHECK(sq.attrs.empty());
    CHECK(ProducerOf(Translate(squeeze(11)), "y").inputs.size() == 1);  // no axes: every 1
    CHECK_THAT(TranslateError(Unary(11, "Unsqueeze", &n), ErrorCode::kInvalidFile),
               Contains("node 'n' (Unsqueeze, opset 11): has no 'axes' attribute"));
    OnnxModel now = squeeze(13, {"axes"});
    now.WeightI64("axes", {1});
    CHECK(ProducerOf(Translate(now), "y").inputs == std::vector<std::string>{"x", "axes"});  // 1:1 from 13
  }
  SECTION("Split before 13") {
    OnnxModel m(11);
    m.Input("x", kFloat, {2, 5});
    auto& s = m.Node("Split", {"x"}, {"a", "b"}, "split");
    AttrInts(s, "split", {2, 3});
    AttrInt(s, "axis", 1);
    m.Output("a");
    m.Output("b");
    const graph::Model g = Translate(m);
    const graph::Node& split = ProducerOf(g, "a");
    CHECK(split.outputs == std::vector<std::string>{"a", "b"});
    CHECK(I64(g, split.inputs.at(1)) == std::vector<int64_t>{2, 3});
    CHECK(Attr<int64_t>(split, "axis") == 1);
  }
  SECTION("Slice before 10") {
    OnnxModel m = Unary(9, "Slice", &n);
    AttrInts(*n, "starts", {0, 1});
    AttrInts(*n, "ends", {1, 1000});
    AttrInts(*n, "axes", {0, 3});
    const graph::Model g = Translate(m);
    const graph::Node& slice = ProducerOf(g, "y");
    REQUIRE(slice.inputs.size() == 4);
    CHECK(I64(g, slice.inputs[1]) == std::vector<int64_t>{0, 1});
    CHECK(I64(g, slice.inputs[2]) == std::vector<int64_t>{1, 1000});
    CHECK(I64(g, slice.inputs[3]) == std::vector<int64_t>{0, 3});
  }
  SECTION("Pad before 11 (Pad-1 calls pads paddings)") {
    for (int64_t opset : {1, 2, 10}) {
      OnnxModel m = Unary(opset, "Pad", &n);
      AttrInts(*n, opset == 1 ? "paddings" : "pads", {0, 0, 1, 1, 0, 0, 1, 1});
      AttrFloat(*n, "value", 1.5f);
      AttrString(*n, "mode", "constant");
      const graph::Model g = Translate(m);
      const graph::Node& pad = ProducerOf(g, "y");
      REQUIRE(pad.inputs.size() == 3);
      CHECK(I64(g, pad.inputs[1]) == std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1});
      CHECK(g.graph.initializers.at(pad.inputs[2]).shape().empty());
      CHECK(F32(g, pad.inputs[2]) == std::vector<float>{1.5f});
      CHECK(Attr<std::string>(pad, "mode") == "constant");
    }
  }
  SECTION("Clip before 11: bounds given become inputs") {
    OnnxModel m = Unary(6, "Clip", &n);
    AttrFloat(*n, "max", 6);
    graph::Model g = Translate(m);
    const graph::Node& clip = ProducerOf(g, "y");
    REQUIRE(clip.inputs.size() == 3);
    CHECK(clip.inputs[1].empty());
    CHECK(F32(g, clip.inputs[2]) == std::vector<float>{6});
    CHECK(ProducerOf(Translate(Unary(6, "Clip", &n)), "y").inputs.size() == 1);
  }
  SECTION("ReduceSum before 13; ReduceMean keeps its axes attribute up to 17") {
    OnnxModel m = Unary(11, "ReduceSum", &n);
    AttrInts(*n, "axes", {0, -1});
    AttrInt(*n, "keepdims", 0);
    graph::Model g = Translate(m);
    const graph::Node& sum = ProducerOf(g, "y");
    CHECK(I64(g, sum.inputs.at(1)) == std::vector<int64_t>{0, -1});
    CHECK(Attr<int64_t>(sum, "keepdims") == 0);
    OnnxModel mean = Unary(17, "ReduceMean", &n);
    AttrInts(*n, "axes", {1});
    const graph::Node r = ProducerOf(Translate(mean), "y");
    CHECK(r.inputs.size() == 1);
    CHECK(Attr<std::vector<int64_t>>(r, "axes") == std::vector<int64_t>{1});
  }
  SECTION("Reshape before 5") {
    OnnxModel m = Unary(1, "Reshape", &n);
    AttrInts(*n, "shape", {6, -1});
    graph::Model g = Translate(m);
    CHECK(I64(g, ProducerOf(g, "y").inputs.at(1)) == std::vector<int64_t>{6, -1});
  }
}

TEST_CASE("attribute defaults and encodings of old opsets", "[onnx][translate]") {
  ::onnx::NodeProto* n;
  SECTION("Concat-1's axis defaults to 1") {
    OnnxModel m = Unary(1, "Concat", &n, {"x"});
    CHECK(Attr<int64_t>(ProducerOf(Translate(m), "y"), "axis") == 1);
  }
  SECTION("Cast-1 names its type") {
    OnnxModel m = Unary(1, "Cast", &n);
    AttrString(*n, "to", "INT64");
    CHECK(Attr<int64_t>(ProducerOf(Translate(m), "y"), "to") == ::onnx::TensorProto::INT64);
    OnnxModel bad = Unary(1, "Cast", &n);
    AttrString(*n, "to", "COMPLEX256");
    CHECK_THAT(TranslateError(bad, ErrorCode::kInvalidFile), Contains("'to' is 'COMPLEX256', not an ONNX data type name"));
  }
  SECTION("unary ops of opset 1 drop consumed_inputs") {
    OnnxModel m = Unary(1, "Relu", &n);
    AttrInts(*n, "consumed_inputs", {0});
    CHECK(ProducerOf(Translate(m), "y").attrs.empty());
  }
  SECTION("PRelu before 7: a slope per channel gets trailing 1s") {
    OnnxModel m = Unary(6, "PRelu", &n, {"slope"});
    m.Weight("slope", {3}, {0.1f, 0.2f, 0.3f});
    const graph::Model g = Translate(m);
    const graph::Node& prelu = ProducerOf(g, "y");
    const graph::Node& reshape = ProducerOf(g, prelu.inputs.at(1));
    CHECK(reshape.op_type == "Reshape");
    CHECK(I64(g, reshape.inputs.at(1)) == std::vector<int64_t>{0, 1, 1});
    OnnxModel now = Unary(9, "PRelu", &n, {"slope"});
    now.Weight("slope", {3, 1, 1}, {0.1f, 0.2f, 0.3f});
    CHECK(ProducerOf(Translate(now), "y").inputs == std::vector<std::string>{"x", "slope"});
  }
}

TEST_CASE("BatchNormalization before 14 in its inference form", "[onnx][translate]") {
  auto bn = [](int64_t opset, int64_t spatial, bool read_mean) {
    OnnxModel m(opset);
    m.Input("x", kFloat, {2, 3, 4, 4});
    for (const char* p : {"scale", "b", "mean", "var"}) m.Weight(p, {3}, {1, 1, 1});
    auto& n = m.Node("BatchNormalization", {"x", "scale", "b", "mean", "var"}, {"y", "m", "v", "sm", "sv"}, "bn");
    AttrInt(n, "spatial", spatial);
    AttrFloat(n, "epsilon", 1e-3f);
    if (opset < 7) AttrInt(n, "is_test", 1);
    m.Output("y");
    if (read_mean) m.Output("m");
    return m;
  };
  for (int64_t opset : {6, 7, 9}) {
    const graph::Model g = Translate(bn(opset, 1, false));
    const graph::Node& n = ProducerOf(g, "y");
    CHECK(n.outputs == std::vector<std::string>{"y"});
    // The training outputs it had mark it as a training-mode export (TrainingSession refuses it).
    CHECK(n.attrs.size() == 2);
    CHECK(Attr<float>(n, "epsilon") == 1e-3f);
    CHECK(Attr<int64_t>(n, "exported_for_training") == 1);
  }
  CHECK_THAT(TranslateError(bn(7, 0, false), ErrorCode::kUnsupported), Contains("spatial=0"));
  CHECK_THAT(TranslateError(bn(9, 1, true), ErrorCode::kUnsupported),
             Contains("output 1 'm' is read, but it is the running or saved statistics that only training computes"));
}

TEST_CASE("Resize-10, Resize-11 and Upsample as Resize-13", "[onnx][translate]") {
  auto resize10 = [](std::vector<float> scales, const char* mode) {
    OnnxModel m(10);
    m.Input("x", kFloat, {1, 1, 4, 4});
    m.Weight("scales", {4}, scales);
    AttrString(m.Node("Resize", {"x", "scales"}, {"y"}, "r"), "mode", mode);
    m.Output("y");
    return m;
  };
  const graph::Node up = ProducerOf(Translate(resize10({1, 1, 2, 2}, "nearest")), "y");
  CHECK(up.inputs == std::vector<std::string>{"x", "", "scales"});
  CHECK(Attr<std::string>(up, "coordinate_transformation_mode") == "asymmetric");
  CHECK(Attr<std::string>(up, "nearest_mode") == "floor");
  CHECK(Attr<std::string>(ProducerOf(Translate(resize10({1, 1, 0.5f, 0.5f}, "nearest")), "y"), "nearest_mode") == "ceil");
  CHECK_THAT(TranslateError(resize10({1, 1, 2, 0.5f}, "nearest"), ErrorCode::kUnsupported),
             Contains("enlarges some dims and shrinks others"));
  const graph::Node linear = ProducerOf(Translate(resize10({1, 1, 0.5f, 3}, "linear")), "y");
  CHECK(Attr<std::string>(linear, "mode") == "linear");
  CHECK(linear.attrs.count("nearest_mode") == 0);

  SECTION("Resize-11: tf_half_pixel_for_nn is refused, an empty scales beside sizes is left out") {
    OnnxModel m(11);
    m.Input("x", kFloat, {1, 1, 4, 4});
    m.Weight("roi", {0}, {});
    m.Weight("scales", {0}, {});
    m.WeightI64("sizes", {1, 1, 8, 8});
    auto& r = m.Node("Resize", {"x", "roi", "scales", "sizes"}, {"y"}, "r");
    m.Output("y");
    CHECK(ProducerOf(Translate(m), "y").inputs == std::vector<std::string>{"x", "roi", "", "sizes"});
    AttrString(r, "coordinate_transformation_mode", "tf_half_pixel_for_nn");
    CHECK_THAT(TranslateError(m, ErrorCode::kUnsupported), Contains("tf_half_pixel_for_nn was removed in opset 13"));
  }
  SECTION("Upsample-7 (scales attribute) and -9 (scales input)") {
    OnnxModel m7(7);
    m7.Input("x", kFloat, {1, 1, 2, 2});
    AttrFloats(m7.Node("Upsample", {"x"}, {"y"}), "scales", {1, 1, 2, 3});
    m7.Output("y");
    const graph::Model g = Translate(m7);
    const graph::Node& r = ProducerOf(g, "y");
    CHECK(r.op_type == "Resize");
    CHECK(F32(g, r.inputs.at(2)) == std::vector<float>{1, 1, 2, 3});
    CHECK(Attr<std::string>(r, "nearest_mode") == "floor");
    OnnxModel m9(9);
    m9.Input("x", kFloat, {1, 1, 2, 2});
    m9.Input("s", kFloat, {4});
    AttrString(m9.Node("Upsample", {"x", "s"}, {"y"}), "mode", "linear");
    m9.Output("y");
    CHECK(ProducerOf(Translate(m9), "y").inputs == std::vector<std::string>{"x", "", "s"});
  }
}

TEST_CASE("ConstantOfShape is Expand of its one-element value", "[onnx][translate]") {
  OnnxModel m(9);
  m.Input("shape", kInt64, {2});
  auto& n = m.Node("ConstantOfShape", {"shape"}, {"y"});
  auto& value = AttrTensor(n, "value");
  value.set_data_type(kInt64);
  value.add_dims(1);
  value.add_int64_data(7);
  m.Output("y");
  const graph::Model g = Translate(m);
  const graph::Node& expand = ProducerOf(g, "y");
  CHECK(expand.op_type == "Expand");
  const Tensor& v = g.graph.initializers.at(expand.inputs.at(0));
  CHECK(v.dtype() == DType::kI64);
  CHECK(v.shape().empty());
  CHECK(v.data<int64_t>()[0] == 7);
  CHECK(expand.inputs.at(1) == "shape");
}

TEST_CASE("Dropout-12 with a ratio input and ops of the current form map as they are", "[onnx][translate]") {
  OnnxModel m(12);
  m.Input("x", kFloat, {1, 3, 8, 8});
  m.Weight("ratio", {}, {0.3f});
  m.Weight("w", {4, 3, 3, 3}, std::vector<float>(108, 0.5f));
  m.Node("Dropout", {"x", "ratio"}, {"d"});
  auto& conv = m.Node("Conv", {"d", "w"}, {"y"}, "conv");
  AttrInts(conv, "pads", {1, 1, 1, 1});
  AttrInts(conv, "strides", {2, 2});
  m.Output("y");
  const graph::Model g = Translate(m);
  CHECK(ProducerOf(g, "d").op_type == "Identity");
  CHECK(ProducerOf(g, "d").inputs == std::vector<std::string>{"x"});
  const graph::Node& c = ProducerOf(g, "y");
  CHECK(c.name == "conv");
  CHECK(Attr<std::vector<int64_t>>(c, "strides") == std::vector<int64_t>{2, 2});
}
