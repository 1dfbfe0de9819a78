// axon profile and axon bench, run as a user would: the table, the JSON line, the trace file.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "formats/axon_format.h"
#include "formats/npy.h"
#include "tests/tools/cli_test_util.h"
#include "graph/builder.h"
#include "tests/tools/json_parse.h"

namespace fs = std::filesystem;
namespace graph = axon::graph;
using axon::test::Json;
using axon::test::JsonReader;

namespace {

using axon::cli_test::Axon;
using axon::cli_test::Result;
using axon::cli_test::Slurp;
using axon::cli_test::TempDir;

std::string LastLine(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

axon::Tensor Filled(std::vector<int64_t> shape, float scale) {
  axon::Tensor t = axon::Tensor::Zeros(axon::DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = scale * std::sin(0.37f * static_cast<float>(i));
  return t;
}

// Two branches from x, joined: y = relu(x W1^T + b1) + tanh(x W2^T), x: f32[batch,32]; 5 nodes.
void WriteBranches(const fs::path& path) {
  graph::GraphBuilder b("branches");
  auto x = b.Input("x", axon::DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 32}));
  auto w1 = b.Weight("w1", Filled({16, 32}, 0.2f));
  auto b1 = b.Weight("b1", Filled({16}, 0.1f));
  auto w2 = b.Weight("w2", Filled({16, 32}, 0.3f));
  auto left = b.Op("Relu", {b.Op("Gemm", {x, w1, b1}, {{"transB", int64_t{1}}}, "left_fc")}, {}, "left_act");
  auto right = b.Op("Tanh", {b.Op("Gemm", {x, w2}, {{"transB", int64_t{1}}}, "right_fc")}, {}, "right_act");
  b.Output(b.Op("Add", {left, right}, {}, "join"), "y");
  graph::Model m;
  m.graph = b.Build();
  axon::formats::WriteModelFile(m, path.string());
}

}  // namespace

TEST_CASE("bench: latency figures, and --json as the last line", "[cli][bench]") {
  const fs::path dir = TempDir("bench");
  WriteBranches(dir / "m.axon");
  const Result r = Axon("bench m.axon --dim batch=8 --runs 7 --warmup 2 --threads 1 --opt-level 1 --json", dir);
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());  // no progress line when stderr is no terminal
  CHECK(r.out.find("made-up input x: f32[8,32] uniform in [-1, 1)") != std::string::npos);
  CHECK(r.out.find("latency ms: min ") != std::string::npos);
  const Json j = JsonReader::Parse(LastLine(r.out));
  for (const char* key : {"median_ms", "p90_ms", "min_ms", "max_ms", "mean_ms", "runs_per_s", "threads", "runs", "opt_level"}) {
    INFO(key);
    REQUIRE(j.Has(key));
    CHECK(j[key].kind == Json::Kind::kNumber);
  }
  CHECK(j["runs"].number == 7);
  CHECK(j["warmup"].number == 2);
  CHECK(j["threads"].number == 1);
  CHECK(j["opt_level"].number == 1);
  CHECK(j["model"].string == "m.axon");
  CHECK(j["min_ms"].number > 0);
  CHECK(j["min_ms"].number <= j["median_ms"].number);
  CHECK(j["median_ms"].number <= j["p90_ms"].number);
  CHECK(j["p90_ms"].number <= j["max_ms"].number);
  // Throughput is runs over their summed latency: 1000 / mean.
  CHECK(j["runs_per_s"].number == Approx(1000 / j["mean_ms"].number).epsilon(1e-3));

  // An input given with -i binds the symbolic dim; without --json no JSON line.
  axon::formats::WriteNpyFile((dir / "x.npy").string(), Filled({3, 32}, 1.0f));
  const Result given = Axon("bench m.axon -i x=x.npy --runs 2 --opt-level 0", dir);
  REQUIRE(given.code == 0);
  CHECK(given.out.find("made-up") == std::string::npos);
  CHECK(given.out.find("opt level 0") != std::string::npos);
  CHECK(LastLine(given.out).rfind("throughput: ", 0) == 0);
  fs::remove_all(dir);
}

