// axon train keeps what it writes trustworthy: weights that overflow stop it with the step, a
// killed run's temporary files do not linger, and --resume refuses a MODEL that is not the
// checkpoint's.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "formats/npy.h"
#include "tests/tools/cli_test_util.h"
#include "tests/tools/cli_train_util.h"

namespace fs = std::filesystem;
using namespace axon;
using namespace axon::cli_test;

TEST_CASE("train: an update that makes a weight infinite stops with the epoch and step, writing neither OUT nor the checkpoint",
          "[cli][train]") {
  const fs::path dir = TempDir("train_inf_weights");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,4,1 -o m.axon", dir).code == 0);
  // Targets of 1e18: the MSE, ~1e36, is finite, but its gradient (~1e17) times lr 1e30 is not.
  const std::vector<float> far(16, 1e18f);
  formats::WriteNpyFile((dir / "far.npy").string(), Tensor::View(far.data(), {16, 1}));
  std::ofstream(dir / "ckpt.axon") << "old";
  std::ofstream(dir / "out.axon") << "old";
  // One step an epoch: the check after the epoch finds the weight. Four: the next step's loss is
  // not finite, and the error names the update before it, not the step whose loss showed it.
  for (const char* batch : {"16", "4"}) {
    const Result r = Axon("train m.axon --data x.npy --labels far.npy --loss mse --lr 1e30 --batch-size " + std::string(batch) +
                              " --epochs 3 --checkpoint ckpt.axon -o out.axon",
                          dir);
    INFO(r.out << r.err);
    CHECK(r.code == 1);
    CHECK(r.err.find(std::string("by epoch 1, step 1 of ") + (batch == std::string("16") ? "1" : "4") +
                     " (optimizer step 1): parameter '") != std::string::npos);
    CHECK(r.err.find("' holds NaN or infinity (an update overflowed while the loss was still finite); training stopped, "
                     "leaving out.axon and ckpt.axon as they were (a lower --lr may help)") != std::string::npos);
    CHECK(Count(r.err, "\n") == 1);
    CHECK(Slurp(dir / "ckpt.axon") == "old");
    CHECK(Slurp(dir / "out.axon") == "old");
  }
  fs::remove_all(dir);
}

TEST_CASE("train: temporary files a killed run left beside OUT and the checkpoint neither fail nor stay", "[cli][train]") {
  const fs::path dir = TempDir("train_stale_tmp");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,4,3 -o m.axon", dir).code == 0);
  // PATH.tmp.PID.N of a process that no longer exists (no pid reaches 999999999), as a SIGKILL
  // mid-write leaves them; the same counter the new run's first write will use.
  for (const char* stale : {"out.axon.tmp.999999999.0", "ck.axon.tmp.999999999.0", "ck.axon.tmp.999999999.1"})
    std::ofstream(dir / stale) << "partial";
  const Result r = Axon(kTrainCe + "--epochs 2 --checkpoint ck.axon -o out.axon", dir);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(Files(dir) == std::vector<std::string>{"c.npy", "ck.axon", "m.axon", "out.axon", "x.npy", "y.npy"});
  fs::remove_all(dir);
}

TEST_CASE("train: --resume refuses a MODEL that is not the checkpoint's, and takes one of the same structure", "[cli][train]") {
  const fs::path dir = TempDir("train_resume_model");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,4,3 --seed 1 -o m.axon", dir).code == 0);
  REQUIRE(Axon("init mlp --layers 2,8,3 -o wider.axon", dir).code == 0);
  REQUIRE(Axon("init mlp --layers 2,4,3 --activation tanh -o tanh.axon", dir).code == 0);
  REQUIRE(Axon("init mlp --layers 2,4,3 --seed 7 -o reseeded.axon", dir).code == 0);
  const std::string train = kTrainCe + "--epochs 1 --checkpoint ck.axon -o out.axon";
  REQUIRE(Axon(train, dir).code == 0);
  const std::string ck = Slurp(dir / "ck.axon");
  const std::string resume = " --data x.npy --labels c.npy --epochs 2 --checkpoint ck.axon --resume -o again.axon";
  Result r = Axon("train wider.axon" + resume, dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("MODEL wider.axon is not the model that the checkpoint ck.axon trains: its weight '") != std::string::npos);
  CHECK(r.err.find("'fc1.bias' is f32[8], the checkpoint's f32[4] (--resume continues the checkpoint's training of the MODEL it started "
                   "from; to train wider.axon, leave out --resume or name another --checkpoint)") != std::string::npos);
  r = Axon("train tanh.axon" + resume, dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("MODEL tanh.axon is not the model that the checkpoint ck.axon trains: its node #") != std::string::npos);
  CHECK(r.err.find("(Tanh)") != std::string::npos);
  r = Axon("train missing.axon" + resume, dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("missing.axon: cannot open") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "again.axon"));
  CHECK(Slurp(dir / "ck.axon") == ck);  // a refused resume leaves the checkpoint alone
  // The same structure with other initial values: the checkpoint's values are the ones trained on.
  r = Axon("train reseeded.axon" + resume, dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  const std::string reseeded = Slurp(dir / "again.axon");
  std::ofstream(dir / "ck.axon", std::ios::binary) << ck;
  REQUIRE(Axon("train m.axon" + resume, dir).code == 0);
  CHECK(Slurp(dir / "again.axon") == reseeded);
  fs::remove_all(dir);
}
