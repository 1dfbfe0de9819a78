// Hostile models, one hole each: every one must load or run to a clear axon::Error naming the
// file, node, op and shapes, never to a crash, an overflow, a hang or an absurd allocation.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include "formats/npy.h"
#include "graph/op_schema.h"
#include "tests/robustness/hostile_model_util.h"

using namespace axon;
using namespace axon::robustness;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using graph::Dim;
using graph::Shape;

namespace {

constexpr DType kF32 = DType::kF32;
constexpr DType kI64 = DType::kI64;

Tensor I64(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::FromVector(v, {n});
}

// x -> Reshape(x, shape) -> y, where shape is a constant.
graph::Graph ReshapeGraph(Shape x_shape, std::vector<int64_t> spec) {
  graph::Graph g;
  g.inputs = {Value("x", kF32, std::move(x_shape))};
  g.initializers["shape"] = I64(std::move(spec));
  g.nodes = {MakeNode("r", "Reshape", {"x", "shape"}, {"y"})};
  g.outputs = {Out("y")};
  return g;
}

// An op with a schema but no kernel, as a newer opset's op would be.
AXON_OP(AxonTestNoKernel).Inputs({"X"}).Outputs({"Y"}).Infer([](graph::InferContext& ctx) {
  ctx.SetOutput(0, ctx.InType(0), ctx.InShape(0));
});

}  // namespace

TEST_CASE("declared dims that no tensor could have are refused at load", "[robustness]") {
  const int64_t big = int64_t{1} << 32;
  SECTION("a zero dim does not excuse the others (numpy's rule), so Flatten cannot overflow") {
    graph::Graph g;
    g.inputs = {Value("x", kF32, Shape({big, big, 0}))};
    g.nodes = {MakeNode("flat", "Flatten", {"x"}, {"y"}, {{"axis", int64_t{2}}})};
    g.outputs = {Out("y")};
    CHECK_THAT(ErrorOf([&] { Load(g); }),
               Contains("hostile.axon: graph input x: f32[4294967296,4294967296,0] has more than "
                        "1152921504606846975 elements"));
  }
  SECTION("symbolic dims next to them do not help") {
    graph::Graph g;
    g.inputs = {Value("x", kF32, Shape({Dim::Symbol("batch"), big, big}))};
    g.nodes = {MakeNode("id", "Identity", {"x"}, {"y"})};
    g.outputs = {Out("y")};
    CHECK_THAT(ErrorOf([&] { Load(g); }), Contains("graph input x: f32[batch,4294967296,4294967296] has more than"));
  }
  SECTION("too many dims") {
    graph::Graph g;
    g.inputs = {Value("x", kF32, Shape(std::vector<Dim>(65, Dim(1))))};
    g.nodes = {MakeNode("id", "Identity", {"x"}, {"y"})};
    g.outputs = {Out("y")};
    // The writer refuses more than 64 dims, so this is the verifier's rule for graphs built in C++.
    graph::Model m;
    m.graph = g;
    CHECK_THAT(ErrorOf([&] { detail::SessionFactory::FromModel(m, {}, kOrigin); }),
               Contains("hostile.axon: graph input 'x' has 65 dims; at most 64"));
  }
  SECTION("a declared output") {
    graph::Graph g;
    g.inputs = {Value("x", kF32, Shape({Dim(), Dim()}))};
    g.nodes = {MakeNode("id", "Identity", {"x"}, {"y"})};
    g.outputs = {Value("y", kF32, Shape({big, big}))};
    CHECK_THAT(ErrorOf([&] { Load(g); }), Contains("graph output y: f32[4294967296,4294967296] has more than"));
  }
}

