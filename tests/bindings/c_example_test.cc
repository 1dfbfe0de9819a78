// examples/c/classify.c, built as a C program against the public header folder, classifies an
// input of a model whose answer is known by construction.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "formats/axon_format.h"
#include "graph/builder.h"
#include "tests/tools/cli_test_util.h"

using namespace axon;

namespace {

// softmax(x·Wᵀ) with W the 4x4 identity shuffled so that class k scores x[(k + 1) % 4].
void WriteShuffleModel(const std::string& path) {
  std::vector<float> w(16, 0.0f);
  for (int k = 0; k < 4; ++k) w[k * 4 + (k + 1) % 4] = 1;
  graph::GraphBuilder b("shuffle");
  auto x = b.Input("x", DType::kF32, graph::Shape({graph::Dim::Symbol("batch"), 4}));
  auto logits = b.Op("Gemm", {x, b.Weight("w", Tensor::FromVector(w, {4, 4}))}, {{"transB", int64_t{1}}});
  b.Output(b.Op("Softmax", {logits}), "probs");
  graph::Model m;
  m.graph = b.Build();
  formats::WriteModelFile(m, path);
}

int RunExample(const std::string& args, const std::filesystem::path& dir) {
  const std::string cmd = "cd '" + dir.string() + "' && timeout 120 '" + AXON_C_EXAMPLE_PATH + "' " + args +
                          " >out.txt 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("the C example classifies an input", "[bindings][c][examples]") {
  const auto dir = cli_test::TempDir("c_example");
  WriteShuffleModel((dir / "shuffle.axon").string());
  const float x[4] = {0.1f, 0.2f, 0.9f, 0.3f};  // the largest is x[2]: class 1 scores it
  std::ofstream(dir / "x.f32", std::ios::binary).write(reinterpret_cast<const char*>(x), sizeof x);
  CHECK(RunExample("shuffle.axon x.f32", dir) == 0);
  const std::string out = cli_test::Slurp(dir / "out.txt");
  INFO(out);
  CHECK(out.rfind("class 1 (score ", 0) == 0);
  CHECK(out.find(" of 4 classes)") != std::string::npos);

  // Without an input, all ones: every class scores 1, so the first is the answer.
  CHECK(RunExample("shuffle.axon", dir) == 0);
  CHECK(cli_test::Slurp(dir / "out.txt").rfind("class 0 (score 0.25 of 4 classes)", 0) == 0);

  // Too few values, and a missing model: one line naming the problem, exit 1.
  std::ofstream(dir / "short.f32", std::ios::binary).write(reinterpret_cast<const char*>(x), 8);
  CHECK(RunExample("shuffle.axon short.f32", dir) == 1);
  CHECK(cli_test::Slurp(dir / "out.txt").find("short.f32: expected 4 float32 values") != std::string::npos);
  CHECK(RunExample("nothere.axon x.f32", dir) == 1);
  CHECK(cli_test::Slurp(dir / "out.txt").find("load: nothere.axon: cannot open") != std::string::npos);
  std::filesystem::remove_all(dir);
}
