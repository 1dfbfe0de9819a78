// Translations of older ONNX opsets into Axon's (opset 17's) form, checked by running them: each
// imported model must compute what the old op computed.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "graph/op_schema.h"
#include "tests/formats/onnx/onnx_test_util.h"

using namespace axon;
using namespace axon::onnx_test;
using Catch::Matchers::Contains;

namespace {

std::vector<float> Iota(std::size_t n, float scale = 0.1f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * scale - 0.5f;
  return v;
}

std::multiset<std::string> OpsOf(const graph::Model& m) {
  std::multiset<std::string> ops;
  for (const auto& n : m.graph.nodes) ops.insert(n.op_type);
  return ops;
}

// Softmax over rows of `cols` elements (or their log).
std::vector<float> RowSoftmax(const std::vector<float>& x, std::size_t cols, bool log) {
  std::vector<float> y(x.size());
  for (std::size_t r = 0; r < x.size() / cols; ++r) {
    double max = -INFINITY, sum = 0;
    for (std::size_t c = 0; c < cols; ++c) max = std::max<double>(max, x[r * cols + c]);
    for (std::size_t c = 0; c < cols; ++c) sum += std::exp(x[r * cols + c] - max);
    for (std::size_t c = 0; c < cols; ++c) {
      const double e = x[r * cols + c] - max;
      y[r * cols + c] = static_cast<float>(log ? e - std::log(sum) : std::exp(e) / sum);
    }
  }
  return y;
}

void CheckNear(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-6));
}

}  // namespace

TEST_CASE("Softmax and LogSoftmax before opset 13 normalize over all dims from axis on", "[onnx][translate]") {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    INFO(op);
    const bool log = std::string(op) == "LogSoftmax";
    SECTION(std::string(op) + " at axis 1 of a rank-3 input: Flatten, op, Reshape") {
      OnnxModel m(11);
      m.Input("x", kFloat, {2, 3, 4});
      m.Node(op, {"x"}, {"y"}, "sm");  // default axis 1
      m.Output("y");
      CHECK(OpsOf(m.Import()) == std::multiset<std::string>{"Flatten", op, "Reshape"});
      const std::vector<float> x = Iota(24);
      const auto y = m.Load().Run({{"x", Tensor::View(x.data(), {2, 3, 4})}});
      CHECK(y[0].shape() == std::vector<int64_t>{2, 3, 4});
      CheckNear(y[0].ToFloatVector(), RowSoftmax(x, 12, log));
    }
    SECTION(std::string(op) + " at the last axis maps 1:1") {
      OnnxModel m(1);
      m.Input("x", kFloat, {3, 5});
      m.Node(op, {"x"}, {"y"});
      m.Output("y");
      CHECK(OpsOf(m.Import()) == std::multiset<std::string>{op});
      const std::vector<float> x = Iota(15);
      CheckNear(m.Load().Run({{"x", Tensor::View(x.data(), {3, 5})}})[0].ToFloatVector(), RowSoftmax(x, 5, log));
    }
  }
  SECTION("a symbolic dim needs Shape to reshape back") {
    OnnxModel m(11);
    m.Input("x", kFloat, {std::string("batch"), 3, 4});
    m.Node("Softmax", {"x"}, {"y"}, "sm");
    m.Output("y");
    if (graph::FindOpSchema("Shape")) {
      const std::vector<float> x = Iota(24);
      CheckNear(m.Load().Run({{"x", Tensor::View(x.data(), {2, 3, 4})}})[0].ToFloatVector(), RowSoftmax(x, 12, false));
    } else {
      CHECK_THAT(ErrorOf([&] { m.Import(); }, ErrorCode::kUnsupported),
                 Contains("test.onnx: node 'sm' (Softmax, opset 11): axis 1 of an input of unknown shape [batch,3,4] "
                          "needs Axon's Shape op"));
    }
  }
}

TEST_CASE("Reshape before opset 5 takes its shape as an attribute", "[onnx][translate]") {
  OnnxModel m(4);
  m.Input("x", kFloat, {2, 6});
  auto& n = m.Node("Reshape", {"x"}, {"y"});
  AttrInts(n, "shape", {0, 3, -1});
  AttrInts(n, "consumed_inputs", {0});
  m.Output("y");
  const std::vector<float> x = Iota(12);
  const auto y = m.Load().Run({{"x", Tensor::View(x.data(), {2, 6})}});
  CHECK(y[0].shape() == std::vector<int64_t>{2, 3, 2});
  CHECK(y[0].ToFloatVector() == x);
}

