// Tests of the .axon reader/writer: exact round trips, the wire format itself, and hostile files.
//
// Hostile files are built with a small protobuf wire-format writer (Wire, below) rather than the
// generated classes: it can express anything a corrupt file can, and since it spells out the
// field numbers of proto/axon.proto, these tests also pin the on-disk format.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "formats/axon_format.h"
#include "formats/checksum.h"
#include "tests/formats/format_test_util.h"

using namespace axon;
using namespace axon::formats;
using axon::formats::test::ErrorOf;
using axon::formats::test::SameTensor;
using axon::formats::test::ScratchDir;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using graph::Dim;
using graph::Shape;
using graph::ValueInfo;

namespace {

// ---------------------------------------------------------------------------------------------
// Protobuf wire format, by hand.
class Wire {
 public:
  Wire& Int(int field, int64_t v) {
    Key(field, 0);
    Varint(static_cast<uint64_t>(v));
    return *this;
  }
  Wire& Str(int field, std::string_view s) {
    Key(field, 2);
    Varint(s.size());
    bytes_ += s;
    return *this;
  }
  Wire& Msg(int field, const Wire& m) { return Str(field, m.bytes_); }
  Wire& Float(int field, float v) {
    Key(field, 5);
    return Fixed(std::bit_cast<uint32_t>(v), 4);
  }
  Wire& Double(int field, double v) {
    Key(field, 1);
    return Fixed(std::bit_cast<uint64_t>(v), 8);
  }
  Wire& PackedInts(int field, const std::vector<int64_t>& values) {
    Wire w;
    for (int64_t v : values) w.Varint(static_cast<uint64_t>(v));
    return Str(field, w.bytes_);
  }
  // Raw bytes, for headers that lie (e.g. a length longer than the file).
  Wire& Raw(std::string_view b) {
    bytes_ += b;
    return *this;
  }
  Wire& Key(int field, int wire_type) {
    Varint(static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire_type));
    return *this;
  }
  Wire& Varint(uint64_t v) {
    for (; v >= 0x80; v >>= 7) bytes_ += static_cast<char>(v | 0x80);
    bytes_ += static_cast<char>(v);
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  Wire& Fixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes_ += static_cast<char>((v >> (8 * i)) & 0xFF);
    return *this;
  }
  std::string bytes_;
};

// Field numbers of proto/axon.proto.
namespace f {
enum Model { kFormatVersion = 1, kProducerName, kProducerVersion, kOpset, kGraph, kMetadata, kTraining };
enum Graph { kGName = 1, kNodes, kInputs, kOutputs, kInitializers, kValueInfo };
enum Node { kNName = 1, kOpType, kIn, kOut, kAttrs };
enum Attr { kAName = 1, kI, kF, kS, kInts, kFloats, kStrings };
enum ValueInfo { kVName = 1, kVDtype, kHasShape, kDims };
enum Dim { kValue = 1, kSymbol };
enum Tensor { kTName = 1, kTDtype, kTDims, kRaw };
enum Training { kStep = 1, kOptimizer, kHyper, kParams, kEpoch, kShuffleSeed, kLoss };
enum Param { kParameter = 1, kSlots };
constexpr int kF32 = 1, kI64 = 2;
}  // namespace f

std::string F32Bytes(std::vector<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());  // the tests run on little-endian hosts
  return s;
}

Wire TensorMsg(const std::string& name, int dtype, const std::vector<int64_t>& dims, const std::string& raw) {
  Wire t;
  t.Str(f::kTName, name).Int(f::kTDtype, dtype).PackedInts(f::kTDims, dims).Str(f::kRaw, raw);
  return t;
}

// A model around `graph` with the header fields right.
Wire ModelMsg(const Wire& graph) {
  Wire m;
  m.Int(f::kFormatVersion, 1).Str(f::kProducerName, "test").Int(f::kOpset, 1).Msg(f::kGraph, graph);
  return m;
}

graph::Model Parse(const Wire& w) { return ParseModel(w.bytes().data(), w.bytes().size(), "model.axon"); }
graph::Model Parse(const std::string& b) { return ParseModel(b.data(), b.size(), "model.axon"); }

// The message of the error that parsing `w` as "model.axon" gives.
std::string ParseError(const Wire& w, ErrorCode code = ErrorCode::kInvalidFile) {
  return ErrorOf([&] { Parse(w); }, code);
}

// ---------------------------------------------------------------------------------------------
// Comparing models field by field (the IR has no operator==).

bool SameAttr(const graph::Attribute& a, const graph::Attribute& b) {
  if (a.index() != b.index()) return false;
  if (const float* x = std::get_if<float>(&a))  // bitwise: NaN and -0.0 must survive
    return std::bit_cast<uint32_t>(*x) == std::bit_cast<uint32_t>(std::get<float>(b));
  if (const auto* x = std::get_if<std::vector<float>>(&a)) {
    const auto& y = std::get<std::vector<float>>(b);
    return x->size() == y.size() && (x->empty() || std::memcmp(x->data(), y.data(), x->size() * 4) == 0);
  }
  return a == b;
}

void RequireSameValueInfo(const ValueInfo& a, const ValueInfo& b) {
  INFO(a.ToString() << " vs " << b.ToString());
  CHECK(a.name == b.name);
  CHECK(a.dtype == b.dtype);
  CHECK(a.shape == b.shape);
}

