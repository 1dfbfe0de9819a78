// Hostile ONNX files get what hostile .axon files get: every one must load to a model or to a clear
// one-line axon::Error naming the file (kInvalidFile or kUnsupported), never to a crash, an
// overflow, a hang or an allocation the file's size does not pay for. One hole a section, then a
// deterministic fuzzer over mutated ONNX models (AXON_FUZZ_ITERATIONS, AXON_FUZZ_VERBOSE as in
// fuzz_load_test.cc).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <limits>
#include <optional>
#include <random>

#include "tests/formats/onnx/onnx_test_util.h"

using namespace axon;
using namespace axon::onnx_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr const char* kHostile = "hostile.onnx";

std::string LoadError(const std::string& bytes, ErrorCode code = ErrorCode::kInvalidFile) {
  return ErrorOf([&] { Session::LoadFromBytes(bytes.data(), bytes.size(), {.threads = 1}, kHostile); }, code);
}
std::string LoadError(const OnnxModel& m, ErrorCode code = ErrorCode::kInvalidFile) { return LoadError(m.Bytes(), code); }

// x f32[2,2] -> Add(x, w) -> y, with w as the test makes it.
OnnxModel WithWeight(const std::function<void(::onnx::TensorProto&)>& fill) {
  OnnxModel m(13);
  m.Input("x", kFloat, {2, 2});
  auto* w = m.g().add_initializer();
  w->set_name("w");
  fill(*w);
  m.Node("Add", {"x", "w"}, {"y"}, "add");
  m.Output("y");
  return m;
}

// A small MLP of opset 11 (Gemm, Relu, Softmax before 13) with weights in raw and typed fields.
OnnxModel MlpModel() {
  OnnxModel m(11);
  m.Input("x", kFloat, {std::string("batch"), 4});
  std::vector<float> w1(32), w2(24);
  for (std::size_t i = 0; i < w1.size(); ++i) w1[i] = static_cast<float>(i % 7) * 0.1f - 0.3f;
  for (std::size_t i = 0; i < w2.size(); ++i) w2[i] = static_cast<float>(i % 5) * 0.2f - 0.4f;
  m.Weight("w1", {8, 4}, w1);
  m.Weight("b1", {8}, std::vector<float>(8, 0.1f), /*typed=*/true);
  m.Weight("w2", {8, 3}, w2, /*typed=*/true);
  AttrInt(m.Node("Gemm", {"x", "w1", "b1"}, {"h"}, "fc1"), "transB", 1);
  m.Node("Relu", {"h"}, {"r"}, "relu");
  m.Node("Gemm", {"r", "w2"}, {"z"}, "fc2");
  AttrInt(m.Node("Softmax", {"z"}, {"y"}, "softmax"), "axis", 1);
  m.Output("y", kFloat, {std::string("batch"), 3});
  return m;
}

// Opset 6 translations: broadcast by axis, Dropout's is_test, Constant.
OnnxModel LegacyModel() {
  OnnxModel m(6, 3);
  m.Input("x", kFloat, {2, 3, 4});
  m.Input("b", kFloat, {3});  // IR 3: a weight listed as an input too
  m.Weight("b", {3}, {1, 2, 3});
  auto& add = m.Node("Add", {"x", "b"}, {"a"}, "add");
  AttrInt(add, "broadcast", 1);
  AttrInt(add, "axis", 1);
  AttrInts(m.Node("Constant", {}, {"shape"}, "shape"), "value_ints", {2, 12});  // Reshape-5: shape is an input
  m.Node("Reshape", {"a", "shape"}, {"r"}, "reshape");
  AttrInt(m.Node("Dropout", {"r"}, {"d"}, "drop"), "is_test", 1);
  auto& c = m.Node("Constant", {}, {"k"}, "k");
  OnnxModel::FillFloat(AttrTensor(c, "value"), {1}, {0.5f}, true);
  m.Node("Mul", {"d", "k"}, {"s"}, "scale");
  m.Node("LogSoftmax", {"s"}, {"y"}, "logsoftmax");
  m.Output("y");
  return m;
}

