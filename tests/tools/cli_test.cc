// Runs the built `axon` binary the way a user would.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <tbb/info.h>

#include "formats/axon_format.h"
#include "formats/npy.h"
#include "tests/tools/cli_test_util.h"
#include "graph/builder.h"

namespace fs = std::filesystem;
namespace graph = axon::graph;

namespace {

using axon::cli_test::Axon;
using axon::cli_test::Result;
using axon::cli_test::Slurp;
using axon::cli_test::TempDir;

int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("every command has --help", "[cli]") {
  const fs::path dir = TempDir("help");
  Result top = Axon("--help", dir);
  CHECK(top.code == 0);
  for (const char* cmd : {"run", "inspect", "info", "demo", "train", "init"}) {
    CHECK(top.out.find(cmd) != std::string::npos);
    Result r = Axon(std::string(cmd) + " --help", dir);
    CHECK(r.code == 0);
    CHECK(r.out.find("usage: axon " + std::string(cmd)) != std::string::npos);
    Result help = Axon(std::string("help ") + cmd, dir);
    CHECK(help.code == 0);
    CHECK(help.out == r.out);
  }
  CHECK(Axon("help", dir).out == top.out);
  Result unknown = Axon("help launch", dir);
  CHECK(unknown.code == 1);
  CHECK(unknown.err == "axon: unknown command 'launch' (see axon --help)\n");
  fs::remove_all(dir);
}

TEST_CASE("demo saves a model that run and inspect accept", "[cli]") {
  const fs::path dir = TempDir("demo");
  Result demo = Axon("demo", dir);
  REQUIRE(demo.code == 0);
  const std::string where = fs::canonical(dir).string();  // the demo's working directory, as getcwd says
  CHECK(demo.out.find("saved it to " + where + "/xor.axon\n") != std::string::npos);
  CHECK(demo.out.find("saved the four XOR inputs to " + where + "/x.npy\n") != std::string::npos);
  REQUIRE(fs::exists(dir / "xor.axon"));
  const std::string hint = std::string("run it again with: ") + AXON_CLI_PATH + " run " + where + "/xor.axon -i " + where + "/x.npy\n";
  CHECK(demo.out.find(hint) != std::string::npos);
  const axon::Tensor demo_x = axon::formats::ReadNpyFile((dir / "x.npy").string());
  CHECK(demo_x.ToFloatVector() == std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1});

  const std::vector<float> x = {0, 0, 0, 1, 1, 0, 1, 1};
  axon::formats::WriteNpyFile((dir / "x.npy").string(), axon::Tensor::View(x.data(), {4, 2}));
  Result run = Axon("run xor.axon -i x.npy -o out", dir);
  REQUIRE(run.code == 0);
  CHECK(run.out.find("y: f32[4,1] -> out/y.npy") != std::string::npos);
  CHECK(run.out.find("run time:") != std::string::npos);
  axon::Tensor y = axon::formats::ReadNpyFile((dir / "out" / "y.npy").string());
  REQUIRE(y.shape() == std::vector<int64_t>{4, 1});
  // Trained: every XOR answer on the right side of 0.5, with a mean squared error below 0.01.
  const std::vector<float> ys = y.ToFloatVector(), xor_of = {0, 1, 1, 0};
  double mse = 0;
  for (int i = 0; i < 4; ++i) {
    CHECK((ys[i] > 0.5f) == (xor_of[i] > 0.5f));
    mse += (ys[i] - xor_of[i]) * (ys[i] - xor_of[i]) / 4;
  }
  CHECK(mse < 0.01);
  CHECK(demo.out.find("Epoch 0, Loss: ") != std::string::npos);  // the seed's progress lines
  CHECK(demo.out.find("4 of 4 answers right") != std::string::npos);
  CHECK(fs::exists(dir / "spiral.axon"));
  CHECK(demo.out.find("accuracy ") != std::string::npos);

  Result named = Axon("run xor.axon -i x=x.npy --no-save", dir);
  CHECK(named.code == 0);
  CHECK(!fs::exists(dir / "y.npy"));

