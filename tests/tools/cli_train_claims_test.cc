// What axon train and axon demo check before they train: a checkpoint that is not one (an ONNX
// model), a checkpoint another run is writing, and an output path that cannot be written.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <thread>

#include "axon/training.h"
#include "formats/axon_format.h"
#include "graph/builder.h"
#include "tests/formats/onnx/onnx_test_util.h"
#include "tests/tools/cli_test_util.h"
#include "tests/tools/cli_train_util.h"

namespace fs = std::filesystem;
using namespace axon;
using namespace axon::cli_test;

namespace {

// True while some process holds the flock on path (a lock this process then takes is released).
bool Locked(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool taken = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  ::close(fd);
  return taken;
}

}  // namespace

TEST_CASE("train: --resume from an ONNX file says it is an ONNX model, not a checkpoint", "[cli][train]") {
  const fs::path dir = TempDir("train_onnx_checkpoint");
  WriteData(dir);
  using namespace axon::onnx_test;
  OnnxModel m(13, 7);
  m.Input("x", kFloat, {std::string("batch"), 2});
  m.Weight("fc.weight", {1, 2}, {0.3f, -0.2f});
  AttrInt(m.Node("Gemm", {"x", "fc.weight"}, {"y"}, "fc"), "transB", 1);
  m.Output("y");
  std::ofstream(dir / "m.onnx", std::ios::binary) << m.Bytes();
  std::ofstream(dir / "ck.onnx", std::ios::binary) << m.Bytes();
  const Result r = Axon("train m.onnx --data x.npy --labels y.npy --loss mse --checkpoint ck.onnx --resume -o out.axon", dir);
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK(r.err.find("ck.onnx: an ONNX model, not an Axon checkpoint") != std::string::npos);
  CHECK(r.err.find("format version") == std::string::npos);
  CHECK_THROWS_WITH(TrainingSession::Resume((dir / "ck.onnx").string()),
                    Catch::Contains("ck.onnx: an ONNX model, not an Axon checkpoint"));
  fs::remove_all(dir);
}

TEST_CASE("train: a second run with the same --checkpoint is refused while the first holds it", "[cli][train]") {
  const fs::path dir = TempDir("train_checkpoint_lock");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,4,3 -o m.axon", dir).code == 0);
  const std::string train = kTrainCe + "--checkpoint ck.axon -o out.axon --threads 1 --epochs ";

  SECTION("another process's lock on CKPT.lock refuses the run, which writes nothing") {
    const int fd = ::open((dir / "ck.axon.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    Result r = Axon(train + "2", dir);
    CHECK(r.code == 1);
    CHECK(r.err.find("--checkpoint ck.axon: another axon train run holds it (the lock on ck.axon.lock is taken)") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(dir / "ck.axon"));
    CHECK_FALSE(fs::exists(dir / "out.axon"));
    ::close(fd);  // released, as when that run ends: the lock file left behind is taken over
    r = Axon(train + "2", dir);
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(fs::exists(dir / "ck.axon"));
    CHECK_FALSE(fs::exists(dir / "ck.axon.lock"));
  }
  SECTION("two axon train processes") {
    // The first trains for long enough to be found running, and is killed after the check.
    const std::string first = "cd '" + dir.string() + "' && { '" + AXON_CLI_PATH + "' " + train +
                              "100000000 >first.out 2>&1 & echo $! > first.pid; }";
    REQUIRE(std::system(first.c_str()) == 0);
    // Its header line comes after it took the lock (probing the lock itself could take it for a
    // moment, just when the first run tries).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (Slurp(dir / "first.out").find("training m.axon") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const pid_t pid = std::stoi(Slurp(dir / "first.pid"));
    const bool running = Locked(dir / "ck.axon.lock");
    const Result r = Axon(train + "2", dir);
    ::kill(pid, SIGKILL);
    for (int i = 0; i < 500 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    INFO(Slurp(dir / "first.out"));
    REQUIRE(running);
    CHECK(r.code == 1);
    CHECK(r.err.find("--checkpoint ck.axon: another axon train run holds it") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("train refuses a model with an infinite weight, naming it; verify warns about it and passes", "[cli][train]") {
  const fs::path dir = TempDir("train_infinite_weight");
  WriteData(dir);
  graph::GraphBuilder b("inf_weight");
  auto x = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 2}));
  const std::vector<float> w = {0.3f, -0.2f, std::numeric_limits<float>::infinity(), 0.1f, -0.4f, 0.6f};
  b.Output(b.Op("Gemm", {x, b.Weight("fc.weight", Tensor::FromVector(w, {3, 2}))}, {{"transB", int64_t{1}}}), "y");
  graph::Model m;
  m.graph = b.Build();
  formats::WriteModelFile(m, (dir / "m.axon").string());
  Result r = Axon(kTrainCe + "-o out.axon", dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("m.axon: trainable parameter 'fc.weight' holds +inf (element 2 of 6): training needs finite values") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out.axon"));
  r = Axon("verify m.axon", dir);
  CHECK(r.code == 0);
  CHECK(r.out.find("m.axon: valid .axon model") != std::string::npos);
  CHECK(r.err == "warning: initializer 'fc.weight' holds 0 NaN and 1 infinite of its 6 values (the first at element 2): "
                 "fine for a mask, but training refuses such a parameter\n");
  fs::remove_all(dir);
}

TEST_CASE("demo: an -o that cannot be written is refused before any training", "[cli][demo]") {
  const fs::path dir = TempDir("demo_bad_output");
  const Result r = Axon("demo -o no_such_dir/x.axon", dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("no_such_dir/x.axon: cannot write there: no directory no_such_dir") != std::string::npos);
  CHECK(r.out.empty());
  fs::remove_all(dir);
}
