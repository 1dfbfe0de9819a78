// Real PyTorch exports of a model in train() (tests/data/torch_train_export.py): Linear,
// BatchNorm1d, ReLU, Dropout, Linear at opsets 13 and 15. Inference runs them as PyTorch's eval()
// does; a TrainingSession trains their BatchNorm with batch statistics and their Dropout with
// masks, and saves an inference model.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "formats/model_file.h"
#include "formats/npy.h"

using namespace axon;
namespace fs = std::filesystem;

namespace {

fs::path Data(const char* name) { return fs::path(AXON_SOURCE_DIR) / "tests" / "data" / "torch_train_export" / name; }

}  // namespace

TEST_CASE("training: PyTorch's train() exports run as eval() and train as train() (opsets 13 and 15)",
          "[training][torch][dropout][batchnorm]") {
  const Tensor x = formats::ReadNpyFile(Data("x.npy").string());
  for (const std::string opset : {"13", "15"}) {
    const std::string file = "mlp_opset" + opset + ".onnx";
    INFO(file);
    const std::vector<float> y_eval = formats::ReadNpyFile(Data(("y_eval_opset" + opset + ".npy").c_str()).string()).ToFloatVector();
    Session plain = Session::Load(Data(file.c_str()).string(), {.threads = 1});
    const std::vector<float> y = plain.Run({{"x", x}})[0].ToFloatVector();
    REQUIRE(y.size() == y_eval.size());
    for (std::size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(y_eval[i]).margin(1e-5));

    TrainingSession s = TrainingSession::Load(Data(file.c_str()).string(), {.session = {.threads = 1}, .loss = "ce",
                                                                    .optimizer = {.name = "sgd", .lr = 0.1f}, .seed = 5});
    CHECK(s.parameters() == std::vector<std::string>{"0.bias", "0.weight", "1.bias", "1.weight", "4.bias", "4.weight"});
    const std::vector<int64_t> labels = {0, 1, 2, 0, 1, 2, 0, 1};
    const Tensor l = Tensor::View(labels.data(), {8});
    // Training mode: two steps on one batch draw two masks, so the same weights would give two
    // outputs; Predict (eval) gives one output, twice.
    const float first = s.Step(x, l);
    CHECK(std::isfinite(first));
    s.Step(x, l);
    const std::vector<float> p1 = s.Predict(x)[0].ToFloatVector(), p2 = s.Predict(x)[0].ToFloatVector();
    CHECK(p1 == p2);
    const fs::path out = fs::temp_directory_path() / ("axon_torch_export_" + std::to_string(::getpid()) + ".axon");
    s.SaveModel(out.string());
    const graph::Model saved = formats::ReadModelFile(out.string());
    Session trained = Session::Load(out.string(), {.threads = 1});
    CHECK(trained.Run({{"x", x}})[0].ToFloatVector() == p1);
    fs::remove(out);
    // The running statistics moved toward the batch's (momentum 0.1 from the export's 0.9).
    const graph::Model original = formats::ReadAnyModelFile(Data(file.c_str()).string());
    CHECK(saved.graph.initializers.at("1.running_mean").ToFloatVector() !=
          original.graph.initializers.at("1.running_mean").ToFloatVector());
  }
}