TEST_CASE("the element-count rule is numpy's: zero dims do not excuse the others", "[robustness]") {
  const int64_t big = int64_t{1} << 62;
  CHECK_THAT(ErrorOf([&] { ElementCount({0, big, big}); }),
             Contains("shape [0,4611686018427387904,4611686018427387904] has too many elements"));
  CHECK_THAT(ErrorOf([&] { ElementCount({big, 0}); }), Contains("too many elements"));
  CHECK(ElementCount({int64_t{1} << 20, int64_t{1} << 20, 0}) == 0);
  CHECK(ElementCount({kMaxElementCount, 0}) == 0);
  CHECK(ElementCount({kMaxElementCount}) == kMaxElementCount);

  // The same rule at both file boundaries.
  const std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4611686018427387904, 4611686018427387904), }\n";
  const std::string npy = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header;
  CHECK_THAT(ErrorOf([&] { formats::ParseNpy(npy.data(), npy.size(), "zero.npy"); }),
             Contains("zero.npy: shape [0,4611686018427387904,4611686018427387904] has too many elements"));
}

TEST_CASE("a file whose parsed form would dwarf it is refused before protobuf allocates", "[robustness]") {
  auto varint = [](std::string& out, uint64_t v) {
    for (; v >= 0x80; v >>= 7) out += static_cast<char>(v | 0x80);
    out += static_cast<char>(v);
  };
  auto model_around = [&](const std::string& graph) {
    std::string m = "\x08\x01\x20\x01\x2a";  // format_version 1, opset 1, graph (field 5):
    varint(m, graph.size());
    return m + graph;
  };
  // 10M empty nodes (field 2, length 0): 20 MB of file, over 1 GiB once parsed.
  std::string nodes;
  for (int i = 0; i < 10'000'000; ++i) nodes += std::string("\x12\x00", 2);
  const std::string bomb = model_around(nodes);
  CHECK_THAT(ErrorOf([&] { Session::LoadFromBytes(bomb.data(), bomb.size(), {}, kOrigin); }),
             Contains("hostile.axon: has too many nodes, values, attributes or list entries: parsing it would take "
                      "more than 1024 MiB beyond the file's own 20000009 bytes"));
  // Unknown groups are kept by protobuf field by field, so they are priced the same way.
  std::string groups;
  for (int i = 0; i < 5'000'000; ++i) groups += "\xa3\x01\xa4\x01";  // start and end of group 20
  const std::string group_bomb = model_around(groups);
  CHECK_THAT(ErrorOf([&] { Session::LoadFromBytes(group_bomb.data(), group_bomb.size(), {}, kOrigin); }),
             Contains("hostile.axon: has too many nodes, values, attributes or list entries"));
}