  Result inspect = Axon("inspect xor.axon", dir);
  REQUIRE(inspect.code == 0);
  CHECK(inspect.out.find("x: f32[batch,2]") != std::string::npos);
  CHECK(inspect.out.find("Gemm         2") != std::string::npos);
  CHECK(inspect.out.find("Sigmoid      2") != std::string::npos);
  CHECK(inspect.out.find("parameters: 17 in 4 initializers") != std::string::npos);
  // 2·2·4 + 2·4·1 multiply-adds, 4·(4+1) sigmoid FLOPs, at batch 1.
  CHECK(inspect.out.find("FLOPs per run: 44") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("graph passes: --opt-level, --disable-pass and inspect --passes", "[cli][passes]") {
  const fs::path dir = TempDir("passes");
  REQUIRE(Axon("demo", dir).code == 0);
  Result passes = Axon("inspect xor.axon --passes", dir);
  REQUIRE(passes.code == 0);
  CHECK(passes.out.find("passes (opt level 2):") != std::string::npos);
  // The XOR net's two Gemm + Sigmoid pairs become two FusedGemms.
  CHECK(passes.out.find("gemm-epilogue-fusion                 2        1     -2") != std::string::npos);
  CHECK(passes.out.find("4 -> 2 nodes in 2 rounds") != std::string::npos);
  CHECK(passes.out.find("FusedGemm    2") != std::string::npos);
  Result off = Axon("inspect xor.axon --passes --disable-pass gemm-epilogue-fusion", dir);
  REQUIRE(off.code == 0);
  CHECK(off.out.find("gemm-epilogue-fusion             (disabled)") != std::string::npos);
  CHECK(off.out.find("4 -> 4 nodes") != std::string::npos);
  Result level1 = Axon("inspect xor.axon --passes --opt-level 1", dir);
  CHECK(level1.out.find("elementwise-fusion") == std::string::npos);
  // Level 0 runs no pass: no "4 -> 4 nodes in 1 round" for work never done.
  Result level0 = Axon("inspect xor.axon --passes --opt-level 0", dir);
  REQUIRE(level0.code == 0);
  CHECK(level0.out.find("no pass ran: 4 nodes, unchanged") != std::string::npos);
  CHECK(level0.out.find("round") == std::string::npos);
  // The same outputs at every level.
  Result r0 = Axon("run xor.axon -i x.npy --no-save --opt-level 0", dir);
  Result r2 = Axon("run xor.axon -i x.npy --no-save", dir);
  REQUIRE(r0.code == 0);
  CHECK(r0.out.substr(0, r0.out.find("run time")) == r2.out.substr(0, r2.out.find("run time")));
  Result bad = Axon("verify xor.axon --disable-pass nope", dir);
  CHECK(bad.code == 1);
  CHECK(bad.err.find("unknown pass 'nope'; the passes are: identity-elimination") != std::string::npos);
  Result level = Axon("run xor.axon -i x.npy --opt-level 3", dir);
  CHECK(level.code == 1);
  CHECK(level.err.find("--opt-level needs an integer from 0 to 2, got '3'") != std::string::npos);
  // A negative level names the range too (it used to say "0 to 2147483647").
  Result negative = Axon("inspect xor.axon --passes --opt-level -1", dir);
  CHECK(negative.code == 1);
  CHECK(negative.err.find("option --opt-level needs an integer from 0 to 2, got '-1'") != std::string::npos);
  // A misspelt pass is refused even where no pass runs (inspect without --passes), and at level 0.
  for (const char* cmd : {"inspect xor.axon --disable-pass gemm-epilouge-fusion",
                          "run xor.axon -i x.npy --no-save --opt-level 0 --disable-pass nope"}) {
    INFO(cmd);
    Result misspelt = Axon(cmd, dir);
    CHECK(misspelt.code == 1);
    CHECK(misspelt.out.empty());
    CHECK(misspelt.err.find("unknown pass '") != std::string::npos);
    CHECK(misspelt.err.find("the passes are: identity-elimination") != std::string::npos);
  }
  // verify reports a constant node that every run would fail on (it used to say the model was fine).
  {
    axon::graph::GraphBuilder b("refused");
    auto x = b.Input("x", axon::DType::kF32, axon::graph::Shape({3}));
    auto data = b.Weight("data", axon::Tensor::FromVector(std::vector<float>{1, 2, 3}, {3}));
    auto index = b.Weight("index", axon::Tensor::FromVector(std::vector<int64_t>{7}, {1}));
    b.Output(b.Op("Add", {x, b.Op("Gather", {data, index}, {}, "bad_gather")}), "y");
    axon::graph::Model m;
    m.graph = b.Build();
    axon::formats::WriteModelFile(m, (dir / "refused.axon").string());
    Result refused = Axon("verify refused.axon", dir);
    CHECK(refused.code == 1);
    CHECK(refused.err.find("node 'bad_gather' (Gather): index 7") != std::string::npos);
    CHECK(Axon("verify refused.axon --opt-level 0", dir).code == 0);  // no folding: nothing runs
  }
  fs::remove_all(dir);
}

TEST_CASE("info names the SIMD target", "[cli]") {
  const fs::path dir = TempDir("info");
  Result info = Axon("info", dir);
  CHECK(info.code == 0);
  CHECK(info.out.find("simd target: ") != std::string::npos);
  CHECK(info.out.find("targets usable on this cpu: ") != std::string::npos);  // as info --help says
  CHECK(info.out.find("Gemm") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("errors are one line on stderr and exit code 1", "[cli]") {
  const fs::path dir = TempDir("errors");
  REQUIRE(Axon("demo", dir).code == 0);
  std::ofstream(dir / "junk.axon") << "definitely not protobuf \x01\x02\x03";
  const std::vector<float> wrong(6, 1.0f);
  axon::formats::WriteNpyFile((dir / "wrong.npy").string(), axon::Tensor::View(wrong.data(), {2, 3}));
  std::ofstream(dir / "bad.npy") << "\x93NUMPY garbage";
  REQUIRE(::mkfifo((dir / "pipe.axon").c_str(), 0600) == 0);
  REQUIRE(::mkfifo((dir / "pipe.npy").c_str(), 0600) == 0);

  struct Case { std::string args, expect; };
  const std::vector<Case> cases = {
      {"run junk.axon -i wrong.npy", "junk.axon"},
      {"run missing.axon", "missing.axon"},
      {"run xor.axon", "missing input x"},
      {"run xor.axon -i wrong.npy", "got f32[2,3]"},
      {"run xor.axon -i bad.npy", "bad.npy"},
      {"run xor.axon -i nothere.npy", "nothere.npy"},
      {"run pipe.axon", "pipe.axon: cannot read: not a regular file (a FIFO)"},
      {"run xor.axon -i pipe.npy", "pipe.npy: cannot read: not a regular file (a FIFO)"},
      {"run xor.axon -i /dev/zero", "/dev/zero: cannot read: not a regular file (a character device)"},
      {"inspect .", ".: cannot read: not a regular file (a directory)"},
      {"run xor.axon --frobnicate", "unknown option --frobnicate"},
      {"inspect", "missing MODEL"},
      {"launch", "unknown command 'launch'"},
  };
  for (const Case& c : cases) {
    INFO("axon " << c.args);
    Result r = Axon(c.args, dir);
    CHECK(r.code == 1);
    CHECK(Lines(r.err) == 1);
    CHECK(r.err.find(c.expect) != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("a run's outputs are written all or none", "[cli]") {
  const fs::path dir = TempDir("all_or_none");
  graph::GraphBuilder b("two_outputs");
  const auto x = b.Input("x", axon::DType::kF32, graph::Shape({2}));
  b.Output(b.Op("Relu", {x}), "y");
  b.Output(b.Op("Sigmoid", {x}), "z");
  graph::Model model;
  model.graph = b.Build();
  axon::formats::WriteModelFile(model, (dir / "two.axon").string());
  const std::vector<float> x_values = {-1, 1};
  axon::formats::WriteNpyFile((dir / "x.npy").string(), axon::Tensor::View(x_values.data(), {2}));

  fs::create_directories(dir / "p" / "z.npy");  // the second output cannot be written
  Result r = Axon("run two.axon -i x.npy -o p", dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("p/z.npy: cannot write") != std::string::npos);
  CHECK(r.out.find("->") == std::string::npos);  // nothing reported as written
  CHECK(!fs::exists(dir / "p" / "y.npy"));
  CHECK(std::distance(fs::directory_iterator(dir / "p"), fs::directory_iterator()) == 1);  // no temporary files

  fs::remove(dir / "p" / "z.npy");
  r = Axon("run two.axon -i x.npy -o p", dir);
  CHECK(r.code == 0);
  CHECK(fs::exists(dir / "p" / "y.npy"));
  CHECK(fs::exists(dir / "p" / "z.npy"));

  fs::create_directories(dir / "d" / "x.npy");  // demo's inputs cannot be written beside its model
  r = Axon("demo -o d/m.axon", dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("d/x.npy: cannot write") != std::string::npos);
  CHECK(!fs::exists(dir / "d" / "m.axon"));
  CHECK(std::distance(fs::directory_iterator(dir / "d"), fs::directory_iterator()) == 1);

  // MODEL named as a file the demo writes beside it would be overwritten by that file.
  for (const char* model : {"e/x.npy", "e/./spiral.axon"}) {
    INFO(model);
    fs::create_directories(dir / "e");
    r = Axon(std::string("demo -o ") + model, dir);
    CHECK(r.code == 1);
    CHECK(r.err.find(std::string("-o ") + model + " names the file the demo writes its ") != std::string::npos);
    CHECK(fs::is_empty(dir / "e"));
  }
  fs::remove_all(dir);
}

TEST_CASE("-i splits NAME=FILE only at an input's name, so file names may hold '='", "[cli]") {
  const fs::path dir = TempDir("input_spec");
  REQUIRE(Axon("demo", dir).code == 0);
  fs::copy_file(dir / "x.npy", dir / "x=1.npy");
  CHECK(Axon("run xor.axon -i ./x=1.npy --no-save", dir).code == 0);
  CHECK(Axon("run xor.axon -i x=x=1.npy --no-save", dir).code == 0);
  CHECK(Axon("run xor.axon -i x=./x=1.npy --no-save", dir).code == 0);

  // The name is checked before any file is opened.
  Result typo = Axon("run xor.axon -i nmae=nothere.npy", dir);
  CHECK(typo.code == 1);
  CHECK(Lines(typo.err) == 1);
  CHECK(typo.err.find("the model has no input 'nmae' (its input is x: f32[batch,2]) and there is no file 'nmae=nothere.npy'") !=
        std::string::npos);
  Result twice = Axon("run xor.axon -i x=x.npy -i x.npy", dir);
  CHECK(twice.code == 1);
  CHECK(twice.err.find("input 'x' is given twice") != std::string::npos);

  graph::GraphBuilder b("two_inputs");
  const auto a = b.Input("a", axon::DType::kF32, graph::Shape({2}));
  b.Output(b.Op("Add", {a, b.Input("b", axon::DType::kF32, graph::Shape({2}))}), "sum");
  graph::Model model;
  model.graph = b.Build();
  axon::formats::WriteModelFile(model, (dir / "add.axon").string());
  const std::vector<float> v = {1, 2};
  axon::formats::WriteNpyFile((dir / "v=.npy").string(), axon::Tensor::View(v.data(), {2}));
  Result sum = Axon("run add.axon -i a=v=.npy -i b=./v=.npy --no-save", dir);
  CHECK(sum.code == 0);
  CHECK(sum.out.find("sum: f32[2]  [2, 4]") != std::string::npos);
  Result unnamed = Axon("run add.axon -i v=.npy", dir);
  CHECK(unnamed.code == 1);
  CHECK(unnamed.err.find("-i v=.npy names none of the model's 2 inputs (a: f32[2], b: f32[2])") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("run: --threads is capped at the cores and reports what the run used", "[cli]") {
  const fs::path dir = TempDir("threads");
  REQUIRE(Axon("demo", dir).code == 0);
  const int cores = tbb::info::default_concurrency();
  Result many = Axon("run xor.axon -i x.npy --no-save --threads 5000", dir);
  CHECK(many.code == 0);
  CHECK(many.err.empty());  // no TBB warning
  CHECK(many.out.find(std::string("(").append(std::to_string(cores)).append(" thread")) != std::string::npos);
  CHECK(many.out.find("--threads 5000 is more than this machine runs at once") != std::string::npos);
  Result one = Axon("run xor.axon -i x.npy --no-save --threads 1", dir);
  CHECK(one.out.find("(1 thread)") != std::string::npos);
  for (const char* bad : {"0", "-5", "lots", "99999999999"}) {
    Result r = Axon(std::string("run xor.axon -i x.npy --threads ") + bad, dir);
    CHECK(r.code == 1);
    CHECK(r.err.find("option --threads needs an integer from 1 to 2147483647") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("demo's hint runs as printed, from any directory, with odd paths", "[cli]") {
  const fs::path dir = TempDir("demo_hint");
  fs::create_directories(dir / "it's here");
  Result demo = Axon("demo -o \"it's here/m.axon\"", dir);
  REQUIRE(demo.code == 0);
  const std::string marker = "run it again with: ";
  const std::size_t at = demo.out.find(marker);
  REQUIRE(at != std::string::npos);
  const std::string command = demo.out.substr(at + marker.size(), demo.out.find('\n', at) - at - marker.size());
  CHECK(command.find("'\\''") != std::string::npos);  // the quote in the path, shell-quoted
  const int status = std::system(("cd / && " + command + " --no-save >/dev/null").c_str());
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  fs::remove_all(dir);
}

TEST_CASE("run: --memory-limit bounds what tiny inputs can make a model hold", "[cli]") {
  // Two empty inputs, [n,0] and [0,n], into a MatMul: 128-byte files, an n x n output of zeros.
  const fs::path dir = TempDir("memory_limit");
  graph::GraphBuilder b("outer");
  auto a = b.Input("a", axon::DType::kF32, graph::Shape({graph::Dim::Symbol("n"), graph::Dim::Symbol("k")}));
  auto c = b.Input("b", axon::DType::kF32, graph::Shape({graph::Dim::Symbol("k"), graph::Dim::Symbol("m")}));
  b.Output(b.Op("MatMul", {a, c}, {}, "outer"), "y");
  graph::Model m;
  m.graph = b.Build();
  axon::formats::WriteModelFile(m, (dir / "outer.axon").string());
  const float* none = nullptr;
  axon::formats::WriteNpyFile((dir / "a.npy").string(), axon::Tensor::View(none, {2000, 0}));
  axon::formats::WriteNpyFile((dir / "b.npy").string(), axon::Tensor::View(none, {0, 2000}));
  Result over = Axon("run outer.axon -i a=a.npy -i b=b.npy --no-save --memory-limit 1M", dir);
  CHECK(over.code == 1);
  CHECK(over.err.find("node 'outer' (MatMul): output 'y' f32[2000,2000] needs 16000000 bytes") != std::string::npos);
  CHECK(over.err.find("memory limit of 1048576 bytes") != std::string::npos);
  CHECK(Lines(over.err) == 1);
  Result enough = Axon("run outer.axon -i a=a.npy -i b=b.npy --no-save --memory-limit 64M", dir);
  CHECK(enough.code == 0);
  CHECK(enough.out.find("y: f32[2000,2000]") != std::string::npos);
  for (const char* bad : {"0", "-5M", "12X", "M", "99999999999G"}) {
    INFO(bad);
    Result r = Axon(std::string("run outer.axon -i a=a.npy -i b=b.npy --memory-limit ") + bad, dir);
    CHECK(r.code == 1);
    CHECK(r.err.find("--memory-limit needs a size in bytes") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("run: -i splits at the longest input name, and hints at ./ when the whole value is a file", "[cli]") {
  const fs::path dir = TempDir("longest_input");
  graph::GraphBuilder b("a_minus_ab");
  const auto a = b.Input("a", axon::DType::kF32, graph::Shape({1}));
  b.Output(b.Op("Sub", {a, b.Input("a=b", axon::DType::kF32, graph::Shape({1}))}), "d");
  graph::Model model;
  model.graph = b.Build();
  axon::formats::WriteModelFile(model, (dir / "sub.axon").string());
  const float one = 1, ten = 10;
  axon::formats::WriteNpyFile((dir / "one.npy").string(), axon::Tensor::View(&one, {1}));
  axon::formats::WriteNpyFile((dir / "ten.npy").string(), axon::Tensor::View(&ten, {1}));
  axon::formats::WriteNpyFile((dir / "b=ten.npy").string(), axon::Tensor::View(&ten, {1}));
  Result r = Axon("run sub.axon -i a=b=ten.npy -i a=one.npy --no-save", dir);  // a=b is reachable
  CHECK(r.code == 0);
  CHECK(r.out.find("d: f32[1]  [-9]") != std::string::npos);
  r = Axon("run sub.axon -i a=./b=ten.npy -i a=b=one.npy --no-save", dir);  // and so is a, with the file b=ten.npy
  CHECK(r.code == 0);
  CHECK(r.out.find("d: f32[1]  [9]") != std::string::npos);

  REQUIRE(Axon("demo", dir).code == 0);
  fs::copy_file(dir / "x.npy", dir / "x=1.npy");
  Result hint = Axon("run xor.axon -i x=1.npy", dir);  // binds x to 1.npy, by the rule
  CHECK(hint.code == 1);
  CHECK(Lines(hint.err) == 1);
  CHECK(hint.err.find("1.npy: cannot open") != std::string::npos);
  CHECK(hint.err.find("(to read the file 'x=1.npy', write -i ./x=1.npy)") != std::string::npos);
  Result no_hint = Axon("run xor.axon -i x=2.npy", dir);  // no file x=2.npy: nothing to hint at
  CHECK(no_hint.code == 1);
  CHECK(no_hint.err.find("to read the file") == std::string::npos);
  // A value too long to be a file name is an unknown input, not std::filesystem's error text.
  Result is_long = Axon("run xor.axon -i " + std::string(300, 'n') + "=x.npy", dir);
  CHECK(is_long.code == 1);
  CHECK(Lines(is_long.err) == 1);
  CHECK(is_long.err.find("the model has no input 'nnn") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("run: an output whose name is a safe file name gets exactly that file", "[cli]") {
  const fs::path dir = TempDir("output_names");
  graph::GraphBuilder b("four");
  const auto x = b.Input("x", axon::DType::kF32, graph::Shape({2}));
  b.Output(b.Op("Relu", {x}), "a/b");
  b.Output(b.Op("Sigmoid", {x}), "a b");
  b.Output(b.Op("Tanh", {x}), "a_b");
  b.Output(b.Op("Identity", {x}), "a_b_2");
  graph::Model model;
  model.graph = b.Build();
  axon::formats::WriteModelFile(model, (dir / "four.axon").string());
  const std::vector<float> xs = {-1, 1};
  axon::formats::WriteNpyFile((dir / "x.npy").string(), axon::Tensor::View(xs.data(), {2}));
  Result r = Axon("run four.axon -i x.npy -o o", dir);
  REQUIRE(r.code == 0);
  // Safe names keep their own file; changed names take files no output is known by.
  CHECK(r.out.find("a_b: f32[2] -> o/a_b.npy") != std::string::npos);
  CHECK(r.out.find("a_b_2: f32[2] -> o/a_b_2.npy") != std::string::npos);
  CHECK(r.out.find("a/b: f32[2] -> o/a_b_3.npy") != std::string::npos);
  CHECK(r.out.find("a b: f32[2] -> o/a_b_4.npy") != std::string::npos);
  auto values = [&](const char* file) { return axon::formats::ReadNpyFile((dir / "o" / file).string()).ToFloatVector(); };
  CHECK(std::abs(values("a_b.npy")[1] - std::tanh(1.0f)) < 1e-5f);
  CHECK(values("a_b_2.npy") == xs);
  CHECK(values("a_b_3.npy") == std::vector<float>{0, 1});
  CHECK(std::distance(fs::directory_iterator(dir / "o"), fs::directory_iterator()) == 4);
  Result help = Axon("run --help", dir);
  CHECK(help.out.find("becomes '_'") != std::string::npos);
  CHECK(help.out.find("says which file it went to") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("run: an -o that cannot be a directory is one line naming it, and nothing is written", "[cli]") {
  const fs::path dir = TempDir("bad_output_dir");
  REQUIRE(Axon("demo", dir).code == 0);
  std::ofstream(dir / "f.txt") << "keep";
  struct Case { std::string dir, expect; };
  for (const Case& c : {Case{"/dev/null", "axon run: /dev/null: cannot create the output directory: Not a directory\n"},
                        Case{"f.txt", "axon run: f.txt: cannot create the output directory: Not a directory\n"},
                        Case{"f.txt/sub", "axon run: f.txt/sub: cannot create the output directory: Not a directory\n"}}) {
    INFO(c.dir);
    Result r = Axon("run xor.axon -i x.npy -o " + c.dir, dir);
    CHECK(r.code == 1);
    CHECK(r.err == c.expect);
    CHECK(r.out.empty());
  }
  CHECK(Slurp(dir / "f.txt") == "keep");
  CHECK(!fs::exists(dir / "y.npy"));
  fs::remove_all(dir);
}

TEST_CASE("options: -- ends them, a value option before an option has no value, bounds are stated", "[cli]") {
  const fs::path dir = TempDir("options");
  REQUIRE(Axon("demo", dir).code == 0);
  fs::copy_file(dir / "xor.axon", dir / "-m.axon");
  CHECK(Axon("run -i x.npy --no-save -- -m.axon", dir).code == 0);
  CHECK(Axon("inspect -- -m.axon", dir).code == 0);
  Result file_named_help = Axon("run -- --help", dir);  // a file name after --, not a request for help
  CHECK(file_named_help.code == 1);
  CHECK(file_named_help.err.find("--help: cannot") != std::string::npos);

  struct Case { std::string args, option; };
  for (const Case& c : {Case{"-o --no-save", "-o"}, Case{"--output-dir --no-save", "-o"}, Case{"-o -i x.npy", "-o"},
                        Case{"-o --", "-o"}, Case{"--threads --no-save", "--threads"}, Case{"-o ''", "-o"},
                        Case{"--output-dir=", "-o"}}) {
    INFO(c.args);
    Result r = Axon("run xor.axon -i x.npy " + c.args, dir);
    CHECK(r.code == 1);
    CHECK(Lines(r.err) == 1);
    CHECK(r.err.find("option " + c.option + " needs a value") != std::string::npos);
  }
  CHECK(!fs::exists(dir / "--no-save"));
  CHECK(!fs::exists(dir / "y.npy"));
  // A value that merely starts with '-' is still a value.
  CHECK(Axon("run xor.axon -i x.npy -o -out", dir).code == 0);
  CHECK(fs::exists(dir / "-out" / "y.npy"));

  Result batch = Axon("inspect xor.axon --batch 99999999999999", dir);
  CHECK(batch.code == 1);
  CHECK(batch.err.find("option --batch needs an integer from 1 to 2147483647, got '99999999999999'") != std::string::npos);
  fs::remove_all(dir);
}