TEST_CASE("binary ops before opset 7 broadcast B at an axis", "[onnx][translate]") {
  OnnxModel m(6);
  m.Input("a", kFloat, {2, 3, 4});
  m.Weight("b", {3}, {10, 20, 30});
  auto& n = m.Node("Add", {"a", "b"}, {"y"});
  AttrInt(n, "broadcast", 1);
  AttrInt(n, "axis", 1);
  m.Output("y");
  const std::vector<float> a = Iota(24);
  const auto y = m.Load().Run({{"a", Tensor::View(a.data(), {2, 3, 4})}})[0].ToFloatVector();
  for (std::size_t i = 0; i < 24; ++i) CHECK(y[i] == Approx(a[i] + 10.0f * static_cast<float>((i / 4) % 3 + 1)));
  SECTION("without an axis, B matches A's last dims: numpy's rule") {
    OnnxModel s(6);
    s.Input("a", kFloat, {2, 3});
    s.Weight("b", {3}, {1, 2, 3});
    AttrInt(s.Node("Mul", {"a", "b"}, {"y"}), "broadcast", 1);
    s.Output("y");
    CHECK(OpsOf(s.Import()) == std::multiset<std::string>{"Mul"});
  }
  SECTION("an axis where B does not fit") {
    OnnxModel bad(6);
    bad.Input("a", kFloat, {2, 3});
    bad.Weight("b", {3, 3}, std::vector<float>(9, 1.0f));
    auto& add = bad.Node("Add", {"a", "b"}, {"y"}, "add");
    AttrInt(add, "broadcast", 1);
    AttrInt(add, "axis", 1);
    bad.Output("y");
    CHECK_THAT(ErrorOf([&] { bad.Import(); }, ErrorCode::kInvalidFile),
               Contains("node 'add' (Add, opset 6): B of rank 2 cannot broadcast at axis 1 of A of rank 2"));
  }
}

TEST_CASE("Gemm before opset 7 drops its broadcast flag", "[onnx][translate]") {
  OnnxModel m(6);
  m.Input("a", kFloat, {2, 3});
  m.Weight("b", {3, 2}, {1, 0, 0, 1, 1, 1});
  m.Weight("c", {2}, {100, 200});
  AttrInt(m.Node("Gemm", {"a", "b", "c"}, {"y"}), "broadcast", 1);
  m.Output("y");
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};
  CHECK(m.Load().Run({{"a", Tensor::View(a.data(), {2, 3})}})[0].ToFloatVector() ==
        std::vector<float>{104, 205, 110, 211});
}