void RequireSameModel(const graph::Model& a, const graph::Model& b) {
  CHECK(a.format_version == b.format_version);
  CHECK(a.producer_name == b.producer_name);
  CHECK(a.producer_version == b.producer_version);
  CHECK(a.opset_version == b.opset_version);
  CHECK(a.metadata == b.metadata);
  CHECK(a.graph.name == b.graph.name);
  REQUIRE(a.graph.nodes.size() == b.graph.nodes.size());
  for (std::size_t i = 0; i < a.graph.nodes.size(); ++i) {
    const graph::Node& x = a.graph.nodes[i];
    const graph::Node& y = b.graph.nodes[i];
    INFO("node " << i << " " << x.Describe());
    CHECK(x.name == y.name);
    CHECK(x.op_type == y.op_type);
    CHECK(x.inputs == y.inputs);
    CHECK(x.outputs == y.outputs);
    REQUIRE(x.attrs.size() == y.attrs.size());
    for (auto xi = x.attrs.begin(), yi = y.attrs.begin(); xi != x.attrs.end(); ++xi, ++yi) {
      INFO("attribute " << xi->first);
      CHECK(xi->first == yi->first);
      CHECK(SameAttr(xi->second, yi->second));
    }
  }
  REQUIRE(a.graph.inputs.size() == b.graph.inputs.size());
  for (std::size_t i = 0; i < a.graph.inputs.size(); ++i) RequireSameValueInfo(a.graph.inputs[i], b.graph.inputs[i]);
  REQUIRE(a.graph.outputs.size() == b.graph.outputs.size());
  for (std::size_t i = 0; i < a.graph.outputs.size(); ++i)
    RequireSameValueInfo(a.graph.outputs[i], b.graph.outputs[i]);
  REQUIRE(a.graph.value_info.size() == b.graph.value_info.size());
  for (auto x = a.graph.value_info.begin(), y = b.graph.value_info.begin(); x != a.graph.value_info.end(); ++x, ++y) {
    CHECK(x->first == y->first);
    RequireSameValueInfo(x->second, y->second);
  }
  REQUIRE(a.graph.initializers.size() == b.graph.initializers.size());
  for (auto x = a.graph.initializers.begin(), y = b.graph.initializers.begin(); x != a.graph.initializers.end();
       ++x, ++y) {
    INFO("initializer " << x->first);
    CHECK(x->first == y->first);
    CHECK(SameTensor(x->second, y->second));
  }
}

// A model using every feature of the format.
graph::Model RichModel() {
  const float nan = std::bit_cast<float>(uint32_t{0x7FC01234});  // a NaN with a payload
  graph::Model m;
  m.producer_name = "axon-test";
  m.producer_version = "1.2.3";
  m.metadata = {{"author", "tests"}, {"empty", ""}, {"unicode", "模型 ✓"}};
  graph::Graph& g = m.graph;
  g.name = "rich";
  g.inputs = {ValueInfo{"x", DType::kF32, Shape({Dim::Symbol("batch"), 784})},
              ValueInfo{"ids", DType::kI64, Shape({Dim(), Dim(0), Dim::Symbol("seq")})},
              ValueInfo{"anything", DType::kUndefined, Shape::UnknownRank()},
              ValueInfo{"scalar", DType::kF32, Shape(std::vector<Dim>{})}};
  g.outputs = {ValueInfo{"y", DType::kF32, Shape({Dim::Symbol("batch"), 10})}};
  g.value_info["h"] = ValueInfo{"h", DType::kF32, Shape({Dim::Symbol("batch"), 512})};
  g.value_info["u"] = ValueInfo{"u", DType::kUndefined, Shape::UnknownRank()};
  g.initializers["fc1.weight"] = Tensor::FromVector(std::vector<float>{1.5f, -0.0f, nan, 1e-45f, INFINITY, -3.25f}, {2, 3});
  g.initializers["fc1.bias"] = Tensor::FromVector(std::vector<float>{0.25f, -0.5f}, {2});
  g.initializers["shape"] = Tensor::FromVector(std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1, 0,
                                                                    std::numeric_limits<int64_t>::max()},
                                               {4});
  g.initializers["empty"] = Tensor::Zeros(DType::kF32, {0, 3});
  g.initializers["empty_i64"] = Tensor::Zeros(DType::kI64, {5, 0, 2});
  g.initializers["scalar_i64"] = Tensor::FromVector(std::vector<int64_t>{42}, {});
  // Nodes in an order that is not sorted by name, to see that file order is kept.
  g.nodes = {
      graph::Node{"fc1", "Gemm", {"x", "fc1.weight", "fc1.bias"}, {"h"},
                  {{"alpha", 1.0f}, {"beta", -0.0f}, {"nan", nan}, {"transB", int64_t{1}},
                   {"min", std::numeric_limits<int64_t>::min()}}},
      graph::Node{"", "Relu", {"h"}, {"r"}, {}},
      graph::Node{"act", "Custom", {"r", "", "ids"}, {"y", ""},
                  {{"mode", std::string("fast")},
                   {"empty_s", std::string()},
                   {"perm", std::vector<int64_t>{1, 0, -1}},
                   {"no_ints", std::vector<int64_t>{}},
                   {"scales", std::vector<float>{0.5f, nan, -0.0f}},
                   {"no_floats", std::vector<float>{}},
                   {"names", std::vector<std::string>{"a", "", "ü"}},
                   {"no_strings", std::vector<std::string>{}}}},
      graph::Node{"a_first_by_name", "Identity", {"y"}, {"z"}, {}},
  };
  return m;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("axon format: the bytes written match the schema, field by field", "[formats][axon]") {
  graph::Model m;
  m.producer_version = "0.1";
  m.graph.name = "g";
  m.graph.inputs = {ValueInfo{"x", DType::kF32, Shape({Dim::Symbol("batch"), 2})}};
  m.graph.outputs = {ValueInfo{"y", DType::kF32, Shape::UnknownRank()}};
  m.graph.nodes = {graph::Node{"n", "Scale", {"x", "w"}, {"y"}, {{"k", int64_t{3}}}}};
  m.graph.initializers["w"] = Tensor::FromVector(std::vector<float>{1.0f, -2.0f}, {2});
  m.metadata["key"] = "v";

  Wire node, input, output, graph, model;
  node.Str(f::kNName, "n").Str(f::kOpType, "Scale").Str(f::kIn, "x").Str(f::kIn, "w").Str(f::kOut, "y");
  node.Msg(f::kAttrs, Wire().Str(f::kAName, "k").Int(f::kI, 3));
  input.Str(f::kVName, "x").Int(f::kVDtype, f::kF32).Int(f::kHasShape, 1);
  input.Msg(f::kDims, Wire().Str(f::kSymbol, "batch")).Msg(f::kDims, Wire().Int(f::kValue, 2));
  output.Str(f::kVName, "y").Int(f::kVDtype, f::kF32);  // has_shape false: nothing written
  graph.Str(f::kGName, "g").Msg(f::kNodes, node).Msg(f::kInputs, input).Msg(f::kOutputs, output);
  graph.Msg(f::kInitializers, TensorMsg("w", f::kF32, {2}, std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8)));
  model.Int(f::kFormatVersion, 1).Str(f::kProducerName, "axon").Str(f::kProducerVersion, "0.1").Int(f::kOpset, graph::kOpsetVersion);
  model.Msg(f::kGraph, graph).Msg(f::kMetadata, Wire().Str(1, "key").Str(2, "v"));

  const std::string bytes = SerializeModel(m);
  CHECK(bytes == model.bytes());
  RequireSameModel(Parse(model), m);
}