OnnxModel ConstantsModel() {
  OnnxModel m(13);
  m.Input("x", kFloat, {3});
  AttrFloats(m.Node("Constant", {}, {"c1"}), "value_floats", {1, 2, 3});
  AttrFloat(m.Node("Constant", {}, {"c2"}), "value_float", 2);
  AttrInts(m.Node("Constant", {}, {"shape"}), "value_ints", {3, 1});
  m.Node("Div", {"x", "c2"}, {"a"});
  m.Node("Sub", {"a", "c1"}, {"b"});
  m.Node("Reshape", {"b", "shape"}, {"c"});
  m.Node("Transpose", {"c"}, {"t"});
  m.Node("MatMul", {"c", "t"}, {"y"});
  m.Output("y");
  m.Output("b");
  return m;
}

}  // namespace

TEST_CASE("hostile ONNX: sizes are checked before anything is allocated", "[robustness][onnx]") {
  SECTION("huge dims with little data") {
    const std::string e = LoadError(WithWeight([](auto& t) {
      t.set_data_type(kFloat);
      t.add_dims(int64_t{1} << 40);
      t.add_dims(int64_t{1} << 40);
      t.set_raw_data("1234");
    }));
    CHECK_THAT(e, StartsWith("hostile.onnx: initializer 'w' f32[1099511627776,1099511627776] has too many elements"));
  }
  SECTION("a zero dim does not excuse the others") {
    CHECK_THAT(LoadError(WithWeight([](auto& t) {
                 t.set_data_type(kFloat);
                 for (int64_t d : {int64_t{0}, int64_t{1} << 62, int64_t{1} << 62}) t.add_dims(d);
               })),
               Contains("has too many elements"));
  }
  SECTION("negative dims, too many dims") {
    CHECK_THAT(LoadError(WithWeight([](auto& t) {
                 t.set_data_type(kFloat);
                 t.add_dims(-4);
               })),
               Contains("initializer 'w' has negative dim 0 in [-4]"));
    CHECK_THAT(LoadError(WithWeight([](auto& t) {
                 t.set_data_type(kFloat);
                 for (int i = 0; i < 65; ++i) t.add_dims(1);
               })),
               Contains("initializer 'w' has 65 dims; at most 64"));
  }
  SECTION("raw_data shorter or longer than the dims need") {
    CHECK_THAT(LoadError(WithWeight([](auto& t) {
                 t.set_data_type(kFloat);
                 t.add_dims(1000000);
                 t.set_raw_data(std::string(12, '\0'));
               })),
               Contains("initializer 'w' f32[1000000] needs 4000000 bytes, raw_data has 12"));
  }
  SECTION("typed fields whose counts do not match the dims") {
    CHECK_THAT(LoadError(WithWeight([](auto& t) {
                 t.set_data_type(kFloat);
                 t.add_dims(2);
                 t.add_dims(2);
                 for (float v : {1.0f, 2.0f, 3.0f}) t.add_float_data(v);
               })),
               Contains("initializer 'w' f32[2,2] has 3 elements in float_data, its dims need 4"));
    CHECK_THAT(LoadError(WithWeight([](auto& t) {
                 t.set_data_type(kFloat);
                 t.add_dims(2);
               })),
               Contains("f32[2] has no data (neither raw_data nor float_data)"));
    CHECK_THAT(LoadError(WithWeight([](auto& t) {
                 t.set_data_type(kFloat);
                 t.add_dims(1);
                 t.add_int64_data(1);
               })),
               Contains("has data in int64_data, which does not hold FLOAT"));
    CHECK_THAT(LoadError(WithWeight([](auto& t) {
                 t.set_data_type(kFloat);
                 t.add_dims(1);
                 t.add_float_data(1);
                 t.set_raw_data(std::string(4, '\0'));
               })),
               Contains("has both raw_data and float_data"));
    CHECK_THAT(LoadError(WithWeight([](auto& t) {
                 t.set_data_type(kInt8);
                 t.add_dims(1);
                 t.add_int32_data(300);
               })),
               Contains("has element 0 = 300 in int32_data, outside -128..127"));
    CHECK_THAT(LoadError(WithWeight([](auto& t) {
                 t.set_data_type(kBool);
                 t.add_dims(1);
                 t.set_raw_data(std::string(1, '\x02'));
               })),
               Contains("has element 0 = 2: a bool must be 0 or 1"));
  }
  SECTION("declared input dims that no tensor could have") {
    OnnxModel m;
    m.Input("x", kFloat, {int64_t{1} << 40, int64_t{1} << 40, 0});
    m.Node("Identity", {"x"}, {"y"});
    m.Output("y");
    CHECK_THAT(LoadError(m), Contains("hostile.onnx: graph input x: f32[1099511627776,1099511627776,0] has more than"));
    OnnxModel neg;
    neg.Input("x", kFloat, {int64_t{-7}});
    neg.Node("Identity", {"x"}, {"y"});
    neg.Output("y");
    CHECK_THAT(LoadError(neg), Contains("graph input 'x' dim 0 is -7; a known dim must be >= 0"));
  }
  SECTION("a file whose parsed form would dwarf it") {
    // 10M empty nodes (GraphProto field 1) in the graph (ModelProto field 7): 20 MB of file.
    std::string nodes;
    for (int i = 0; i < 10'000'000; ++i) nodes += std::string("\x0a\x00", 2);
    std::string graph = "\x3a";
    for (uint64_t v = nodes.size(); ; v >>= 7) {
      graph += static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
      if (v < 0x80) break;
    }
    const std::string bomb = std::string("\x08\x08", 2) + graph + nodes;
    CHECK_THAT(LoadError(bomb), Contains("hostile.onnx: has too many nodes, values, attributes or list entries"));
  }
}