TEST_CASE("profile: one line per node, slowest first, and a Chrome trace with one event per node per run",
          "[cli][profile]") {
  const fs::path dir = TempDir("profile");
  WriteBranches(dir / "m.axon");
  const Result r = Axon("profile m.axon --dim batch=64 --runs 3 --threads 2 --trace out/trace.json", dir);
  CHECK(r.code == 1);  // out/ does not exist: one line, nothing written
  CHECK(r.err.find("out/trace.json: cannot write the trace: no directory out") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.out.empty());
  fs::create_directories(dir / "a_dir");
  const Result d = Axon("profile m.axon --runs 1 --trace a_dir", dir);
  CHECK(d.code == 1);
  CHECK(d.err == "axon profile: a_dir: cannot write the trace: it is a directory\n");
  // A device (or a symlink) would be refused only when the trace is written: refused before.
  const Result n = Axon("profile m.axon --runs 1 --trace /dev/null", dir);
  CHECK(n.code == 1);
  CHECK(n.out.empty());
  CHECK(n.err.find("/dev/null") != std::string::npos);
  // Never over the model or an input this run reads: both left as they were.
  const std::string model_bytes = Slurp(dir / "m.axon");
  const Result over_model = Axon("profile m.axon --runs 1 --trace ./m.axon", dir);
  CHECK(over_model.code == 1);
  CHECK(over_model.err == "axon profile: ./m.axon: cannot write the trace over the model this run reads\n");
  CHECK(Slurp(dir / "m.axon") == model_bytes);
  axon::formats::WriteNpyFile((dir / "x.npy").string(), Filled({2, 32}, 1.0f));
  const std::string input_bytes = Slurp(dir / "x.npy");
  const Result over_input = Axon("profile m.axon --runs 1 -i x=x.npy --trace x.npy", dir);
  CHECK(over_input.code == 1);
  CHECK(over_input.err.find("cannot write the trace over input file x.npy") != std::string::npos);
  CHECK(Slurp(dir / "x.npy") == input_bytes);

  // Opt level 0: the five nodes as built (fusion would make them fewer).
  const Result p = Axon("profile m.axon --dim batch=64 --runs 3 --threads 2 --opt-level 0 --trace trace.json", dir);
  REQUIRE(p.code == 0);
  // The table: a header, one line per node, the total.
  std::istringstream lines(p.out);
  std::vector<std::string> rows;
  bool in_table = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("time ms") != std::string::npos) {
      in_table = true;
      continue;
    }
    if (in_table && !line.empty()) rows.push_back(line);
  }
  REQUIRE(rows.size() >= 6);
  CHECK(rows[5].find("total: 5 nodes") != std::string::npos);
  double previous = 1e300, sum = 0;
  std::map<std::string, int> ops;
  for (int i = 0; i < 5; ++i) {
    std::istringstream row(rows[i]);
    double ms = 0;
    std::string pct, gflops, size, op, node;
    row >> ms >> pct >> gflops >> size >> op >> node;
    CHECK(ms <= previous);  // slowest first
    previous = ms;
    sum += ms;
    ++ops[op];
    if (node == "left_fc") {
      CHECK(rows[i].find("f32[64,32], f32[16,32], f32[16]") != std::string::npos);
      // Moved: x (8192 bytes), W1 (2048) and b1 (64) read, the [64,16] output (4096) written.
      CHECK(size == "14.40KB");
      CHECK(gflops != "-");
    }
    if (node == "join") CHECK(gflops != "-");
  }
  CHECK(ops == std::map<std::string, int>{{"Add", 1}, {"Gemm", 2}, {"Relu", 1}, {"Tanh", 1}});
  std::istringstream total(rows[5]);
  double total_ms = 0;
  total >> total_ms;
  CHECK(total_ms == Approx(sum).margin(5e-4));  // rows are rounded to 0.1 us

  const Json trace = JsonReader::Parse(Slurp(dir / "trace.json"));
  REQUIRE(trace.Has("traceEvents"));
  std::map<std::pair<std::string, int>, int> events;  // (node, run) -> count
  for (const Json& e : trace["traceEvents"].array) {
    if (e["ph"].string != "X") continue;
    CHECK(e["pid"].number == 1);
    CHECK(e["tid"].number >= 0);
    CHECK(e["tid"].number < 2);
    CHECK(e["ts"].number >= 0);
    CHECK(e["dur"].number >= 0);
    ++events[{e["name"].string, static_cast<int>(e["args"]["run"].number)}];
  }
  CHECK(events.size() == 15);
  for (const auto& [key, count] : events) CHECK(count == 1);
  for (const char* node : {"left_fc", "left_act", "right_fc", "right_act", "join"})
    for (int run = 0; run < 3; ++run) CHECK(events.count({node, run}) == 1);
  CHECK(p.out.find("trace: trace.json (15 events: 5 nodes x 3 runs)") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("profile and bench: help, and clear one-line errors", "[cli][profile][bench]") {
  const fs::path dir = TempDir("errors");
  WriteBranches(dir / "m.axon");
  for (const char* cmd : {"profile", "bench"}) {
    const Result help = Axon(std::string(cmd) + " --help", dir);
    CHECK(help.code == 0);
    CHECK(help.out.rfind(std::string("usage: axon ") + cmd, 0) == 0);
    CHECK(Axon("--help", dir).out.find(std::string("  ") + cmd + " ") != std::string::npos);
    const std::pair<std::string, std::string> bad[] = {
        {" m.axon --dim batch=0", "--dim needs NAME=V with an integer V >= 1, got 'batch=0'"},
        {" m.axon --dim batch", "--dim needs NAME=V with an integer V >= 1, got 'batch'"},
        {" m.axon --dim btach=64", "--dim btach: the model's inputs have no dim named btach (they have: batch)"},
        {" m.axon --dim batch=3 --dim batch=5", "--dim batch is given twice"},
        {" m.axon --runs 0", "option --runs needs an integer from 1"},
        // std::stoi would take these as 5, as no other number option does.
        {" m.axon --runs ' 5'", "option --runs needs an integer from 1 to 2147483647, got ' 5'"},
        {" m.axon --runs +5", "option --runs needs an integer from 1 to 2147483647, got '+5'"},
        {" m.axon --memory-limit 0", "option --memory-limit needs a size in bytes > 0"},
        {" m.axon --memory-limit ' 5M'", "option --memory-limit needs a size in bytes > 0"},
        {" m.axon --dim 'batch= 5'", "--dim needs NAME=V with an integer V >= 1, got 'batch= 5'"},
        {" m.axon --dim batch=+5", "--dim needs NAME=V with an integer V >= 1, got 'batch=+5'"},
        {" m.axon --memory-limit 1X", "option --memory-limit needs a size in bytes > 0"},
        {" m.axon --opt-level 9", "option --opt-level needs an integer from 0 to 2, got '9'"},
        {" m.axon --opt-level -1", "option --opt-level needs an integer from 0 to 2, got '-1'"},
        {" missing.axon", "missing.axon"},
        {" m.axon -i y=x.npy", "no input 'y'"},
    };
    for (const auto& [args, message] : bad) {
      INFO(cmd << args);
      const Result r = Axon(cmd + args, dir);
      CHECK(r.code == 1);
      CHECK(r.out.empty());
      CHECK(r.err.find(message) != std::string::npos);
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
  }
  // Warm-up and timed runs are counted together in an int: a sum past INT_MAX once wrapped, timed
  // nothing and reported zeros with exit 0.
  const Result sum = Axon("bench m.axon --runs 2147483647", dir);
  CHECK(sum.code == 1);
  CHECK(sum.err.find("add up to more than 2147483647 runs") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("profile names the ops a fused node covers: residual Add, activation, attention", "[cli][profile]") {
  const fs::path dir = TempDir("profile_fused");
  // ResNet's block end (Relu(Conv(x) + x), auto_pad spelt out) and an attention core.
  graph::GraphBuilder b("fused");
  auto x = b.Input("x", axon::DType::kF32, graph::Shape({1, 4, 5, 5}));
  auto conv = b.Op("Conv", {x, b.Weight("w", Filled({4, 4, 1, 1}, 0.3f))}, {{"auto_pad", std::string("NOTSET")}});
  b.Output(b.Op("Relu", {b.Op("Add", {conv, x})}, {}, "block"), "y");
  auto q = b.Input("q", axon::DType::kF32, graph::Shape({2, 6, 4}));
  auto kt = b.Weight("kt", Filled({2, 4, 6}, 0.5f));
  auto v = b.Weight("v", Filled({2, 6, 3}, 0.7f));
  b.Output(b.Op("MatMul", {b.Op("Softmax", {b.Op("MatMul", {q, kt})}), v}, {}, "attention"), "a");
  // A transformer's Linear: a rank-3 MatMul and its bias, one FusedGemm that ran no Gemm op.
  auto t = b.Input("t", axon::DType::kF32, graph::Shape({2, 3, 4}));
  b.Output(b.Op("Add", {b.Op("MatMul", {t, b.Weight("wl", Filled({4, 5}, 0.1f))}), b.Weight("bl", Filled({5}, 0.2f))}), "l");
  graph::Model m;
  m.graph = b.Build();
  axon::formats::WriteModelFile(m, (dir / "m.axon").string());
  const Result p = Axon("profile m.axon --runs 1", dir);
  REQUIRE(p.code == 0);
  CHECK(p.out.find("FusedConv [Conv+Add+Relu]") != std::string::npos);
  CHECK(p.out.find("FusedAttention [MatMul+Softmax+MatMul]") != std::string::npos);
  CHECK(p.out.find("FusedGemm [MatMul+Add]") != std::string::npos);
  CHECK(p.out.find("FusedGemm [Gemm]") == std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("profile and bench take --disable-pass, as run does, and say what they left out", "[cli][profile][bench]") {
  const fs::path dir = TempDir("profile_disable");
  WriteBranches(dir / "m.axon");
  // At level 2 Gemm + Relu is one FusedGemm; without the epilogue fusion the Gemm is a plain one.
  const Result fused = Axon("profile m.axon --runs 1 --threads 1", dir);
  REQUIRE(fused.code == 0);
  CHECK(fused.out.find("FusedGemm [Gemm+Relu]") != std::string::npos);
  const Result apart = Axon("profile m.axon --runs 1 --threads 1 --disable-pass gemm-epilogue-fusion", dir);
  REQUIRE(apart.code == 0);
  CHECK(apart.out.find("opt level 2, without gemm-epilogue-fusion\n") != std::string::npos);
  CHECK(apart.out.find("FusedGemm") == std::string::npos);
  CHECK(apart.out.find("Gemm           left_fc  ") != std::string::npos);

  const Result bench = Axon("bench m.axon --runs 1 --warmup 1 --disable-pass gemm-epilogue-fusion --disable-pass "
                            "elementwise-fusion --json", dir);
  REQUIRE(bench.code == 0);
  CHECK(bench.out.find("opt level 2, without gemm-epilogue-fusion, elementwise-fusion\n") != std::string::npos);
  const Json j = JsonReader::Parse(LastLine(bench.out));
  REQUIRE(j["disabled_passes"].kind == Json::Kind::kArray);
  REQUIRE(j["disabled_passes"].array.size() == 2);
  CHECK(j["disabled_passes"].array[0].string == "gemm-epilogue-fusion");
  CHECK(j["disabled_passes"].array[1].string == "elementwise-fusion");
  CHECK(JsonReader::Parse(LastLine(Axon("bench m.axon --runs 1 --warmup 1 --json", dir).out))["disabled_passes"].array.empty());

  // A misspelt pass fails before anything runs, listing the names, for both.
  for (const std::string command : {"profile", "bench"}) {
    const Result bad = Axon(command + " m.axon --runs 1 --disable-pass gemm-epilogue", dir);
    CHECK(bad.code == 1);
    CHECK(bad.out.empty());
    CHECK(bad.err.rfind("axon " + command + ": unknown pass 'gemm-epilogue'; the passes are: ", 0) == 0);
  }
  fs::remove_all(dir);
}

TEST_CASE("bench and profile: a --dim that a given input contradicts, and a made-up input too large, are named",
          "[cli][profile][bench]") {
  const fs::path dir = TempDir("bench_dims");
  WriteBranches(dir / "m.axon");
  axon::formats::WriteNpyFile((dir / "x.npy").string(), Filled({3, 32}, 1.0f));
  for (const std::string command : {"bench", "profile"}) {
    INFO(command);
    // The input binds batch=3: a --dim that agrees is fine, one that does not would go unheard.
    CHECK(Axon(command + " m.axon -i x=x.npy --dim batch=3 --runs 1", dir).code == 0);
    const Result clash = Axon(command + " m.axon -i x=x.npy --dim batch=5 --runs 1", dir);
    CHECK(clash.code == 1);
    CHECK(clash.out.empty());
    CHECK(clash.err == "axon " + command + ": --dim batch=5 contradicts input 'x' (f32[3,32], so batch=3) (see axon " +
                           command + " --help)\n");
    // 2^62 rows of 32 floats overflow any size: the message says which input it was making.
    const Result huge = Axon(command + " m.axon --dim batch=4611686018427387904 --runs 1", dir);
    CHECK(huge.code == 1);
    CHECK(huge.err.rfind("axon " + command + ": cannot make up input 'x' (x: f32[batch,32]): ", 0) == 0);
  }
  fs::remove_all(dir);
}

TEST_CASE("profile and bench: --memory-limit as run has it, and counts said in the singular", "[cli][profile][bench]") {
  const fs::path dir = TempDir("profile_memory");
  WriteBranches(dir / "m.axon");
  // A 64-row batch's Gemm output alone is 64·16·4 = 4 KiB: over a 1 KiB limit, under a 1 MiB one.
  for (const std::string cmd : {"profile", "bench --warmup 1"}) {
    INFO(cmd);
    const Result tight = Axon(cmd + " m.axon --dim batch=64 --runs 1 --memory-limit 1K", dir);
    CHECK(tight.code == 1);
    CHECK(tight.out.empty());
    CHECK(tight.err.find("memory limit of 1024 bytes") != std::string::npos);
    const Result roomy = Axon(cmd + " m.axon --dim batch=64 --runs 1 --threads 1 --memory-limit 1M", dir);
    CHECK(roomy.code == 0);
    CHECK(roomy.out.find("1 thread,") != std::string::npos);
    CHECK(roomy.out.find("1 runs") == std::string::npos);
  }
  const Result p = Axon("profile m.axon --runs 1 --threads 1", dir);
  CHECK(p.out.find(": 1 run, 1 thread, opt level 2") != std::string::npos);
  const Result b = Axon("bench m.axon --runs 1 --warmup 1", dir);
  CHECK(b.out.find("warmup: 1 run (the first ") != std::string::npos);
  CHECK(b.out.find("timed: 1 run in ") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("profile of a model with no timed node shows no 100% total", "[cli][profile]") {
  const fs::path dir = TempDir("profile_empty");
  graph::GraphBuilder b("copy");
  auto x = b.Input("x", axon::DType::kF32, graph::Shape({2, 3}));
  b.Output(b.Op("Identity", {x}), "y");  // relabels memory: not listed
  graph::Model m;
  m.graph = b.Build();
  axon::formats::WriteModelFile(m, (dir / "m.axon").string());
  const Result p = Axon("profile m.axon --runs 2 --opt-level 0", dir);
  REQUIRE(p.code == 0);
  CHECK(p.out.find("total: 0 nodes") != std::string::npos);
  CHECK(p.out.find("100.00%") == std::string::npos);
  CHECK(p.out.find("  0.00%") != std::string::npos);
  fs::remove_all(dir);
}