TEST_CASE("axon format: a round trip keeps every field", "[formats][axon]") {
  const graph::Model m = RichModel();
  const std::string bytes = SerializeModel(m);
  const graph::Model back = Parse(bytes);
  RequireSameModel(back, m);
  // The order of nodes is the file's, not sorted.
  REQUIRE(back.graph.nodes.size() == 4);
  CHECK(back.graph.nodes[3].name == "a_first_by_name");
  // Attribute types survive: 1.0f stays a float, 1 stays an int.
  CHECK(graph::TypeOf(back.graph.nodes[0].attrs.at("alpha")) == graph::AttrType::kFloat);
  CHECK(graph::TypeOf(back.graph.nodes[0].attrs.at("transB")) == graph::AttrType::kInt);
  CHECK(graph::TypeOf(back.graph.nodes[2].attrs.at("no_ints")) == graph::AttrType::kInts);
  CHECK(graph::TypeOf(back.graph.nodes[2].attrs.at("no_floats")) == graph::AttrType::kFloats);
  CHECK(graph::TypeOf(back.graph.nodes[2].attrs.at("no_strings")) == graph::AttrType::kStrings);
  // Known 0, anonymous and symbolic dims stay distinct.
  const Shape& ids = back.graph.inputs[1].shape;
  CHECK_FALSE(ids[0].known());
  CHECK(ids[0].symbol().empty());
  CHECK(ids[1].known());
  CHECK(ids[1].value() == 0);
  CHECK(ids[2].symbol() == "seq");
  CHECK_FALSE(back.graph.inputs[2].shape.has_rank());
  CHECK(back.graph.inputs[3].shape.has_rank());
  CHECK(back.graph.inputs[3].shape.rank() == 0);
  // Loaded weights are owned, writable and 64-byte aligned.
  const Tensor& w = back.graph.initializers.at("fc1.weight");
  CHECK_FALSE(w.is_view());
  CHECK(reinterpret_cast<uintptr_t>(w.raw_data()) % kTensorAlignment == 0);
  // Serialization is deterministic: writing what was read gives the same bytes.
  CHECK(SerializeModel(back) == bytes);
}

TEST_CASE("axon format: an empty model round-trips", "[formats][axon]") {
  graph::Model m;
  m.producer_name.clear();
  const graph::Model back = Parse(SerializeModel(m));
  RequireSameModel(back, m);
}

TEST_CASE("axon format: files are written atomically and read back", "[formats][axon]") {
  ScratchDir dir;
  const std::string path = dir.File("model.axon");
  graph::Model m = RichModel();
  WriteModelFile(m, path);
  RequireSameModel(ReadModelFile(path), m);
  CHECK(dir.Entries() == std::vector<std::string>{"model.axon"});

  // Overwriting replaces the file whole, and leaves no temporary file behind.
  m.graph.nodes.pop_back();
  m.metadata["second"] = "write";
  WriteModelFile(m, path);
  RequireSameModel(ReadModelFile(path), m);
  CHECK(dir.Entries() == std::vector<std::string>{"model.axon"});
  CHECK(test::ReadBytes(path) == SerializeModel(m));

  // A model the writer refuses leaves the old file untouched.
  const std::string before = test::ReadBytes(path);
  m.graph.nodes[0].op_type.clear();
  ErrorOf([&] { WriteModelFile(m, path); }, ErrorCode::kInvalidArgument);
  CHECK(test::ReadBytes(path) == before);
  CHECK(dir.Entries() == std::vector<std::string>{"model.axon"});
}