TEST_CASE("Reshape shape tensors with huge, negative or too many entries", "[robustness]") {
  const int64_t big = int64_t{1} << 40;
  SECTION("entries whose product overflows, even with a zero among them") {
    CHECK_THAT(ErrorOf([&] { Load(ReshapeGraph(Shape({0}), {0, big, big})); }),
               Contains("hostile.axon: node 'r' (Reshape): dims [0,1099511627776,1099511627776] multiply to more than") &&
                   Contains("(inputs: x: f32[0], shape: i64[3])"));
    CHECK_THAT(ErrorOf([&] { Load(ReshapeGraph(Shape({Dim::Symbol("n")}), {big, big})); }),
               Contains("node 'r' (Reshape): dims [1099511627776,1099511627776] multiply to more than"));
    CHECK_THAT(ErrorOf([&] { Load(ReshapeGraph(Shape({4}), {big, big, -1})); }),
               Contains("node 'r' (Reshape): dims [1099511627776,1099511627776] multiply to more than"));
  }
  SECTION("negative entries other than -1") {
    CHECK_THAT(ErrorOf([&] { Load(ReshapeGraph(Shape({4}), {-2, -2})); }),
               Contains("node 'r' (Reshape): shape has invalid entry -2"));
    CHECK_THAT(ErrorOf([&] { Load(ReshapeGraph(Shape({4}), {std::numeric_limits<int64_t>::min()})); }),
               Contains("shape has invalid entry -9223372036854775808"));
  }
  SECTION("more entries than dims a value may have") {
    CHECK_THAT(ErrorOf([&] { Load(ReshapeGraph(Shape({1}), std::vector<int64_t>(65, 1))); }),
               Contains("node 'r' (Reshape): shape has 65 entries; at most 64 dims"));
  }
  SECTION("a shape fed at run time whose declared length is huge") {
    graph::Graph g;
    g.inputs = {Value("x", kF32, Shape({Dim()})), Value("s", kI64, Shape({int64_t{1} << 40}))};
    g.nodes = {MakeNode("r", "Reshape", {"x", "s"}, {"y"})};
    g.outputs = {Out("y")};
    CHECK_THAT(ErrorOf([&] { Load(g); }),
               Contains("hostile.axon: node 'r' (Reshape): shape has 1099511627776 entries; at most 64"));
  }
  SECTION("a shape fed at run time with bad values") {
    graph::Graph g;
    g.inputs = {Value("x", kF32, Shape({Dim()})), Value("s", kI64, Shape({Dim::Symbol("rank")}))};
    g.nodes = {MakeNode("r", "Reshape", {"x", "s"}, {"y"})};
    g.outputs = {Out("y")};
    Session s = Load(g);
    const std::vector<float> empty;
    const std::vector<int64_t> huge = {0, big, big}, ones(65, 1), fine = {2, -1};
    const std::vector<float> four = {1, 2, 3, 4};
    CHECK_THAT(ErrorOf([&] { s.Run({{"x", Tensor::View(empty.data(), {0})}, {"s", Tensor::View(huge.data(), {3})}}); }),
               Contains("hostile.axon: node 'r' (Reshape): dims [0,1099511627776,1099511627776] multiply to more than"));
    CHECK_THAT(ErrorOf([&] { s.Run({{"x", Tensor::View(four.data(), {1})}, {"s", Tensor::View(ones.data(), {65})}}); }),
               Contains("node 'r' (Reshape): shape has 65 entries; at most 64"));
    auto out = s.Run({{"x", Tensor::View(four.data(), {4})}, {"s", Tensor::View(fine.data(), {2})}});
    CHECK(out[0].shape() == std::vector<int64_t>{2, 2});
  }
  SECTION("copying a dim (0) of an input of unknown rank is decided at run time") {
    graph::Graph g = ReshapeGraph(Shape(), {0, -1});
    Session s = Load(g);
    const std::vector<float> x(6, 1.0f);
    CHECK(s.Run({{"x", Tensor::View(x.data(), {2, 3})}})[0].shape() == std::vector<int64_t>{2, 3});
    CHECK_THAT(ErrorOf([&] { s.Run({{"x", Tensor::View(x.data(), {})}}); }),
               Contains("node 'r' (Reshape): shape copies dim 0 that the input lacks (inputs: x: f32[], shape: i64[2])"));
  }
}

TEST_CASE("Transpose perms out of range, of the wrong length, or on an input of unknown rank", "[robustness]") {
  auto graph_with_perm = [](Shape x_shape, std::vector<int64_t> perm) {
    graph::Graph g;
    g.inputs = {Value("x", kF32, std::move(x_shape))};
    g.nodes = {MakeNode("t", "Transpose", {"x"}, {"y"}, {{"perm", std::move(perm)}})};
    g.outputs = {Out("y")};
    return g;
  };
  CHECK_THAT(ErrorOf([&] { Load(graph_with_perm(Shape({2, 3}), {0, 5})); }),
             Contains("hostile.axon: node 't' (Transpose): perm [0,5] is not a permutation of 0..1 (inputs: x: f32[2,3])"));
  CHECK_THAT(ErrorOf([&] { Load(graph_with_perm(Shape({2, 3}), {std::numeric_limits<int64_t>::min(), 0})); }),
             Contains("is not a permutation of 0..1"));
  CHECK_THAT(ErrorOf([&] { Load(graph_with_perm(Shape({2, 3}), {0, 1, 2})); }),
             Contains("node 't' (Transpose): perm has 3 entries for an input of rank 2"));
  CHECK_THAT(ErrorOf([&] { Load(graph_with_perm(Shape(), std::vector<int64_t>(1000, 0))); }),
             Contains("node 't' (Transpose): perm has 1000 entries; at most 64"));

  // Unknown rank: the perm fixes the output's rank, and a run checks it against the real input.
  Session s = Load(graph_with_perm(Shape(), {1, 0}));
  CHECK(s.outputs()[0].shape.size() == 2);
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  auto out = s.Run({{"x", Tensor::View(x.data(), {2, 3})}});
  CHECK(out[0].shape() == std::vector<int64_t>{3, 2});
  CHECK(out[0].ToFloatVector() == std::vector<float>{1, 4, 2, 5, 3, 6});
  CHECK_THAT(ErrorOf([&] { s.Run({{"x", Tensor::View(x.data(), {1, 2, 3})}}); }),
             Contains("node 't' (Transpose): perm has 2 entries for an input of rank 3 (inputs: x: f32[1,2,3])"));
}

