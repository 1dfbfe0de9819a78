// The CLI on ONNX models: axon convert and axon verify, and run/inspect reading .onnx directly; and
// an application that links libaxon alone (the embedding example) refusing ONNX in one clear line.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "formats/npy.h"
#include "graph/opset.h"
#include "tests/formats/onnx/onnx_test_util.h"
#include "tests/tools/cli_test_util.h"

namespace fs = std::filesystem;
using namespace axon;
using namespace axon::onnx_test;
using namespace axon::cli_test;

namespace {

int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// Opset 11: Gemm, Relu, a Constant, Softmax at axis 1 of a rank-2 input (maps 1:1).
OnnxModel SmallMlp() {
  OnnxModel m(11, 6);
  m.Input("x", kFloat, {std::string("batch"), 3});
  m.Weight("w", {3, 2}, {1, -1, 0.5f, 2, -0.5f, 1});
  AttrFloats(m.Node("Constant", {}, {"b"}, "bias"), "value_floats", {0.1f, -0.1f});
  m.Node("Gemm", {"x", "w", "b"}, {"h"}, "fc");
  m.Node("Relu", {"h"}, {"r"}, "relu");
  m.Node("Softmax", {"r"}, {"y"}, "softmax");
  m.Output("y");
  return m;
}

void Write(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

}  // namespace

TEST_CASE("convert and verify document themselves", "[cli][onnx]") {
  const fs::path dir = TempDir("onnx_help");
  const Result top = Axon("--help", dir);
  for (const char* cmd : {"convert", "verify"}) {
    CHECK(top.out.find(cmd) != std::string::npos);
    const Result r = Axon(std::string(cmd) + " --help", dir);
    CHECK(r.code == 0);
    CHECK(r.out.find("usage: axon " + std::string(cmd)) != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("convert writes an .axon file that runs as the ONNX model does", "[cli][onnx]") {
  const fs::path dir = TempDir("onnx_convert");
  Write(dir / "mlp.onnx", SmallMlp().Bytes());
  const Result c = Axon("convert mlp.onnx mlp.axon", dir);
  INFO(c.err);
  REQUIRE(c.code == 0);
  CHECK(c.out == "mlp.onnx: ONNX IR 6, opset 11, 4 nodes (1 Constant nodes became initializers)\n"
                 "mlp.axon: Axon op set " + std::to_string(graph::kOpsetVersion) +
                     ", 3 nodes, 2 initializers, 1 inputs, 1 outputs\n");
  CHECK(Files(dir) == std::vector<std::string>{"mlp.axon", "mlp.onnx"});

  const Result v = Axon("verify mlp.axon", dir);
  CHECK(v.code == 0);
  CHECK(v.out == "mlp.axon: valid .axon model: 3 nodes, 8 parameters; inputs x: f32[batch,3]; outputs y: f32[batch,2]\n");
  const Result vo = Axon("verify mlp.onnx", dir);
  CHECK(vo.code == 0);
  CHECK(vo.out == "mlp.onnx: valid ONNX model: 3 nodes, 8 parameters; inputs x: f32[batch,3]; outputs y: f32[batch,2]\n");

  // run reads either file; the outputs agree.
  const std::vector<float> x = {1, 2, 3, -1, 0, 4};
  formats::WriteNpyFile((dir / "x.npy").string(), Tensor::View(x.data(), {2, 3}));
  REQUIRE(Axon("run mlp.onnx -i x.npy -o from_onnx", dir).code == 0);
  REQUIRE(Axon("run mlp.axon -i x.npy -o from_axon", dir).code == 0);
  CHECK(formats::ReadNpyFile((dir / "from_onnx" / "y.npy").string()).ToFloatVector() ==
        formats::ReadNpyFile((dir / "from_axon" / "y.npy").string()).ToFloatVector());

  const Result inspect = Axon("inspect mlp.onnx", dir);
  CHECK(inspect.code == 0);
  CHECK(inspect.out.find("format:   ONNX (imported into Axon op set " + std::to_string(graph::kOpsetVersion) +
                         "), producer axon-test") != std::string::npos);
  CHECK(inspect.out.find("Gemm         1") != std::string::npos);

  const Result again = Axon("convert mlp.axon other.axon", dir);
  CHECK(again.code == 1);
  CHECK(again.err == "axon convert: mlp.axon: is an .axon model already (convert reads ONNX models)\n");
  fs::remove_all(dir);
}

TEST_CASE("convert and run warn about a stale graph output declaration and use the computed shape", "[cli][onnx]") {
  const fs::path dir = TempDir("onnx_stale_output");
  Write(dir / "pool.onnx", TorchCeilMaxPool({1, 1, 5, 5}).Bytes());
  const std::string stale =
      "pool.onnx: graph output 'y' of node '/MaxPool' (MaxPool) is declared [1,1,5,5] but computed as [1,1,4,4]";
  const Result c = Axon("convert pool.onnx pool.axon", dir);
  CHECK(c.code == 0);
  CHECK(c.err.rfind("warning: " + stale, 0) == 0);
  CHECK(Lines(c.err) == 1);
  std::vector<float> x(49, 1.0f);
  formats::WriteNpyFile((dir / "x.npy").string(), Tensor::View(x.data(), {1, 1, 7, 7}));
  const Result r = Axon("run pool.onnx -i x.npy -o out", dir);
  CHECK(r.code == 0);
  CHECK(r.err.rfind("axon: warning: " + stale, 0) == 0);
  CHECK(formats::ReadNpyFile((dir / "out" / "y.npy").string()).shape() == std::vector<int64_t>{1, 1, 4, 4});
  const Result converted = Axon("run pool.axon -i x.npy -o out2", dir);
  CHECK(converted.code == 0);
  CHECK(converted.err.empty());
  fs::remove_all(dir);
}

TEST_CASE("convert fails in one line and leaves nothing behind", "[cli][onnx]") {
  const fs::path dir = TempDir("onnx_convert_fail");
  OnnxModel m(13);
  m.Input("x", kFloat, {1, 1, 4, 4});
  m.Node("AxonTestNoSuchOp", {"x"}, {"a"});
  m.Node("AxonTestNoSuchOp", {"a"}, {"b"});
  m.Node("If", {"b"}, {"y"});
  m.Output("y");
  Write(dir / "bad.onnx", m.Bytes());
  const Result r = Axon("convert bad.onnx out.axon", dir);
  CHECK(r.code == 1);
  CHECK(Lines(r.err) == 1);
  CHECK(r.err == "axon convert: bad.onnx: cannot import 3 of 3 nodes; unsupported ONNX ops: AxonTestNoSuchOp (opset 13): 2 "
                 "nodes, not in the importer's table; If (opset 13): 1 node, not in the importer's table\n");
  CHECK(r.out.empty());

  const std::string good = SmallMlp().Bytes();
  Write(dir / "truncated.onnx", good.substr(0, good.size() / 2));
  const Result t = Axon("convert truncated.onnx out.axon", dir);
  CHECK(t.code == 1);
  CHECK(t.err.rfind("axon convert: truncated.onnx: ", 0) == 0);
  CHECK(Lines(t.err) == 1);
  Write(dir / "good.onnx", good);
  const Result nodir = Axon("convert good.onnx nodir/out.axon", dir);
  CHECK(nodir.code == 1);
  CHECK(Lines(nodir.err) == 1);
  CHECK(Files(dir) == std::vector<std::string>{"bad.onnx", "good.onnx", "truncated.onnx"});

  const Result v = Axon("verify truncated.onnx", dir);
  CHECK(v.code == 1);
  CHECK(v.err.rfind("axon verify: truncated.onnx: ", 0) == 0);
  CHECK(Lines(v.err) == 1);
  fs::remove_all(dir);
}

TEST_CASE("an application built without the ONNX importer says so in one line", "[examples][onnx]") {
  const fs::path dir = TempDir("onnx_embed");
  Write(dir / "m.onnx", SmallMlp().Bytes());
  const Result r = Run(AXON_EMBED_EXAMPLE_PATH, "m.onnx", dir);
  CHECK(r.code == 1);
  CHECK(r.out + r.err ==
        "m.onnx: reads as an ONNX model (by its content, or by its name when the content decides nothing), and this "
        "program has no ONNX importer: link libaxon_onnx (with -Wl,--no-as-needed, since no symbol of it is called "
        "directly)\n");
  fs::remove_all(dir);
}

// libaxon_onnx.so registers itself with libaxon.so through formats::RegisterModelImporter, which
// libaxon exports for it, and hands it a model built by its own copy of the graph layer.
TEST_CASE("an application that links libaxon_onnx reads ONNX models", "[examples][onnx]") {
  const fs::path dir = TempDir("onnx_embed_onnx");
  Write(dir / "m.onnx", SmallMlp().Bytes());
  const Result r = Run(AXON_EMBED_ONNX_EXAMPLE_PATH, "m.onnx", dir);
  INFO(r.out + r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("x: f32[batch,3]\n") != std::string::npos);
  // Ones through the Gemm: h = [1 + 0.5 - 0.5 + 0.1, -1 + 2 + 1 - 0.1] = [1.1, 1.9], then Relu, and
  // softmax's first value is 1 / (1 + e^0.8) = 0.310026.
  CHECK(r.out.find("y[4,2], first value 0.310026\n") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("profile and bench read ONNX models as they are", "[cli][onnx][profile][bench]") {
  const fs::path dir = TempDir("onnx_profile_bench");
  Write(dir / "mlp.onnx", SmallMlp().Bytes());
  const Result bench = Axon("bench mlp.onnx --dim batch=4 --runs 3 --json", dir);
  CHECK(bench.code == 0);
  CHECK(bench.out.find("made-up input x: f32[4,3]") != std::string::npos);
  CHECK(bench.out.find("\"runs\":3") != std::string::npos);
  // Opt level 0: the nodes as imported (fusion would make them fewer).
  const Result profile = Axon("profile mlp.onnx --runs 2 --opt-level 0 --trace t.json", dir);
  CHECK(profile.code == 0);
  for (const char* node : {" fc ", " relu ", " softmax "}) CHECK(profile.out.find(node) != std::string::npos);
  CHECK(profile.out.find("trace: t.json (6 events: 3 nodes x 2 runs)") != std::string::npos);
  fs::remove_all(dir);
}