TEST_CASE("axon format: the OS refusing is kIo and names the path", "[formats][axon]") {
  ScratchDir dir;
  const std::string missing = dir.File("missing.axon");
  CHECK_THAT(ErrorOf([&] { ReadModelFile(missing); }, ErrorCode::kIo),
             StartsWith(missing + ": cannot open") && Contains("No such file"));
  CHECK_THAT(ErrorOf([&] { ReadModelFile(dir.File("")); }, ErrorCode::kIo), Contains("not a regular file"));
  const std::string fifo = dir.File("fifo.axon");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  ::alarm(20);  // without the check, opening the FIFO waits for a writer: fail, do not hang
  CHECK_THAT(ErrorOf([&] { ReadModelFile(fifo); }, ErrorCode::kIo), StartsWith(fifo + ": cannot read: not a regular file"));
  ::alarm(0);
  std::filesystem::remove(fifo);
  const std::string no_dir = dir.File("no/such/dir/model.axon");
  CHECK_THAT(ErrorOf([&] { WriteModelFile(graph::Model{}, no_dir); }, ErrorCode::kIo), StartsWith(no_dir + ": "));
  CHECK(dir.Entries().empty());
}

TEST_CASE("axon format: a checkpoint keeps its training state", "[formats][axon]") {
  Checkpoint c;
  c.model = RichModel();
  TrainingState& t = c.training.emplace();
  t.step = 1234;
  t.optimizer = "adamw";
  t.hyper_parameters = {{"lr", 1e-3}, {"beta1", 0.9}, {"beta2", 0.999}, {"weight_decay", 0.01}};
  t.slots["fc1.weight"]["m"] = Tensor::FromVector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  t.slots["fc1.weight"]["v"] = Tensor::FromVector(std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, {2, 3});
  t.slots["fc1.bias"]["m"] = Tensor::FromVector(std::vector<float>{7, 8}, {2});
  t.epoch = 17;
  t.shuffle_seed = 0xfedcba9876543210ull;  // above int64's range: the field is unsigned
  t.loss = "bce-logits";

  ScratchDir dir;
  const std::string path = dir.File("ckpt.axon");
  WriteCheckpointFile(c, path);
  const Checkpoint back = ReadCheckpointFile(path);
  RequireSameModel(back.model, c.model);
  REQUIRE(back.training.has_value());
  CHECK(back.training->step == 1234);
  CHECK(back.training->optimizer == "adamw");
  CHECK(back.training->hyper_parameters == t.hyper_parameters);
  REQUIRE(back.training->slots.size() == 2);
  CHECK(SameTensor(back.training->slots.at("fc1.weight").at("v"), t.slots["fc1.weight"]["v"]));
  CHECK(SameTensor(back.training->slots.at("fc1.bias").at("m"), t.slots["fc1.bias"]["m"]));
  CHECK(back.training->slots.at("fc1.weight").size() == 2);
  CHECK(back.training->epoch == 17);
  CHECK(back.training->shuffle_seed == 0xfedcba9876543210ull);
  CHECK(back.training->loss == "bce-logits");

  // An inference load of a checkpoint is the model alone; a model has no training state.
  RequireSameModel(ReadModelFile(path), c.model);
  const std::string plain = SerializeModel(c.model);
  CHECK_FALSE(ParseCheckpoint(plain.data(), plain.size(), "m.axon").training.has_value());
  // An empty training state is still a training state.
  Checkpoint empty{c.model, TrainingState{}};
  const std::string e = SerializeCheckpoint(empty);
  CHECK(ParseCheckpoint(e.data(), e.size(), "e.axon").training.has_value());
}

// ---------------------------------------------------------------------------------------------
// Hostile and broken files.

TEST_CASE("axon format: bytes that are not a model", "[formats][axon][hostile]") {
  CHECK_THAT(ErrorOf([] { ParseModel("", 0, "model.axon"); }, ErrorCode::kInvalidFile),
             StartsWith("model.axon: ") && Contains("empty"));
  const std::string garbage("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11);
  CHECK_THAT(ErrorOf([&] { Parse(garbage); }, ErrorCode::kInvalidFile),
             StartsWith("model.axon: ") && Contains("protobuf parse failed"));
  // Some text is a valid protobuf stream ("hi" = unknown field 13, varint 105): caught by the
  // missing version.
  CHECK_THAT(ErrorOf([&] { Parse(std::string("hi")); }, ErrorCode::kInvalidFile), Contains("no format_version"));
  // A length that runs past the end of the file (an absurd count).
  CHECK_THAT(ParseError(Wire().Int(1, 1).Key(f::kGraph, 2).Varint(uint64_t{1} << 40)), Contains("protobuf parse failed"));
  // A .npy file is not a model.
  CHECK_THAT(ErrorOf([&] { Parse(std::string("\x93NUMPY\x01\x00\x76\x00{'descr'", 17)); }, ErrorCode::kInvalidFile),
             StartsWith("model.axon: "));
  // A name that is not UTF-8 is refused by protobuf itself.
  CHECK_THAT(ParseError(ModelMsg(Wire().Str(f::kGName, "\xff\xfe"))), Contains("protobuf parse failed"));
}

TEST_CASE("axon format: a truncated file is refused", "[formats][axon][hostile]") {
  const std::string bytes = SerializeModel(RichModel());
  // Cut inside the bytes of the first initializer's data: a length-delimited field runs past the end.
  const std::size_t data_at = bytes.find(std::string("\x00\x00\xc0\x3f", 4));  // 1.5f
  REQUIRE(data_at != std::string::npos);
  CHECK_THAT(ErrorOf([&] { Parse(bytes.substr(0, data_at + 2)); }, ErrorCode::kInvalidFile),
             StartsWith("model.axon: ") && Contains("protobuf parse failed"));
  CHECK_THAT(ErrorOf([&] { Parse(bytes.substr(0, 1)); }, ErrorCode::kInvalidFile), StartsWith("model.axon: "));
}

TEST_CASE("axon format: every truncation and byte flip gives a model or an axon::Error", "[formats][axon][hostile]") {
  graph::Model m = RichModel();
  Checkpoint c{m, TrainingState{7, "sgd", {{"lr", 0.1}}, {{"fc1.bias", {{"velocity", Tensor::Zeros(DType::kF32, {2})}}}}}};
  const std::string bytes = SerializeCheckpoint(c);
  auto survives = [](const std::string& b) {
    try {
      ParseCheckpoint(b.data(), b.size(), "fuzz.axon");
      return true;
    } catch (const Error& e) {
      const bool ok = (e.code() == ErrorCode::kInvalidFile || e.code() == ErrorCode::kUnsupported) &&
                      std::string(e.what()).rfind("fuzz.axon: ", 0) == 0;
      if (!ok) UNSCOPED_INFO("unexpected error: " << e.what());
      return ok;
    } catch (const std::exception& e) {
      UNSCOPED_INFO("non-axon exception: " << e.what());
      return false;
    }
  };
  std::size_t refused = 0;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("truncated to " << n << " of " << bytes.size() << " bytes");
    REQUIRE(survives(bytes.substr(0, n)));
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xFF}) {
      std::string b = bytes;
      b[i] = static_cast<char>(b[i] ^ flip);
      INFO("byte " << i << " xor " << int(flip));
      REQUIRE(survives(b));
      try {
        ParseCheckpoint(b.data(), b.size(), "fuzz.axon");
      } catch (const Error&) {
        ++refused;
      }
    }
  }
  CHECK(refused * 2 > 3 * bytes.size());  // most corruptions are caught, not silently accepted
}