TEST_CASE("attributes of the wrong type name the node and the attribute", "[robustness]") {
  graph::Graph g;
  g.inputs = {Value("x", kF32, Shape({2, 3}))};
  g.nodes = {MakeNode("sm", "Softmax", {"x"}, {"y"}, {{"axis", std::string("last")}})};
  g.outputs = {Out("y")};
  CHECK_THAT(ErrorOf([&] { Load(g); }),
             Contains("hostile.axon: node 'sm' (Softmax): attribute 'axis' must be int, got string"));
  g.nodes = {MakeNode("t", "Transpose", {"x"}, {"y"}, {{"perm", std::vector<float>{1, 0}}})};
  CHECK_THAT(ErrorOf([&] { Load(g); }), Contains("node 't' (Transpose): attribute 'perm' must be ints, got floats"));
}

TEST_CASE("run-time inputs that make intermediates explode hit the memory limit, naming the node", "[robustness]") {
  // x[n] -> [n,1] and [1,n] -> outer product [n,n]: tiny inputs, quadratic intermediate.
  graph::Graph g;
  g.inputs = {Value("x", kF32, Shape({Dim::Symbol("n")}))};
  g.initializers["col"] = I64({-1, 1});
  g.initializers["row"] = I64({1, -1});
  g.nodes = {MakeNode("as_col", "Reshape", {"x", "col"}, {"c"}), MakeNode("as_row", "Reshape", {"x", "row"}, {"r"}),
             MakeNode("outer", "MatMul", {"c", "r"}, {"y"})};
  g.outputs = {Out("y")};

  Session limited = Load(g, {.threads = 1, .memory_limit_bytes = 1 << 20});
  const std::vector<float> small(100, 1.0f), large(1000, 1.0f);
  CHECK(limited.Run({{"x", Tensor::View(small.data(), {100})}})[0].shape() == std::vector<int64_t>{100, 100});
  CHECK_THAT(ErrorOf([&] { limited.Run({{"x", Tensor::View(large.data(), {1000})}}); }),
             Contains("hostile.axon: node 'outer' (MatMul): output 'y' f32[1000,1000] needs 4000000 bytes") &&
                 Contains("exceeds the memory limit of 1048576 bytes") &&
                 Contains("(inputs: c: f32[1000,1], r: f32[1,1000])"));

  // The default limit is the machine's memory: 2^21 floats in, 16 TiB wanted.
  Session unlimited = Load(g);
  const std::vector<float> huge(std::size_t{1} << 21, 1.0f);
  CHECK_THAT(ErrorOf([&] { unlimited.Run({{"x", Tensor::View(huge.data(), {int64_t{1} << 21})}}); }),
             Contains("node 'outer' (MatMul): output 'y' f32[2097152,2097152] needs 17592186044416 bytes") &&
                 Contains("exceeds the memory limit"));

  CHECK_THAT(ErrorOf([&] { Load(g, {.memory_limit_bytes = -1}); }),
             Contains("memory_limit_bytes is -1; it must be >= 0"));
}