TEST_CASE("Dropout is the identity at inference, in every opset", "[onnx][translate]") {
  for (int64_t opset : {6, 7, 10, 12, 13}) {
    INFO("opset " << opset);
    OnnxModel m(opset);
    m.Input("x", kFloat, {4});
    auto& n = m.Node("Dropout", {"x"}, {"y"});
    if (opset < 12) AttrFloat(n, "ratio", 0.5f);
    if (opset < 7) AttrInt(n, "is_test", 1);
    m.Output("y");
    CHECK(OpsOf(m.Import()) == std::multiset<std::string>{"Identity"});
  }
  SECTION("training_mode a constant true (PyTorch's train() export): Axon's Dropout, the identity at inference") {
    OnnxModel m(13);
    m.Input("x", kFloat, {4});
    auto* t = m.g().add_initializer();
    t->set_name("train");
    t->set_data_type(kBool);
    t->add_int32_data(1);
    m.Node("Dropout", {"x", "", "train"}, {"y"}, "drop");
    m.Output("y");
    const graph::Model imported = m.Import();
    REQUIRE(OpsOf(imported) == std::multiset<std::string>{"Dropout"});
    CHECK(std::get<float>(imported.graph.nodes.at(0).attrs.at("ratio")) == 0.5f);  // ONNX's default
    std::vector<float> x = {1, -2, 3, -4};
    CHECK(m.Load().Run({{"x", Tensor::View(x.data(), {4})}})[0].ToFloatVector() == x);
    // Its mask is random: a model that reads it is refused, and so is a computed training_mode.
    m.Output("mask");
    m.g().mutable_node(0)->add_output("mask");
    CHECK_THAT(ErrorOf([&] { m.Import(); }, ErrorCode::kUnsupported), Contains("(the mask) of a training-mode Dropout is read"));
    OnnxModel computed(13);
    computed.Input("x", kFloat, {4});
    computed.Input("train", kBool, {});
    computed.Node("Dropout", {"x", "", "train"}, {"y"}, "drop");
    computed.Output("y");
    CHECK_THAT(ErrorOf([&] { computed.Import(); }, ErrorCode::kUnsupported),
               Contains("node 'drop' (Dropout, opset 13): training_mode is not a constant false"));
  }
  SECTION("training_mode true with a constant ratio of 0 drops nothing: the identity (torchvision's Swin)") {
    for (float ratio : {0.0f, 0.1f}) {
      INFO("ratio " << ratio);
      OnnxModel m(13);
      m.Input("x", kFloat, {4});
      m.Weight("ratio", {}, {ratio});
      auto* t = m.g().add_initializer();
      t->set_name("train");
      t->set_data_type(kBool);
      t->add_int32_data(1);
      m.Node("Dropout", {"x", "ratio", "train"}, {"y", "mask"}, "drop");
      m.Output("y");
      m.Output("mask");
      if (ratio != 0.0f) {  // its mask output is read
        CHECK_THAT(ErrorOf([&] { m.Import(); }, ErrorCode::kUnsupported), Contains("(the mask) of a training-mode Dropout is read"));
        continue;
      }
      std::vector<float> x = {1, -2, 3, -4};
      const auto out = m.Load().Run({{"x", Tensor::View(x.data(), {4})}});
      CHECK(out[0].ToFloatVector() == x);
      REQUIRE(out[1].dtype() == DType::kBool);
      CHECK(std::vector<bool>(out[1].data<bool>(), out[1].data<bool>() + 4) == std::vector<bool>(4, true));
    }
  }
  SECTION("an unread mask is dropped; a read one is all true") {
    OnnxModel m(13);
    m.Input("x", kFloat, {4});
    m.Node("Dropout", {"x"}, {"y", "mask"}, "drop");
    m.Output("y");
    CHECK(m.Import().graph.nodes.at(0).outputs == std::vector<std::string>{"y"});
    m.Output("mask");
    if (graph::FindOpSchema("Shape") && graph::FindOpSchema("Expand")) {
      std::vector<float> x = {1, 2, 3, 4};
      const auto out = m.Load().Run({{"x", Tensor::View(x.data(), {4})}});
      CHECK(out[1].dtype() == DType::kBool);
    } else {
      CHECK_THAT(ErrorOf([&] { m.Import(); }, ErrorCode::kUnsupported), Contains("its mask output is read"));
    }
  }
}

TEST_CASE("ONNX node names that Axon cannot keep get fresh ones; nodes are sorted", "[onnx][translate]") {
  OnnxModel m(13);
  m.Input("x", kFloat, {2});
  // Out of order, two nodes named alike; nodes named like a value (an input, their own output) keep
  // their names: ONNX node and value names are separate namespaces.
  m.Node("Relu", {"a"}, {"y"}, "same");
  m.Node("Sigmoid", {"x"}, {"a"}, "same");
  m.Node("Tanh", {"y"}, {"z"}, "x");
  m.Node("Exp", {"z"}, {"w"}, "w");
  m.Output("w");
  const graph::Model g = m.Import();
  std::vector<std::string> names;
  for (const auto& n : g.graph.nodes) names.push_back(n.op_type + ":" + n.name);
  CHECK(names == std::vector<std::string>{"Sigmoid:same_1", "Relu:same_2", "Tanh:x", "Exp:w"});
  std::vector<float> x = {0, 1};
  CHECK(m.Load().Run({{"x", Tensor::View(x.data(), {2})}})[0].size() == 2);
}

TEST_CASE("an ONNX node named like its own output keeps its name in errors", "[onnx][translate]") {
  OnnxModel m(13);
  m.Input("a", kFloat, {2, 3});
  m.Input("b", kFloat, {4, 5});
  m.Node("MatMul", {"a", "b"}, {"kt"}, "kt");
  m.Output("kt");
  const std::string message = ErrorOf([&] { m.Import(); }, ErrorCode::kInvalidModel);
  CHECK_THAT(message, Contains("'kt'"));
  CHECK_THAT(message, !Contains("kt_1"));
}

TEST_CASE("a 1:1 node's attributes are checked against Axon's op", "[onnx][translate]") {
  OnnxModel m(13);
  m.Input("x", kFloat, {2});
  AttrInt(m.Node("Relu", {"x"}, {"y"}, "r"), "alpha", 1);
  m.Output("y");
  CHECK_THAT(ErrorOf([&] { m.Import(); }, ErrorCode::kInvalidModel), Contains("test.onnx: node 'r' (Relu): unknown attribute 'alpha'"));
}