TEST_CASE("axon format: a checkpoint ends with its CRC-32C; every truncation or flipped byte is refused",
          "[formats][axon][hostile]") {
  Checkpoint c{RichModel(), TrainingState{7, "sgd", {{"lr", 0.1}}, {{"fc1.bias", {{"velocity", Tensor::Zeros(DType::kF32, {2})}}}}}};
  const std::string bytes = SerializeCheckpoint(c);
  // The last 5 bytes: field 13 as fixed32 (tag 0x6D), the CRC-32C of every byte before its value.
  REQUIRE(static_cast<unsigned char>(bytes[bytes.size() - 5]) == 0x6D);
  uint32_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
  CHECK(stored == internal::Crc32cPortable(bytes.data(), bytes.size() - 4));
  // Nothing damaged ever loads as a training state: refused, or (cut before it) no checkpoint at all.
  auto refused = [](const std::string& b) {
    try {
      return !ParseCheckpoint(b.data(), b.size(), "ck.axon").training.has_value();
    } catch (const Error& e) {
      return e.code() == ErrorCode::kInvalidFile || e.code() == ErrorCode::kUnsupported;
    }
  };
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("truncated to " << n << " of " << bytes.size() << " bytes");
    REQUIRE(refused(bytes.substr(0, n)));
  }
  for (std::size_t i = 0; i < bytes.size(); ++i)
    for (unsigned char flip : {0x01, 0x08, 0x80, 0xFF}) {
      std::string b = bytes;
      b[i] = static_cast<char>(b[i] ^ flip);
      INFO("byte " << i << " xor " << int(flip));
      REQUIRE(refused(b));
    }

  // A flipped bit in a weight of a checkpoint file: named, for a resume and for a run alike.
  ScratchDir dir;
  const std::string path = dir.File("ckpt.axon");
  std::string damaged = bytes;
  const std::size_t weight = damaged.find(std::string("\x00\x00\xc0\x3f", 4));  // 1.5f, one of RichModel's weights
  REQUIRE(weight != std::string::npos);
  damaged[weight + 1] = static_cast<char>(damaged[weight + 1] ^ 0x04);
  std::ofstream(path, std::ios::binary) << damaged;
  CHECK_THAT(ErrorOf([&] { ReadCheckpointFile(path); }, ErrorCode::kInvalidFile),
             StartsWith(path + ": checksum mismatch (stored CRC-32C ") &&
                 Contains("the checkpoint was damaged or changed after it was written"));
  CHECK_THAT(ErrorOf([&] { ReadModelFile(path); }, ErrorCode::kInvalidFile), Contains("checksum mismatch"));
  std::ofstream(path, std::ios::binary) << bytes;
  CHECK(ReadCheckpointFile(path).training->step == 7);

  // Checkpoints written before checksums (no fields 12 and 13) load unchecked; one that says it has
  // a checksum must have it.
  Wire graph;
  graph.Msg(f::kInitializers, TensorMsg("w", f::kF32, {2}, F32Bytes({1, 2})));
  Wire old = ModelMsg(graph);
  old.Msg(f::kTraining, Wire().Int(f::kStep, 3).Str(f::kOptimizer, "sgd"));
  CHECK(ParseCheckpoint(old.bytes().data(), old.bytes().size(), "old.axon").training->step == 3);
  Wire unsure = ModelMsg(graph);
  unsure.Msg(f::kTraining, Wire().Int(f::kStep, 3).Int(12, 1));
  CHECK_THAT(ErrorOf([&] { ParseCheckpoint(unsure.bytes().data(), unsure.bytes().size(), "ck.axon"); }, ErrorCode::kInvalidFile),
             Contains("ck.axon: the checkpoint's checksum is missing or not at the end of the file"));
}