TEST_CASE("hostile ONNX: the graph's structure is checked", "[robustness][onnx]") {
  SECTION("a dangling input name") {
    OnnxModel m;
    m.Input("x", kFloat, {2});
    m.Node("Relu", {"nowhere"}, {"y"}, "r");
    m.Output("y");
    CHECK(LoadError(m) == "hostile.onnx: node 'r' (Relu): input 0 'nowhere' is not defined by any node, graph input or initializer");
  }
  SECTION("a cycle") {
    OnnxModel m;
    m.Input("x", kFloat, {2});
    m.Node("Add", {"x", "b"}, {"a"}, "n1");
    m.Node("Relu", {"a"}, {"b"}, "n2");
    m.Output("b");
    CHECK_THAT(LoadError(m), Contains("hostile.onnx: the graph has a cycle through node 'n1' (Add)"));
  }
  SECTION("a value defined twice") {
    OnnxModel m;
    m.Input("x", kFloat, {2});
    m.Node("Relu", {"x"}, {"y"}, "a");
    m.Node("Tanh", {"x"}, {"y"}, "b");
    m.Output("y");
    CHECK_THAT(LoadError(m), Contains("node 'b' (Tanh) defines 'y', which node 'a' (Relu) defines already"));
    OnnxModel shadow;
    shadow.Input("x", kFloat, {2});
    shadow.Node("Relu", {"x"}, {"x"}, "a");
    shadow.Output("x");
    CHECK_THAT(LoadError(shadow), Contains("defines 'x', which a graph input or initializer defines already"));
  }
  SECTION("an undefined graph output, an empty name, a name that is not UTF-8") {
    OnnxModel m;
    m.Input("x", kFloat, {2});
    m.Node("Relu", {"x"}, {"y"});
    m.Output("z");
    CHECK_THAT(LoadError(m), Contains("graph output 'z' is not defined"));
    OnnxModel empty;
    empty.Input("", kFloat, {2});
    empty.Output("y");
    CHECK_THAT(LoadError(empty), Contains("graph input #0 has an empty name"));
    OnnxModel utf;
    utf.Input("x", kFloat, {2});
    utf.Node("Relu", {"x"}, {"\xff\xfe"});
    utf.Output("\xff\xfe");
    CHECK_THAT(LoadError(utf), Contains("output 0 is not valid UTF-8"));
  }
  SECTION("no opset for the default domain, no ir_version, no graph, an empty file") {
    OnnxModel m;
    m.m.clear_opset_import();
    m.Input("x", kFloat, {2});
    m.Node("Relu", {"x"}, {"y"});
    m.Output("y");
    CHECK_THAT(LoadError(m), Contains("has nodes of the default ONNX domain but no opset_import for it"));
    OnnxModel no_ir;
    no_ir.m.clear_ir_version();
    no_ir.Output("y");
    CHECK_THAT(LoadError(no_ir), Contains("has no ir_version: not an ONNX model"));
    CHECK_THAT(LoadError(std::string()), Contains("file is empty"));
    CHECK(ErrorOf([] { Session::LoadFromBytes("", 0, {}, "empty.onnx"); }, ErrorCode::kInvalidFile) ==
          "empty.onnx: file is empty: not an ONNX model");
  }
  SECTION("attributes: twice, of no value, subgraphs") {
    OnnxModel m;
    m.Input("x", kFloat, {2});
    auto& n = m.Node("Flatten", {"x"}, {"y"}, "f");
    AttrInt(n, "axis", 0);
    AttrInt(n, "axis", 1);
    m.Output("y");
    CHECK_THAT(LoadError(m), Contains("node 'f' (Flatten) has attribute 'axis' twice"));
    n.mutable_attribute()->RemoveLast();
    n.mutable_attribute(0)->clear_i();
    n.mutable_attribute(0)->clear_type();
    CHECK_THAT(LoadError(m), Contains("node 'f' (Flatten) attribute 'axis' has no value"));
    auto* g = n.mutable_attribute(0);
    g->set_type(::onnx::AttributeProto::GRAPH);
    g->mutable_g()->set_name("sub");
    CHECK_THAT(LoadError(m, ErrorCode::kUnsupported), Contains("attribute 'axis' is a GRAPH, which Axon does not import"));
  }
}

