// axon train end to end on tiny data: progress, the model it writes, errors that name the file,
// a diverged run that writes nothing, and --resume equal to an uninterrupted run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <unistd.h>

#include "formats/axon_format.h"
#include "formats/npy.h"
#include "graph/builder.h"
#include "tests/formats/onnx/onnx_test_util.h"
#include "tests/tools/cli_test_util.h"
#include "tests/tools/cli_train_util.h"

namespace fs = std::filesystem;
using namespace axon;
using namespace axon::cli_test;

TEST_CASE("train: an MLP from init learns, and the result runs", "[cli][train]") {
  const fs::path dir = TempDir("train");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,8,1 --activation tanh --seed 1 -o m.axon", dir).code == 0);
  const Result r = Axon("train m.axon --data x.npy --labels y.npy --loss mse --optimizer adam --lr 0.01 "
                        "--epochs 30 --batch-size 5 -o out.axon",
                        dir);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("training m.axon: 33 parameters in 4 tensors; loss mse, optimizer adam (lr 0.01), batch 5, 16 samples") !=
        std::string::npos);
  const std::vector<double> losses = EpochLosses(r.out);
  REQUIRE(losses.size() == 30);
  CHECK(losses.back() < losses.front() / 4);
  CHECK(Count(r.out, "samples/s") == 30);
  CHECK(Count(r.out, "accuracy") == 0);  // mse is no classification
  // 16 samples in batches of 5: four steps an epoch, the last with one sample.
  CHECK(r.out.find("wrote out.axon (120 steps") != std::string::npos);
  const Result run = Axon("run out.axon -i x.npy --no-save", dir);
  CHECK(run.code == 0);
  CHECK(run.out.find("y: f32[16,1]") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("train: classification prints accuracy, validation too", "[cli][train]") {
  const fs::path dir = TempDir("train_ce");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,16,3 --seed 2 -o m.axon", dir).code == 0);
  const Result r = Axon(kTrainCe + "--optimizer momentum --lr 0.1 "
                        "--epochs 40 --batch-size 4 --shuffle --seed 5 --val-split 0.25 --log-every 10 -o out.axon",
                        dir);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("12 samples (+4 for validation)") != std::string::npos);
  CHECK(EpochLosses(r.out).size() == 4);  // every 10th of 40
  CHECK(Count(r.out, "  accuracy ") == 4);
  CHECK(Count(r.out, "val_loss ") == 4);
  CHECK(Count(r.out, "val_accuracy ") == 4);
  CHECK(r.out.find("epoch 40/40") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("train: data that does not fit the model is one line naming the file", "[cli][train]") {
  const fs::path dir = TempDir("train_errors");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 3,4,3 -o m3.axon", dir).code == 0);
  REQUIRE(Axon("init mlp --layers 2,4,3 -o m.axon", dir).code == 0);
  const std::vector<int64_t> bad = {0, 1, 2, 7};
  const std::vector<float> four(8, 0.0f);
  formats::WriteNpyFile((dir / "bad.npy").string(), Tensor::View(bad.data(), {4}));
  formats::WriteNpyFile((dir / "four.npy").string(), Tensor::View(four.data(), {4, 2}));
  const struct {
    std::string args;
    const char* message;
  } cases[] = {
      {"train m3.axon --data x.npy --labels c.npy --loss ce -o out.axon",
       "x.npy is f32[16,2]; it must be f32[N,3] (the model's input x: f32[batch,3], one sample per row)"},
      {"train m.axon --data x.npy --labels y.npy --loss ce -o out.axon",
       "y.npy is f32[16,1]; it must be i64[N] (class indices for --loss ce, one per sample)"},
      {"train m.axon --data x.npy --labels c.npy --loss mse -o out.axon",
       "c.npy is i64[16]; it must be f32[N,3] (labels for --loss mse have the shape of the model's output y: f32[batch,3])"},
      {"train m.axon --data four.npy --labels c.npy --loss ce -o out.axon",
       "four.npy is f32[4,2] and c.npy is i64[16]: they must hold the same number of samples (dim 0)"},
      {"train m.axon --data four.npy --labels bad.npy --loss ce -o out.axon",
       "bad.npy: label 7 (element 3) is not a class index of the model's 3 classes (0..2, or -100 to ignore the sample)"},
      {"train m.axon --data x.npy --labels c.npy -o out.axon", "missing --loss"},
      {"train m.axon --data x.npy --labels c.npy --loss hinge -o out.axon", "unknown loss 'hinge'"},
      {kTrainCe + "--optimizer rmsprop -o out.axon", "unknown optimizer 'rmsprop'"},
      {kTrainCe + "--resume -o out.axon", "--resume needs --checkpoint PATH"},
      {kTrainCe + "--val-split 1.5 -o out.axon", "--val-split needs a number from 0"},
      {kTrainCe + "-o no/such/out.axon",
       "no/such/out.axon: cannot write there: no directory no/such"},
      {kTrainCe + "--checkpoint x.npy/ck.axon -o out.axon",
       "x.npy/ck.axon: cannot write there: x.npy is not a directory"},
      {kTrainCe + "--checkpoint . -o out.axon", ".: cannot write: Is a directory"},
      // Outputs that would overwrite an input, or each other, are refused before training.
      {kTrainCe + "-o x.npy", "-o x.npy names the same file as --data x.npy"},
      {kTrainCe + "--checkpoint ./c.npy -o out.axon",
       "--checkpoint ./c.npy names the same file as --labels c.npy"},
      {kTrainCe + "-o m.axon", "-o m.axon names the same file as MODEL m.axon"},
      {kTrainCe + "-o same.axon --checkpoint ./same.axon",
       "--checkpoint and -o name the same file"},
      // Targets that the final write would refuse are refused before the training too.
      {kTrainCe + "-o /dev/null",
       "/dev/null: cannot write: a character device is in the way (only a regular file is replaced)"},
      {kTrainCe + "--checkpoint link.axon -o out.axon",
       "link.axon: cannot write: a symbolic link is in the way"},
      // Options of another optimizer are refused both ways.
      {kTrainCe + "--beta1 0.5 -o out.axon", "--beta1 applies to adam and adamw only, not sgd"},
      {kTrainCe + "--optimizer momentum --epsilon 3 -o out.axon",
       "--epsilon applies to adam and adamw only, not momentum"},
      // Non-finite data is named where it is, not reported as a diverged loss.
      {"train m.axon --data xnan.npy --labels c.npy --loss ce -o out.axon", "xnan.npy: sample 2 (element 5 of the data) holds NaN"},
      {"train m.axon --data x.npy --labels ynan.npy --loss mse -o out.axon", "ynan.npy: sample 4 (element 13 of the labels) holds an infinity"},
      {"train m.axon --data x.npy --labels ignored.npy --loss ce -o out.axon", "ignored.npy: every label is -100 (an ignored sample): nothing to train on"},
  };
  std::vector<float> ynan(48, 0.5f);
  ynan[13] = INFINITY;
  formats::WriteNpyFile((dir / "ynan.npy").string(), Tensor::View(ynan.data(), {16, 3}));
  std::vector<int64_t> ignored(16, -100);
  formats::WriteNpyFile((dir / "ignored.npy").string(), Tensor::View(ignored.data(), {16}));
  std::vector<float> xnan(32, 0.5f);
  xnan[5] = std::nanf("");
  formats::WriteNpyFile((dir / "xnan.npy").string(), Tensor::View(xnan.data(), {16, 2}));
  fs::create_symlink("target.axon", dir / "link.axon");
  for (const auto& c : cases) {
    INFO(c.args);
    const Result r = Axon(c.args, dir);
    CHECK(r.code == 1);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK(Count(r.err, "\n") == 1);
    CHECK_FALSE(fs::exists(dir / "out.axon"));
    CHECK_FALSE(fs::exists(dir / "same.axon"));
    CHECK_FALSE(fs::exists(dir / "target.axon"));
  }
  CHECK(formats::ReadNpyFile((dir / "x.npy").string()).shape() == std::vector<int64_t>{16, 2});
  CHECK(formats::ReadNpyFile((dir / "c.npy").string()).shape() == std::vector<int64_t>{16});
  fs::remove_all(dir);
}

TEST_CASE("train: a NaN loss stops with the epoch and step, writing neither OUT nor the checkpoint", "[cli][train]") {
  const fs::path dir = TempDir("train_nan");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,4,3 -o m.axon", dir).code == 0);
  // The third batch of four ignores all its samples: torch's mean over none is NaN.
  std::vector<int64_t> y(16, 1);
  std::fill(y.begin() + 8, y.begin() + 12, int64_t{-100});
  formats::WriteNpyFile((dir / "nan.npy").string(), Tensor::View(y.data(), {16}));
  std::ofstream(dir / "ckpt.axon") << "old";
  std::ofstream(dir / "out.axon") << "old";
  const Result r = Axon("train m.axon --data x.npy --labels nan.npy --loss ce --batch-size 4 --checkpoint ckpt.axon -o out.axon", dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("epoch 1, step 3 of 4 (optimizer step 3): the loss is NaN; training stopped, leaving out.axon and ckpt.axon as they were") !=
        std::string::npos);
  CHECK(Slurp(dir / "ckpt.axon") == "old");
  CHECK(Slurp(dir / "out.axon") == "old");
  const Result one = Axon("train m.axon --data x.npy --labels nan.npy --loss ce --batch-size 4 -o out.axon", dir);
  CHECK(one.err.find("training stopped, leaving out.axon as it was (every label of this batch is -100, ignored") != std::string::npos);
  // A diverged run is blamed on the learning rate.
  const Result lr = Axon(kTrainCe + "--lr 1e38 --batch-size 4 -o out.axon", dir);
  CHECK(lr.err.find("training stopped, leaving out.axon as it was (a lower --lr may help)") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("train: --resume from a checkpoint ends bit for bit where an uninterrupted run does", "[cli][train]") {
  const fs::path dir = TempDir("train_resume");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,8,3 --seed 4 -o m.axon", dir).code == 0);
  const std::string common = kTrainCe + "--optimizer adamw --lr 0.02 --batch-size 5 "
                             "--shuffle --seed 9 ";
  REQUIRE(Axon(common + "--epochs 6 --checkpoint whole.ckpt -o whole.axon", dir).code == 0);
  REQUIRE(Axon(common + "--epochs 3 --checkpoint part.ckpt --checkpoint-every 2 -o half.axon", dir).code == 0);
  // The checkpoint knows the settings; options given must agree with it.
  const Result differs = Axon(common + "--epochs 6 --lr 0.5 --checkpoint part.ckpt --resume -o part.axon", dir);
  CHECK(differs.code == 1);
  CHECK(differs.err.find("--lr 0.5 differs from the checkpoint's 0.02") != std::string::npos);
  const Result resumed = Axon("train m.axon --data x.npy --labels c.npy --epochs 6 --checkpoint part.ckpt --resume -o part.axon", dir);
  INFO(resumed.out << resumed.err);
  REQUIRE(resumed.code == 0);
  CHECK(resumed.out.find("resumed after epoch 3, step 12") != std::string::npos);  // the last epoch is always saved
  CHECK(EpochLosses(resumed.out).size() == 3);
  CHECK(Slurp(dir / "part.axon") == Slurp(dir / "whole.axon"));
  CHECK(Slurp(dir / "part.ckpt") == Slurp(dir / "whole.ckpt"));
  CHECK(Slurp(dir / "half.axon") != Slurp(dir / "whole.axon"));
  fs::remove_all(dir);
}

TEST_CASE("train: an ONNX model as PyTorch exports it trains too, into an .axon model", "[cli][train]") {
  const fs::path dir = TempDir("train_onnx");
  WriteData(dir);
  using namespace axon::onnx_test;
  OnnxModel m(13, 7);
  m.Input("x", kFloat, {std::string("batch"), 2});
  m.Weight("fc1.weight", {4, 2}, {0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.6f, 0.2f, -0.3f});
  m.Weight("fc1.bias", {4}, {0.1f, -0.1f, 0.05f, 0.0f});
  m.Weight("fc2.weight", {3, 4}, {0.2f, -0.5f, 0.3f, 0.1f, -0.1f, 0.4f, -0.2f, 0.3f, 0.5f, 0.1f, -0.3f, -0.2f});
  m.Weight("fc2.bias", {3}, {0.0f, 0.1f, -0.1f});
  AttrInt(m.Node("Gemm", {"x", "fc1.weight", "fc1.bias"}, {"h"}, "fc1"), "transB", 1);
  m.Node("Tanh", {"h"}, {"t"}, "tanh");
  AttrInt(m.Node("Gemm", {"t", "fc2.weight", "fc2.bias"}, {"z"}, "fc2"), "transB", 1);
  AttrInt(m.Node("LogSoftmax", {"z"}, {"y"}, "log_softmax"), "axis", 1);
  m.Output("y");
  std::ofstream(dir / "mlp.onnx", std::ios::binary) << m.Bytes();
  const Result r = Axon("train mlp.onnx --data x.npy --labels c.npy --loss nll --lr 0.5 --epochs 20 --batch-size 8 -o out.axon", dir);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("training mlp.onnx: 27 parameters in 4 tensors; loss nll") != std::string::npos);
  const std::vector<double> losses = EpochLosses(r.out);
  REQUIRE(losses.size() == 20);
  CHECK(losses.back() < losses.front());
  const Result run = Axon("run out.axon -i x.npy --no-save", dir);
  CHECK(run.code == 0);
  CHECK(run.out.find("y: f32[16,3]") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("train: --resume checks an edited checkpoint's settings, and one already finished trains nothing", "[cli][train]") {
  const fs::path dir = TempDir("train_edited");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,4,3 -o m.axon", dir).code == 0);
  REQUIRE(Axon(kTrainCe + "--epochs 2 --checkpoint ck.axon -o out.axon", dir).code == 0);
  const std::string ck = (dir / "ck.axon").string();
  const formats::Checkpoint saved = formats::ReadCheckpointFile(ck);
  const std::string resume = "train m.axon --data x.npy --labels c.npy --epochs 3 --checkpoint ck.axon --resume -o again.axon";
  const struct {
    const char* setting;
    double value;
    const char* message;
  } cases[] = {
      {"batch_size", 31.5, "the checkpoint's batch_size 31.5 is not a batch size (an integer from 1 to 2^40)"},
      {"batch_size", 1e300, "the checkpoint's batch_size 1e+300 is not a batch size"},
      {"batch_size", 0, "the checkpoint's batch_size 0 is not a batch size"},
      {"val_split", 2, "the checkpoint's val_split 2 is not a fraction"},
      {"shuffle", 0.5, "the checkpoint's shuffle 0.5 is neither 0 nor 1"},
      {"warmup", 3, "the checkpoint has an unknown setting 'warmup'"},
  };
  for (const auto& c : cases) {
    INFO(c.setting << " " << c.value);
    formats::Checkpoint edited = saved;
    edited.training->hyper_parameters[c.setting] = c.value;
    formats::WriteCheckpointFile(edited, ck);
    const Result r = Axon(resume, dir);
    CHECK(r.code == 1);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "again.axon"));
  }
  formats::WriteCheckpointFile(saved, ck);
  const std::string out_before = Slurp(dir / "out.axon");
  const Result done = Axon("train m.axon --data x.npy --labels c.npy --epochs 2 --checkpoint ck.axon --resume -o out.axon", dir);
  CHECK(done.code == 0);
  CHECK(done.out.find("nothing to do: the checkpoint already finished epoch 2 of 2") != std::string::npos);
  CHECK(Slurp(dir / "out.axon") == out_before);
  fs::remove_all(dir);
}

TEST_CASE("train: --resume with other data than the checkpoint's is refused, naming both", "[cli][train]") {
  const fs::path dir = TempDir("train_other_data");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,4,3 -o m.axon", dir).code == 0);
  REQUIRE(Axon(kTrainCe + "--epochs 1 --checkpoint ck.axon -o out.axon", dir).code == 0);
  // The same samples, one label changed; then fewer samples.
  const Tensor c = formats::ReadNpyFile((dir / "c.npy").string());
  std::vector<int64_t> classes(c.data<int64_t>(), c.data<int64_t>() + c.size());
  classes[5] = (classes[5] + 1) % 3;
  formats::WriteNpyFile((dir / "c2.npy").string(), Tensor::View(classes.data(), {16}));
  std::vector<float> x = formats::ReadNpyFile((dir / "x.npy").string()).ToFloatVector();
  formats::WriteNpyFile((dir / "x8.npy").string(), Tensor::View(x.data(), {8, 2}));
  formats::WriteNpyFile((dir / "c8.npy").string(), Tensor::View(classes.data(), {8}));
  const std::string resume = "train m.axon --epochs 2 --checkpoint ck.axon --resume -o again.axon ";
  Result r = Axon(resume + "--data x.npy --labels c2.npy", dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("--data x.npy and --labels c2.npy differ from the data the checkpoint ck.axon was trained on") != std::string::npos);
  r = Axon(resume + "--data x8.npy --labels c8.npy", dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("--data x8.npy holds 8 samples; the checkpoint ck.axon was trained on 16") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "again.axon"));
  r = Axon(resume + "--data x.npy --labels c.npy", dir);
  INFO(r.err);
  CHECK(r.code == 0);
  fs::remove_all(dir);
}

TEST_CASE("train: BatchNormalization exported in training mode (opset 13) runs, and trains with batch statistics",
          "[cli][train]") {
  const fs::path dir = TempDir("train_bn13");
  WriteData(dir);
  using namespace axon::onnx_test;
  for (const bool training_export : {false, true}) {
    INFO("training export " << training_export);
    OnnxModel m(13, 7);
    m.Input("x", kFloat, {std::string("batch"), 2});
    m.Weight("fc.weight", {3, 2}, {0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.6f});
    m.Weight("bn.weight", {3}, {1.0f, 1.0f, 1.0f});
    m.Weight("bn.bias", {3}, {0.0f, 0.0f, 0.0f});
    m.Weight("bn.running_mean", {3}, {0.0f, 0.0f, 0.0f});
    m.Weight("bn.running_var", {3}, {1.0f, 1.0f, 1.0f});
    AttrInt(m.Node("Gemm", {"x", "fc.weight"}, {"h"}, "fc"), "transB", 1);
    // PyTorch's model.train() export adds the running statistics as outputs nothing reads.
    const std::vector<std::string> outs = training_export ? std::vector<std::string>{"y", "rm", "rv"} : std::vector<std::string>{"y"};
    m.Node("BatchNormalization", {"h", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"}, outs, "bn");
    m.Output("y");
    std::ofstream(dir / "bn.onnx", std::ios::binary) << m.Bytes();
    CHECK(Axon("run bn.onnx -i x.npy --no-save", dir).code == 0);  // inference is unaffected
    const Result r = Axon("train bn.onnx --data x.npy --labels c.npy --loss ce --epochs 1 -o out.axon", dir);
    INFO(r.err);
    CHECK(r.code == 0);
    // Training mode updates the running statistics (torch's model.train()); the inference form
    // (an export after model.eval()) leaves them as they were.
    const axon::graph::Model out = axon::formats::ReadModelFile((dir / "out.axon").string());
    CHECK((out.graph.initializers.at("bn.running_mean").ToFloatVector() != std::vector<float>(3, 0.0f)) == training_export);
  }
  fs::remove_all(dir);
}

TEST_CASE("train: class -100 is ignored as torch's CrossEntropyLoss does by default", "[cli][train]") {
  const fs::path dir = TempDir("train_ignore");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,4,3 --seed 2 -o m.axon", dir).code == 0);
  // All 16 samples with sample 3 ignored, in one batch, against the other 15 alone: the same loss
  // (the mean over the samples counted) and the same accuracy.
  const Tensor x = formats::ReadNpyFile((dir / "x.npy").string());
  const Tensor c = formats::ReadNpyFile((dir / "c.npy").string());
  std::vector<int64_t> ignored(c.data<int64_t>(), c.data<int64_t>() + 16), kept;
  std::vector<float> xs;
  for (int i = 0; i < 16; ++i)
    if (i != 3) kept.push_back(ignored[i]), xs.insert(xs.end(), {x.data<float>()[2 * i], x.data<float>()[2 * i + 1]});
  ignored[3] = -100;
  formats::WriteNpyFile((dir / "c_ignored.npy").string(), Tensor::View(ignored.data(), {16}));
  formats::WriteNpyFile((dir / "c15.npy").string(), Tensor::View(kept.data(), {15}));
  formats::WriteNpyFile((dir / "x15.npy").string(), Tensor::View(xs.data(), {15, 2}));
  const Result a = Axon("train m.axon --data x.npy --labels c_ignored.npy --loss ce --batch-size 16 --epochs 1 -o a.axon", dir);
  const Result b = Axon("train m.axon --data x15.npy --labels c15.npy --loss ce --batch-size 15 --epochs 1 -o b.axon", dir);
  INFO(a.out << a.err << b.out << b.err);
  REQUIRE(a.code == 0);
  REQUIRE(b.code == 0);
  const std::vector<double> la = EpochLosses(a.out), lb = EpochLosses(b.out);
  REQUIRE(la.size() == 1);
  REQUIRE(lb.size() == 1);
  CHECK(std::fabs(la[0] - lb[0]) <= 1e-6);
  const auto accuracy = [](const std::string& out) { return out.substr(out.find("accuracy"), 16); };
  CHECK(accuracy(a.out) == accuracy(b.out));
  fs::remove_all(dir);
}

TEST_CASE("train: a model with a fixed batch is checked against --batch-size and the sample count up front",
          "[cli][train]") {
  const fs::path dir = TempDir("train_fixed_batch");
  WriteData(dir);
  using namespace axon::onnx_test;
  OnnxModel m(13, 7);
  m.Input("x", kFloat, {4, 2});
  m.Weight("fc.weight", {3, 2}, {0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.6f});
  AttrInt(m.Node("Gemm", {"x", "fc.weight"}, {"y"}, "fc"), "transB", 1);
  m.Output("y");
  std::ofstream(dir / "fixed.onnx", std::ios::binary) << m.Bytes();
  const std::vector<float> x(20, 0.25f);
  const std::vector<int64_t> c(10, 1);
  formats::WriteNpyFile((dir / "x10.npy").string(), Tensor::View(x.data(), {10, 2}));
  formats::WriteNpyFile((dir / "c10.npy").string(), Tensor::View(c.data(), {10}));
  Result r = Axon("train fixed.onnx --data x10.npy --labels c10.npy --loss ce --batch-size 4 -o out.axon", dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("has a fixed batch of 4: 10 training samples leave a last batch of 2 (train with --batch-size 4 on a "
                   "sample count it divides, or export the model with a dynamic batch dim)") != std::string::npos);
  r = Axon("train fixed.onnx --data x.npy --labels c.npy --loss ce --batch-size 8 -o out.axon", dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("has a fixed batch of 4: --batch-size 8 differs from it") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out.axon"));
  r = Axon("train fixed.onnx --data x.npy --labels c.npy --loss ce --batch-size 4 --epochs 2 -o out.axon", dir);
  INFO(r.err);
  CHECK(r.code == 0);
  fs::remove_all(dir);
}

TEST_CASE("train: a model whose output is a scalar is refused with one message, not a contradictory one", "[cli][train]") {
  const fs::path dir = TempDir("train_scalar");
  WriteData(dir);
  using namespace axon::onnx_test;
  OnnxModel m(13, 7);
  m.Input("x", kFloat, {std::string("batch"), 2});
  m.Weight("fc.weight", {1, 2}, {0.3f, -0.2f});
  AttrInt(m.Node("Gemm", {"x", "fc.weight"}, {"h"}, "fc"), "transB", 1);
  AttrInt(m.Node("ReduceSum", {"h"}, {"y"}, "sum"), "keepdims", 0);
  m.Output("y");
  std::ofstream(dir / "scalar.onnx", std::ios::binary) << m.Bytes();
  const Result r = Axon("train scalar.onnx --data x.npy --labels y.npy --loss mse -o out.axon", dir);
  CHECK(r.code == 1);
  CHECK(r.err.find("the model's output y: f32[] is a scalar: axon train needs samples along dim 0") != std::string::npos);
  CHECK(Count(r.err, "\n") == 1);
  fs::remove_all(dir);
}

TEST_CASE("train: --seed without --shuffle seeds Dropout's masks", "[cli][train]") {
  const fs::path dir = TempDir("train_dropout_seed");
  WriteData(dir);
  graph::GraphBuilder b("dropout_mlp");
  auto x = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 2}));
  const std::vector<float> w = {0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.6f}, bias = {0.1f, -0.1f, 0.05f};
  auto h = b.Op("Gemm", {x, b.Weight("w", Tensor::FromVector(w, {3, 2})), b.Weight("b", Tensor::FromVector(bias, {3}))},
                {{"transB", int64_t{1}}});
  b.Output(b.Op("Dropout", {h}, {{"ratio", 0.5f}}), "y");
  graph::Model m;
  m.graph = b.Build();
  formats::WriteModelFile(m, (dir / "m.axon").string());
  const std::string train = kTrainCe + "--lr 0.5 --epochs 3 --batch-size 4 ";
  REQUIRE(Axon(train + "--seed 3 -o a.axon", dir).code == 0);
  REQUIRE(Axon(train + "--seed 3 -o b.axon", dir).code == 0);
  REQUIRE(Axon(train + "--seed 4 -o c.axon", dir).code == 0);
  CHECK(Slurp(dir / "a.axon") == Slurp(dir / "b.axon"));
  CHECK(Slurp(dir / "a.axon") != Slurp(dir / "c.axon"));  // other masks, other weights
  fs::remove_all(dir);
}

TEST_CASE("train: an output directory it may not write is refused before training", "[cli][train]") {
  const fs::path dir = TempDir("train_readonly");
  WriteData(dir);
  REQUIRE(Axon("init mlp --layers 2,4,3 -o m.axon", dir).code == 0);
  fs::create_directory(dir / "ro");
  fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                  fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(dir, fs::perms::others_all, fs::perm_options::add);  // the other user reads the data
  // Root writes anywhere: then the command runs as nobody, whom the mode bits bind.
  const std::string as = ::geteuid() == 0 ? "--reuid=65534 --regid=65534 --clear-groups " : "";
  for (const char* target : {"-o ro/out.axon", "--checkpoint ro/ck.axon -o out2.axon"}) {
    INFO(target);
    const std::string cmd = "cd '" + dir.string() + "' && " + (as.empty() ? "" : "setpriv " + as) + "timeout 120 '" +
                            AXON_CLI_PATH + "' " + kTrainCe + "--epochs 1 " + target +
                            " >/dev/null 2>err.txt";
    const int status = std::system(cmd.c_str());
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    const std::string err = Slurp(dir / "err.txt");
    CHECK(err.find("cannot write there: directory ro is not writable") != std::string::npos);
    CHECK(Count(err, "\n") == 1);
    fs::remove(dir / "err.txt");
  }
  CHECK(fs::is_empty(dir / "ro"));
  fs::permissions(dir / "ro", fs::perms::owner_all);
  fs::remove_all(dir);
}