TEST_CASE("axon format: format and opset versions", "[formats][axon][hostile]") {
  Wire graph;
  auto with_versions = [&](int64_t format, int64_t opset) {
    Wire m;
    if (format) m.Int(f::kFormatVersion, format);
    if (opset) m.Int(f::kOpset, opset);
    return m.Msg(f::kGraph, graph);
  };
  CHECK_NOTHROW(Parse(with_versions(1, 1)));
  CHECK_THAT(ParseError(with_versions(2, 1), ErrorCode::kUnsupported),
             StartsWith("model.axon: ") && Contains("format version 2 is newer") && Contains("up to 1"));
  CHECK_THAT(ParseError(with_versions(0, 1)), Contains("no format_version"));
  CHECK_THAT(ParseError(with_versions(-1, 1)), Contains("invalid format_version -1"));
  CHECK_THAT(ParseError(with_versions(1, 9), ErrorCode::kUnsupported), Contains("opset version 9 is newer"));
  CHECK_THAT(ParseError(with_versions(1, 0)), Contains("invalid opset_version 0"));
  CHECK_THAT(ParseError(Wire().Int(f::kFormatVersion, 1).Int(f::kOpset, 1)), Contains("has no graph"));
}

TEST_CASE("axon format: hostile initializers", "[formats][axon][hostile]") {
  auto with_init = [](const Wire& tensor) { return ModelMsg(Wire().Msg(f::kInitializers, tensor)); };
  CHECK_NOTHROW(Parse(with_init(TensorMsg("w", f::kF32, {2}, F32Bytes({1, 2})))));

  SECTION("byte length does not match the shape") {
    CHECK_THAT(ParseError(with_init(TensorMsg("fc1.weight", f::kF32, {512, 784}, std::string(1000, '\0')))),
               Equals("model.axon: initializer 'fc1.weight' f32[512,784] needs 1605632 bytes, file has 1000"));
    CHECK_THAT(ParseError(with_init(TensorMsg("ids", f::kI64, {3}, std::string(25, '\0')))),
               Contains("initializer 'ids' i64[3] needs 24 bytes, file has 25"));
  }
  SECTION("unknown or missing dtype") {
    CHECK_THAT(ParseError(with_init(TensorMsg("w", 7, {2}, F32Bytes({1, 2})))),
               Contains("initializer 'w' has unknown dtype 7"));
    CHECK_THAT(ParseError(with_init(TensorMsg("w", 0, {2}, F32Bytes({1, 2})))),
               Contains("initializer 'w' has no dtype"));
    CHECK_THAT(ParseError(with_init(TensorMsg("w", -1, {2}, F32Bytes({1, 2})))), Contains("unknown dtype -1"));
  }
  SECTION("negative dims") {
    CHECK_THAT(ParseError(with_init(TensorMsg("w", f::kF32, {2, -3}, ""))),
               Contains("initializer 'w' f32[2,-3] has negative dim 1"));
  }
  SECTION("an element count that overflows is refused before any allocation") {
    const int64_t big = int64_t{1} << 40;
    CHECK_THAT(ParseError(with_init(TensorMsg("w", f::kF32, {big, big}, ""))),
               Contains("initializer 'w' f32[1099511627776,1099511627776] has too many elements"));
    // Just under the overflow bound, but far more bytes than the file holds.
    CHECK_THAT(ParseError(with_init(TensorMsg("w", f::kI64, {int64_t{1} << 59}, ""))),
               Contains("needs 4611686018427387904 bytes, file has 0"));
  }
  SECTION("too many dims") {
    CHECK_THAT(ParseError(with_init(TensorMsg("w", f::kF32, std::vector<int64_t>(65, 1), F32Bytes({1})))),
               Contains("initializer 'w' has 65 dims; at most 64"));
    CHECK_NOTHROW(Parse(with_init(TensorMsg("w", f::kF32, std::vector<int64_t>(64, 1), F32Bytes({1})))));
  }
  SECTION("duplicate or empty names") {
    Wire g;
    g.Msg(f::kInitializers, TensorMsg("w", f::kF32, {1}, F32Bytes({1})));
    g.Msg(f::kInitializers, TensorMsg("w", f::kF32, {1}, F32Bytes({2})));
    CHECK_THAT(ParseError(ModelMsg(g)), Contains("initializer 'w' appears twice"));
    CHECK_THAT(ParseError(with_init(TensorMsg("", f::kF32, {1}, F32Bytes({1})))),
               Contains("initializer #0 has an empty name"));
  }
  SECTION("names with control characters are quoted safely in the message") {
    CHECK_THAT(ParseError(with_init(TensorMsg("a\nb", 9, {}, ""))), Contains("initializer 'a\\nb' has unknown dtype 9"));
  }
}