TEST_CASE("hostile ONNX: truncated at every length, the file is refused cleanly", "[robustness][onnx]") {
  const std::string bytes = MlpModel().Bytes();
  REQUIRE_NOTHROW(Session::LoadFromBytes(bytes.data(), bytes.size(), {}, kHostile));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("truncated to " << n << " of " << bytes.size() << " bytes");
    try {
      Session::LoadFromBytes(bytes.data(), n, {.threads = 1}, kHostile);
    } catch (const Error& e) {
      CHECK(e.code() != ErrorCode::kInternal);
      CHECK_THAT(e.what(), StartsWith("hostile.onnx: "));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The fuzzer.

namespace {

class OnnxMutator {
 public:
  explicit OnnxMutator(uint64_t seed) : rng_(seed) {}
  std::size_t Below(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool OneIn(std::size_t n) { return Below(n) == 0; }
  template <class T> const T& Pick(const std::vector<T>& v) { return v[Below(v.size())]; }
  int64_t Int() {
    return Pick(std::vector<int64_t>{-2, -1, 0, 1, 2, 3, 7, 13, 17, 18, 64, 65, int64_t{1} << 31, int64_t{1} << 40,
                                     std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()});
  }

  std::string Name(::onnx::GraphProto& g) {
    std::vector<std::string> names = {"", "x", "y", "nowhere", "\xff"};
    for (const auto& n : g.node())
      for (const auto& o : n.output()) names.push_back(o);
    for (const auto& t : g.initializer()) names.push_back(t.name());
    return Pick(names);
  }

  std::string Mutate(::onnx::ModelProto& m) {
    ::onnx::GraphProto& g = *m.mutable_graph();
    const int nodes = g.node_size();
    switch (Below(11)) {
      case 0:
        m.mutable_opset_import(0)->set_version(Pick(std::vector<int64_t>{0, 1, 5, 6, 7, 9, 10, 11, 12, 13, 17, 18, -3}));
        return "opset " + std::to_string(m.opset_import(0).version());
      case 1: {
        if (!nodes) return "no node";
        const std::string op = Pick(std::vector<std::string>{"Relu", "Softmax", "Reshape", "Add", "Gemm", "Constant",
                                                             "Dropout", "Flatten", "Transpose", "NoSuchOp", "If", ""});
        g.mutable_node(static_cast<int>(Below(nodes)))->set_op_type(op);
        return "op " + op;
      }
      case 2: {
        if (!nodes) return "no node";
        auto* n = g.mutable_node(static_cast<int>(Below(nodes)));
        auto* a = n->add_attribute();
        a->set_name(Pick(std::vector<std::string>{"axis", "perm", "broadcast", "shape", "transB", "alpha", "value",
                                                  "is_test", "value_ints", "to", ""}));
        switch (Below(5)) {
          case 0: a->set_type(::onnx::AttributeProto::INT); a->set_i(Int()); break;
          case 1: a->set_type(::onnx::AttributeProto::FLOAT); a->set_f(std::numeric_limits<float>::quiet_NaN()); break;
          case 2: a->set_type(::onnx::AttributeProto::INTS); for (std::size_t i = Below(70); i; --i) a->add_ints(Int()); break;
          case 3: a->set_type(::onnx::AttributeProto::TENSOR); a->mutable_t()->set_data_type(static_cast<int>(Below(17))); a->mutable_t()->add_dims(Int()); break;
          default: a->set_type(static_cast<::onnx::AttributeProto::AttributeType>(Below(15)));
        }
        return "attribute " + a->name();
      }
      case 3: {
        if (!nodes) return "no node";
        auto* n = g.mutable_node(static_cast<int>(Below(nodes)));
        if (n->input_size() && OneIn(2)) n->set_input(static_cast<int>(Below(n->input_size())), Name(g));
        else n->add_input(Name(g));
        return "input renamed";
      }
      case 4: {
        if (!nodes) return "no node";
        auto* n = g.mutable_node(static_cast<int>(Below(nodes)));
        if (n->output_size()) n->set_output(static_cast<int>(Below(n->output_size())), Name(g));
        return "output renamed";
      }
      case 5: {
        if (!g.initializer_size()) return "no initializer";
        auto* t = g.mutable_initializer(static_cast<int>(Below(g.initializer_size())));
        switch (Below(5)) {
          case 0: if (t->dims_size()) t->set_dims(static_cast<int>(Below(t->dims_size())), Int()); break;
          case 1: t->set_data_type(static_cast<int>(Below(17))); break;
          case 2: if (t->has_raw_data()) t->mutable_raw_data()->resize(Below(t->raw_data().size() + 2)); break;
          case 3: t->add_float_data(1); break;
          default: t->add_dims(Int());
        }
        return "initializer " + t->name();
      }
      case 6: {
        if (!g.input_size()) return "no input";
        auto* v = g.mutable_input(static_cast<int>(Below(g.input_size())));
        auto* tt = v->mutable_type()->mutable_tensor_type();
        if (OneIn(3)) tt->set_elem_type(static_cast<int>(Below(17)));
        else if (tt->has_shape() && tt->shape().dim_size()) {
          auto* d = tt->mutable_shape()->mutable_dim(static_cast<int>(Below(tt->shape().dim_size())));
          if (OneIn(2)) d->set_dim_value(Int()); else d->set_dim_param(OneIn(2) ? "batch" : "");
        } else {
          tt->clear_shape();
        }
        return "input type";
      }
      case 7:
        if (!nodes) return "no node";
        g.mutable_node()->SwapElements(static_cast<int>(Below(nodes)), static_cast<int>(Below(nodes)));
        return "nodes swapped";
      case 8:
        if (!nodes) return "no node";
        if (OneIn(2)) g.mutable_node()->Add()->CopyFrom(g.node(static_cast<int>(Below(nodes))));
        else g.mutable_node()->DeleteSubrange(static_cast<int>(Below(nodes)), 1);
        return "node copied or deleted";
      case 9:
        if (g.output_size()) g.mutable_output(static_cast<int>(Below(g.output_size())))->set_name(Name(g));
        return "graph output renamed";
      default:
        m.set_ir_version(Pick(std::vector<int64_t>{0, 1, 2, 3, 4, 8, 9, 100}));
        return "ir_version";
    }
  }

  std::string MutateBytes(std::string& b) {
    if (b.empty()) return "empty";
    switch (Below(3)) {
      case 0: {
        for (std::size_t i = 1 + Below(4); i; --i) b[Below(b.size())] ^= static_cast<char>(1 << Below(8));
        return "bits flipped";
      }
      case 1: b.resize(Below(b.size())); return "truncated";
      default: {
        const std::size_t at = Below(b.size());
        b.insert(at, b.substr(Below(b.size()), Below(16)));
        return "bytes spliced";
      }
    }
  }

 private:
  std::mt19937_64 rng_;
};

int FuzzIterations() {
  if (const char* n = std::getenv("AXON_FUZZ_ITERATIONS")) return std::max(1, std::atoi(n));
  return 2000;
}

}  // namespace

TEST_CASE("mutated ONNX models load and run to a result or an axon::Error naming the file", "[robustness][onnx][fuzz]") {
  const std::vector<std::pair<const char*, OnnxModel>> seeds = {
      {"mlp", MlpModel()}, {"legacy", LegacyModel()}, {"constants", ConstantsModel()}};
  for (const auto& [name, model] : seeds) {
    INFO("seed model " << name);
    REQUIRE_NOTHROW(model.Load());  // the mutants start from working models
  }
  int loaded = 0, refused = 0, ran = 0;
  const int iterations = FuzzIterations();
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    for (int i = 0; i < iterations; ++i) {
      OnnxMutator mut(s * 1000003 + static_cast<uint64_t>(i) + 77);
      ::onnx::ModelProto m = seeds[s].second.m;
      std::string what = seeds[s].first + std::string(": ");
      for (std::size_t k = mut.OneIn(3) ? 2 + mut.Below(3) : 1; k; --k) what += mut.Mutate(m) + "; ";
      std::string bytes = m.SerializeAsString();
      if (mut.OneIn(5)) what += mut.MutateBytes(bytes);
      INFO("case " << s << "/" << i << ": " << what);
      if (std::getenv("AXON_FUZZ_VERBOSE")) std::fprintf(stderr, "%s\n", what.c_str());
      std::optional<Session> session;
      try {
        session.emplace(Session::LoadFromBytes(bytes.data(), bytes.size(), {.threads = 1, .memory_limit_bytes = 64 << 20},
                                               "fuzz.onnx"));
        ++loaded;
      } catch (const Error& e) {
        ++refused;
        INFO(e.what());
        CHECK(e.code() != ErrorCode::kInternal);
        CHECK_THAT(e.what(), StartsWith("fuzz.onnx: "));
        continue;
      } catch (const std::exception& e) {
        FAIL("LoadFromBytes threw a non-axon exception: " << e.what());
      }
      // Run on inputs of the declared shapes (unknown dims 2), when small.
      std::vector<NamedTensor> inputs;
      bool small = true;
      for (const TensorInfo& info : session->inputs()) {
        std::vector<int64_t> shape;
        int64_t count = 1;
        for (int64_t d : info.shape) {
          shape.push_back(d >= 0 ? d : 2);
          count *= std::max<int64_t>(1, std::min<int64_t>(shape.back(), 1 << 20));
          small = small && shape.back() <= 4096 && count <= 1 << 20;
        }
        if (!small) break;
        inputs.emplace_back(info.name, Tensor::Zeros(info.dtype == DType::kUndefined ? DType::kF32 : info.dtype, shape));
      }
      if (!small) continue;
      try {
        session->Run(inputs);
        ++ran;
      } catch (const Error& e) {
        INFO(e.what());
        CHECK(e.code() != ErrorCode::kInternal);
        CHECK_THAT(e.what(), StartsWith("fuzz.onnx: "));
      } catch (const std::exception& e) {
        FAIL("Run threw a non-axon exception: " << e.what());
      }
    }
  }
  INFO("loaded " << loaded << ", refused " << refused << ", ran " << ran);
  const int total = iterations * static_cast<int>(seeds.size());
  CHECK(loaded > total / 20);
  CHECK(refused > total / 4);
  CHECK(ran > total / 20);
}