TEST_CASE("outputs never share storage with weights or with the caller's input buffers", "[robustness]") {
  graph::Graph g;
  g.inputs = {Value("x", kF32, Shape({2}))};
  g.initializers["w"] = Tensor::FromVector(std::vector<float>{1, 2}, {2});
  g.nodes = {MakeNode("id_w", "Identity", {"w"}, {"w_copy"}), MakeNode("id_x", "Identity", {"x"}, {"x_copy"})};
  // A graph output may directly be an initializer or a graph input.
  g.outputs = {Out("w"), Out("w_copy"), Out("x"), Out("x_copy")};
  Session s = Load(g);
  std::vector<float> x = {7, 8};
  auto first = s.Run({{"x", Tensor::View(x.data(), {2})}});
  REQUIRE(first.size() == 4);
  for (Tensor& t : first) {
    CHECK(!t.is_view());
    CHECK(t.raw_data() != static_cast<void*>(x.data()));
    t.data<float>()[0] = -100;  // the caller owns what Run returned
  }
  x = {9, 10};
  auto second = s.Run({{"x", Tensor::View(x.data(), {2})}});
  CHECK(second[0].ToFloatVector() == std::vector<float>{1, 2});
  CHECK(second[1].ToFloatVector() == std::vector<float>{1, 2});
  CHECK(second[2].ToFloatVector() == std::vector<float>{9, 10});
  CHECK(second[3].ToFloatVector() == std::vector<float>{9, 10});
}