TEST_CASE("axon format: hostile value infos", "[formats][axon][hostile]") {
  auto with_input = [](const Wire& v) { return ModelMsg(Wire().Msg(f::kInputs, v)); };
  auto vi = [](const std::string& name) {
    Wire v;
    v.Str(f::kVName, name).Int(f::kVDtype, f::kF32);
    return v;
  };
  CHECK_NOTHROW(Parse(with_input(vi("x").Int(f::kHasShape, 1).Msg(f::kDims, Wire().Int(f::kValue, 3)))));
  CHECK_THAT(ParseError(with_input(vi("x").Int(f::kHasShape, 1).Msg(f::kDims, Wire().Int(f::kValue, -3)))),
             Contains("graph input 'x' dim 0 is -3"));
  CHECK_THAT(ParseError(with_input(Wire().Str(f::kVName, "x").Int(f::kVDtype, 42))),
             Contains("graph input 'x' has unknown dtype 42"));
  CHECK_THAT(ParseError(with_input(vi("x").Msg(f::kDims, Wire().Int(f::kValue, 3)))),
             Contains("graph input 'x' has 1 dims but has_shape is false"));
  CHECK_THAT(ParseError(with_input(vi("x").Int(f::kHasShape, 1).Msg(f::kDims, Wire().Str(f::kSymbol, "")))),
             Contains("graph input 'x' dim 0 symbol has an empty name"));
  CHECK_THAT(ParseError(with_input(vi(""))), Contains("graph input #0 has an empty name"));
  Wire many = vi("x").Int(f::kHasShape, 1);
  for (int i = 0; i < 65; ++i) many.Msg(f::kDims, Wire());
  CHECK_THAT(ParseError(with_input(many)), Contains("graph input 'x' has 65 dims"));
  CHECK_THAT(ParseError(ModelMsg(Wire().Msg(f::kOutputs, vi("y").Int(f::kVDtype, 99)))),
             Contains("graph output 'y' has unknown dtype 99"));
  CHECK_THAT(ParseError(ModelMsg(Wire().Msg(f::kValueInfo, vi("h")).Msg(f::kValueInfo, vi("h")))),
             Contains("value_info 'h' appears twice"));
}

TEST_CASE("axon format: hostile nodes", "[formats][axon][hostile]") {
  auto with_node = [](const Wire& n) { return ModelMsg(Wire().Msg(f::kNodes, n)); };
  auto node = [](const std::string& name, const std::string& op) {
    Wire n;
    n.Str(f::kNName, name).Str(f::kOpType, op).Str(f::kIn, "x").Str(f::kOut, "y");
    return n;
  };
  CHECK_NOTHROW(Parse(with_node(node("fc1", "Gemm").Msg(f::kAttrs, Wire().Str(f::kAName, "alpha").Float(f::kF, 1)))));
  CHECK_THAT(ParseError(with_node(node("fc1", ""))), Equals("model.axon: node 'fc1' has no op_type"));
  CHECK_THAT(ParseError(with_node(node("fc1", "Gemm").Msg(f::kAttrs, Wire().Str(f::kAName, "alpha")))),
             Equals("model.axon: node 'fc1' (Gemm) attribute 'alpha' has no value"));
  CHECK_THAT(ParseError(with_node(node("fc1", "Gemm")
                                      .Msg(f::kAttrs, Wire().Str(f::kAName, "alpha").Float(f::kF, 1))
                                      .Msg(f::kAttrs, Wire().Str(f::kAName, "alpha").Int(f::kI, 1)))),
             Contains("node 'fc1' (Gemm) has attribute 'alpha' twice"));
  CHECK_THAT(ParseError(with_node(node("fc1", "Gemm").Msg(f::kAttrs, Wire().Int(f::kI, 1)))),
             Contains("node 'fc1' (Gemm) attribute #0 has an empty name"));
  // A node without a name is named by its position.
  CHECK_THAT(ParseError(ModelMsg(Wire().Msg(f::kNodes, node("a", "Relu")).Msg(f::kNodes, node("", "")))),
             Contains("node #1 has no op_type"));
}

TEST_CASE("axon format: hostile metadata and training state", "[formats][axon][hostile]") {
  Wire meta = ModelMsg(Wire());
  meta.Msg(f::kMetadata, Wire().Str(1, "k").Str(2, "a")).Msg(f::kMetadata, Wire().Str(1, "k").Str(2, "b"));
  CHECK_THAT(ParseError(meta), Contains("metadata key 'k' appears twice"));
  CHECK_THAT(ParseError(ModelMsg(Wire()).Msg(f::kMetadata, Wire().Str(2, "v"))), Contains("metadata entry #0 has an empty key"));

  // A graph with one parameter "w" f32[2], plus a training state.
  Wire graph;
  graph.Msg(f::kInitializers, TensorMsg("w", f::kF32, {2}, F32Bytes({1, 2})));
  auto with_training = [&](const Wire& t) {
    Wire m = ModelMsg(graph);
    m.Msg(f::kTraining, t);
    return m;
  };
  auto slot = [](const std::string& parameter, const Wire& tensor) {
    Wire p;
    p.Str(f::kParameter, parameter).Msg(f::kSlots, tensor);
    return p;
  };
  const Wire ok = with_training(Wire().Int(f::kStep, 3).Str(f::kOptimizer, "momentum").Msg(
      f::kParams, slot("w", TensorMsg("velocity", f::kF32, {2}, F32Bytes({0.5f, 0.25f})))));
  const Checkpoint c = ParseCheckpoint(ok.bytes().data(), ok.bytes().size(), "model.axon");
  REQUIRE(c.training.has_value());
  CHECK(c.training->slots.at("w").at("velocity").ToFloatVector() == std::vector<float>{0.5f, 0.25f});

  auto error = [](const Wire& w) {
    return ErrorOf([&] { ParseCheckpoint(w.bytes().data(), w.bytes().size(), "model.axon"); }, ErrorCode::kInvalidFile);
  };
  CHECK_THAT(error(with_training(Wire().Msg(f::kParams, slot("nope", TensorMsg("m", f::kF32, {2}, F32Bytes({1, 2})))))),
             Contains("training state of parameter 'nope': the graph has no initializer of that name"));
  CHECK_THAT(error(with_training(Wire().Msg(f::kParams, slot("w", TensorMsg("m", f::kF32, {1, 2}, F32Bytes({1, 2})))))),
             Contains("parameter 'w' slot 'm' is f32[1,2] but the parameter is f32[2]"));
  CHECK_THAT(error(with_training(Wire().Msg(f::kParams, slot("w", TensorMsg("m", f::kF32, {2}, F32Bytes({1})))))),
             Contains("parameter 'w' slot 'm' f32[2] needs 8 bytes, file has 4"));
  CHECK_THAT(error(with_training(Wire().Msg(f::kParams, slot("w", TensorMsg("m", f::kF32, {2}, F32Bytes({1, 2})))
                                                                .Msg(f::kSlots, TensorMsg("m", f::kF32, {2}, F32Bytes({1, 2})))))),
             Contains("parameter 'w' slot 'm' appears twice"));
  CHECK_THAT(error(with_training(Wire().Int(f::kStep, -5))), Contains("negative step -5"));
  CHECK_THAT(error(with_training(Wire().Int(f::kEpoch, -2))), Contains("negative epoch -2"));
  CHECK_THAT(error(with_training(Wire().Str(f::kLoss, "\xff"))), Contains("protobuf parse failed"));
  CHECK_THAT(error(with_training(Wire()
                                     .Msg(f::kHyper, Wire().Str(1, "lr").Double(2, 0.1))
                                     .Msg(f::kHyper, Wire().Str(1, "lr").Double(2, 0.2)))),
             Contains("hyper-parameter 'lr' appears twice"));
  // The inference view checks the training state too: a broken checkpoint does not load at all.
  CHECK_THAT(ParseError(with_training(Wire().Int(f::kStep, -5))), Contains("negative step -5"));
}

TEST_CASE("axon format: the writer refuses models it could not read back", "[formats][axon]") {
  graph::Model m = RichModel();
  auto error = [&] { return ErrorOf([&] { SerializeModel(m); }, ErrorCode::kInvalidArgument); };
  SECTION("a name that is not UTF-8") {
    m.graph.nodes[0].name = "bad\xff";
    CHECK_THAT(error(), StartsWith("cannot serialize model: ") && Contains("node #0 name is not valid UTF-8"));
  }
  SECTION("an attribute string that is not UTF-8") {
    m.graph.nodes[2].attrs["mode"] = std::string("\xc3\x28");
    CHECK_THAT(error(), Contains("node 'act' (Custom) attribute 'mode' value is not valid UTF-8"));
  }
  SECTION("an undefined initializer") {
    m.graph.initializers["w"] = Tensor();
    CHECK_THAT(error(), Contains("initializer 'w' is an undefined tensor"));
  }
  SECTION("an empty op_type") {
    m.graph.nodes[1].op_type.clear();
    CHECK_THAT(error(), Contains("node #1 has no op_type"));
  }
  SECTION("a value_info filed under another name") {
    m.graph.value_info["h"].name = "not_h";
    CHECK_THAT(error(), Contains("value_info entry 'h' holds a ValueInfo named 'not_h'"));
  }
  SECTION("a negative dim that is not the anonymous unknown") {
    m.graph.inputs[0].shape = Shape({Dim(-5), Dim(3)});
    CHECK_THAT(error(), Contains("value 'x' dim 0 is -5"));
  }
  SECTION("an opset this build does not know") {
    m.opset_version = 0;
    CHECK_THAT(error(), Contains("invalid opset_version 0"));
  }
  SECTION("a training slot for a parameter that does not exist") {
    TrainingState t;
    t.slots["ghost"]["m"] = Tensor::Zeros(DType::kF32, {1});
    CHECK_THAT(ErrorOf([&] { SerializeCheckpoint(Checkpoint{m, t}); }, ErrorCode::kInvalidArgument),
               Contains("training state of parameter 'ghost'"));
  }
  SECTION("WriteModelFile names the path") {
    m.graph.nodes[1].op_type.clear();
    ScratchDir dir;
    const std::string path = dir.File("out.axon");
    CHECK_THAT(ErrorOf([&] { WriteModelFile(m, path); }, ErrorCode::kInvalidArgument),
               StartsWith(path + ": cannot write model: node #1 has no op_type"));
    CHECK(dir.Entries().empty());
  }
}

TEST_CASE("axon format: bool, int32, int8 and uint8 initializers round-trip; a bool byte must be 0 or 1",
          "[formats][axon]") {
  using namespace axon;
  graph::Model m;
  m.graph.initializers["b"] = Tensor::FromVector(std::vector<bool>{true, false}, {2});
  m.graph.initializers["i32"] = Tensor::FromVector(std::vector<int32_t>{-5, 1 << 20}, {2});
  m.graph.initializers["i8"] = Tensor::FromVector(std::vector<int8_t>{-3}, {1});
  m.graph.initializers["u8"] = Tensor::FromVector(std::vector<uint8_t>{200}, {1});
  std::string bytes = formats::SerializeModel(m);
  const graph::Model back = formats::ParseModel(bytes.data(), bytes.size(), "t.axon");
  for (const auto& [name, t] : m.graph.initializers) {
    INFO(name);
    const Tensor& got = back.graph.initializers.at(name);
    CHECK(got.dtype() == t.dtype());
    CHECK(std::memcmp(got.raw_data(), t.raw_data(), t.nbytes()) == 0);
  }
  // The bool bytes 01 00 are stored as a length-delimited raw_data field: make the 01 a 02.
  const std::string raw(std::string("\x01\x00", 2));
  const std::size_t at = bytes.find(raw);
  REQUIRE(at != std::string::npos);
  bytes[at] = 2;
  CHECK_THAT(ErrorOf([&] { formats::ParseModel(bytes.data(), bytes.size(), "t.axon"); }, ErrorCode::kInvalidFile),
             Contains("t.axon: initializer 'b' bool[2] has element 0 = 2: a bool must be 0 or 1"));
}