TEST_CASE("copies of outputs that alias weights count against the memory limit", "[robustness]") {
  graph::Graph g;
  g.initializers["w"] = Tensor::Zeros(kF32, {150'000});  // 600 kB
  g.nodes = {MakeNode("id", "Identity", {"w"}, {"w_copy"})};
  g.outputs = {Out("w"), Out("w")};
  Session s = Load(g, {.threads = 1, .memory_limit_bytes = 1 << 20});
  auto out = s.Run({});
  CHECK(out[0].raw_data() == out[1].raw_data());  // one copy for an output listed twice
  g.outputs = {Out("w_copy"), Out("w")};
  Session over = Load(g, {.threads = 1, .memory_limit_bytes = 1 << 20});
  CHECK_THAT(ErrorOf([&] { over.Run({}); }),
             Contains("hostile.axon: graph output 'w' f32[150000] needs a copy of 600000 bytes; with the 600000 bytes "
                      "already held that exceeds the memory limit of 1048576 bytes"));
}

TEST_CASE("errors found while compiling a session name the file", "[robustness]") {
  graph::Graph g;
  g.inputs = {Value("x", kF32, Shape({2}))};
  g.nodes = {MakeNode("future", "AxonTestNoKernel", {"x"}, {"y"})};
  g.outputs = {Out("y")};
  CHECK_THAT(ErrorOf([&] { Load(g); }),
             Contains("hostile.axon: node 'future' (AxonTestNoKernel): no kernel for op 'AxonTestNoKernel'"));
}

TEST_CASE("a 100k-node chain loads and runs without recursion or quadratic work", "[robustness]") {
  constexpr int kDepth = 100000;
  auto name = [](char prefix, int i) {
    std::string s(1, prefix);
    s += std::to_string(i);
    return s;
  };
  graph::Graph g;
  g.inputs = {Value("v0", kF32, Shape({Dim::Symbol("n")}))};
  for (int i = 0; i < kDepth; ++i)
    g.nodes.push_back(MakeNode(name('n', i), i % 2 ? "Relu" : "Identity", {name('v', i)}, {name('v', i + 1)}));
  std::swap(g.nodes.front(), g.nodes.back());  // file order need not be topological
  g.outputs = {Out(name('v', kDepth))};
  Session s = Load(g);
  const std::vector<float> x = {-1, 2};
  CHECK(s.Run({{"v0", Tensor::View(x.data(), {2})}})[0].ToFloatVector() == std::vector<float>{0, 2});
}

TEST_CASE("a node with a huge input list gets a short error", "[robustness]") {
  graph::Graph g;
  g.inputs = {Value("x", kF32, Shape({2}))};
  g.nodes = {MakeNode("relu", "Relu", std::vector<std::string>(100000, "x"), {"y"})};
  g.outputs = {Out("y")};
  const std::string message = ErrorOf([&] { Load(g); });
  CHECK_THAT(message, Contains("node 'relu' (Relu): expects 1 inputs, got 100000") && Contains("more"));
  CHECK(message.size() < 1000);
}

TEST_CASE("structural oddities: zero outputs, empty names, duplicates, omitted inputs", "[robustness]") {
  graph::Graph g;
  g.inputs = {Value("a", kF32, Shape({2, 3})), Value("b", kF32, Shape({3, 4}))};
  g.outputs = {Out("y")};
  SECTION("a node with no outputs") {
    g.nodes = {MakeNode("gemm", "Gemm", {"a", "b"}, {"y"}), MakeNode("sink", "Relu", {"a"}, {})};
    CHECK_THAT(ErrorOf([&] { Load(g); }), Contains("node 'sink' (Relu): expects 1 outputs, got 0"));
  }
  SECTION("an output with an empty name") {
    g.nodes = {MakeNode("gemm", "Gemm", {"a", "b"}, {""})};
    CHECK_THAT(ErrorOf([&] { Load(g); }), Contains("node 'gemm' (Gemm) defines a value with an empty name"));
  }
  SECTION("nodes without names load and run; errors name them by op and output") {
    g.nodes = {MakeNode("", "Gemm", {"a", "b"}, {"h"}), MakeNode("", "Relu", {"h"}, {"y"})};
    Session s = Load(g);
    const std::vector<float> a(6, 1.0f), b(12, -2.0f);
    auto out = s.Run({{"a", Tensor::View(a.data(), {2, 3})}, {"b", Tensor::View(b.data(), {3, 4})}});
    CHECK(out[0].ToFloatVector() == std::vector<float>(8, 0.0f));
    g.inputs[1] = Value("b", kF32, Shape({4, 4}));
    CHECK_THAT(ErrorOf([&] { Load(g); }), StartsWith(std::string(kOrigin) + ": unnamed node (Gemm) producing 'h'"));
  }
  SECTION("a non-empty node name used twice") {
    g.nodes = {MakeNode("n", "Gemm", {"a", "b"}, {"h"}), MakeNode("n", "Relu", {"h"}, {"y"})};
    CHECK_THAT(ErrorOf([&] { Load(g); }), Contains("node name 'n' is used twice"));
  }
  SECTION("a value defined twice") {
    g.initializers["a"] = Tensor::Zeros(kF32, {2, 3});
    g.nodes = {MakeNode("gemm", "Gemm", {"a", "b"}, {"y"})};
    CHECK_THAT(ErrorOf([&] { Load(g); }), Contains("value 'a' is defined more than once (again by initializer)"));
  }
  SECTION("a required input omitted") {
    g.nodes = {MakeNode("gemm", "Gemm", {"a", ""}, {"y"})};
    CHECK_THAT(ErrorOf([&] { Load(g); }), Contains("node 'gemm' (Gemm): required input B is missing"));
  }
  SECTION("an optional input omitted runs") {
    g.nodes = {MakeNode("gemm", "Gemm", {"a", "b", ""}, {"y"})};
    Session s = Load(g);
    const std::vector<float> a(6, 1.0f), b(12, 2.0f);
    auto out = s.Run({{"a", Tensor::View(a.data(), {2, 3})}, {"b", Tensor::View(b.data(), {3, 4})}});
    CHECK(out[0].ToFloatVector() == std::vector<float>(8, 6.0f));
  }
}

TEST_CASE("values of unknown rank are checked when a run gives them one", "[robustness]") {
  graph::Graph g;
  g.inputs = {Value("x", kF32, Shape())};
  g.initializers["w"] = Tensor::FromVector(std::vector<float>{1, 0, 0, 1}, {2, 2});
  g.nodes = {MakeNode("fc", "Gemm", {"x", "w"}, {"h"}), MakeNode("sm", "Softmax", {"h"}, {"y"}, {{"axis", int64_t{1}}})};
  g.outputs = {Out("y")};
  Session s = Load(g);
  const std::vector<float> x = {0, 0, 1, 1};
  CHECK(s.Run({{"x", Tensor::View(x.data(), {2, 2})}})[0].ToFloatVector() == std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f});
  CHECK_THAT(ErrorOf([&] { s.Run({{"x", Tensor::View(x.data(), {1, 2, 2})}}); }),
             Contains("hostile.axon: node 'fc' (Gemm): Gemm needs 2-D A and B (inputs: x: f32[1,2,2], w: f32[2,2])"));
  CHECK_THAT(ErrorOf([&] { s.Run({{"x", Tensor::View(x.data(), {4})}}); }), Contains("node 'fc' (Gemm)"));
}

TEST_CASE("axon inspect estimates FLOPs of models whose shapes are known only at run time", "[robustness][cli]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("axon_robustness_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto inspect = [&](const graph::Graph& g, int expected_status = 0) {
    {
      std::ofstream f(dir / "m.axon", std::ios::binary);
      f << Serialize(g);
    }
    std::string cmd = "'";
    cmd += AXON_CLI_PATH;
    cmd += "' inspect '" + (dir / "m.axon").string() + "' > '" + (dir / "out.txt").string() + "' 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream f(dir / "out.txt");
    const std::string out((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    INFO(out);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == expected_status);
    return out;
  };
  // A shape computed at run time: Gemm's FLOP rule once read A's dims from an empty vector.
  graph::Graph runtime_shape;
  runtime_shape.inputs = {Value("x", kF32, Shape({Dim::Symbol("batch"), 6})), Value("s", kI64, Shape({2}))};
  runtime_shape.initializers["w"] = Tensor::Zeros(kF32, {3, 2});
  runtime_shape.nodes = {MakeNode("r", "Reshape", {"x", "s"}, {"h"}), MakeNode("fc", "Gemm", {"h", "w"}, {"y"})};
  runtime_shape.outputs = {Out("y")};
  CHECK_THAT(inspect(runtime_shape),
             Contains("FLOPs per run: 0 (symbolic dims = 1; 2 nodes with shapes known only at run time not counted)"));
  // An input of unknown rank stays of unknown rank when symbolic dims are given a size.
  graph::Graph unknown_rank;
  unknown_rank.inputs = {Value("x", kF32, Shape())};
  unknown_rank.initializers["w"] = Tensor::Zeros(kF32, {3, 2});
  unknown_rank.nodes = {MakeNode("fc", "Gemm", {"x", "w"}, {"h"}), MakeNode("sm", "Softmax", {"h"}, {"y"})};
  unknown_rank.outputs = {Out("y")};
  CHECK_THAT(inspect(unknown_rank), Contains("x: f32[?...]") && Contains("2 nodes with shapes known only at run time"));
  // Symbolic dims set to --batch can make a valid model's shapes fail: no estimate, no error.
  CHECK_THAT(inspect(ReshapeGraph(Shape({Dim::Symbol("batch")}), {4, -1})),
             Contains("FLOPs per run: unknown (with symbolic dims = 1: node 'r' (Reshape): cannot infer the -1"));
  // Names from the file cannot break the one-line error or reach the terminal as escape codes.
  graph::Graph evil;
  evil.inputs = {Value("x\n\x1b[2J", kF32, Shape({2}))};
  evil.nodes = {MakeNode("n\r", "Evil\x1b]0;title\x07", {"x\n\x1b[2J"}, {"y"})};
  evil.outputs = {Out("y")};
  const std::string evil_out = inspect(evil, 1);
  CHECK(std::count(evil_out.begin(), evil_out.end(), '\n') == 1);
  CHECK(evil_out.find('\x1b') == std::string::npos);
  CHECK_THAT(evil_out, Contains("node 'n\\x0d' (Evil\\x1b]0;title\\x07): unknown op type"));
  fs::remove_all(dir);
}
