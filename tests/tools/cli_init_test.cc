// axon init mlp: the model it writes, against torch.nn.Linear's initialization rule.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "formats/axon_format.h"
#include "graph/verifier.h"
#include "tests/tools/cli_test_util.h"

namespace fs = std::filesystem;
using namespace axon;
using namespace axon::cli_test;

TEST_CASE("init mlp: layers, activations and torch.nn.Linear's uniform(+-1/sqrt(fan_in)) init", "[cli][init]") {
  const fs::path dir = TempDir("init");
  const Result r = Axon("init mlp --layers 3,16,2 --activation tanh --seed 7 -o m.axon", dir);
  REQUIRE(r.code == 0);
  CHECK(r.out == "m.axon: MLP 3-16-2, tanh, torch.nn.Linear initialization, seed 7 (98 parameters in 4 tensors)\n");
  graph::Model m = formats::ReadModelFile((dir / "m.axon").string());
  graph::Verify(m.graph);
  REQUIRE(m.graph.nodes.size() == 3);  // Gemm, Tanh, Gemm: no activation after the last layer
  CHECK(m.graph.nodes[0].op_type == "Gemm");
  CHECK(std::get<int64_t>(m.graph.nodes[0].attrs.at("transB")) == 1);
  CHECK(m.graph.nodes[1].op_type == "Tanh");
  CHECK(m.graph.nodes[2].op_type == "Gemm");
  CHECK(m.graph.outputs[0].ToString() == "y: f32[batch,2]");
  CHECK(m.graph.inputs[0].ToString() == "x: f32[batch,3]");
  const struct {
    const char* name;
    std::vector<int64_t> shape;
    double fan_in;
  } expected[] = {{"fc1.weight", {16, 3}, 3}, {"fc1.bias", {16}, 3}, {"fc2.weight", {2, 16}, 16}, {"fc2.bias", {2}, 16}};
  for (const auto& e : expected) {
    INFO(e.name);
    const Tensor& t = m.graph.initializers.at(e.name);
    REQUIRE(t.shape() == e.shape);
    const double bound = 1.0 / std::sqrt(e.fan_in);
    double sum = 0, largest = 0;
    for (float v : t.ToFloatVector()) {
      CHECK(std::abs(v) <= bound);
      sum += v;
      largest = std::max(largest, static_cast<double>(std::abs(v)));
    }
    // Spread over the interval, not a constant: the largest of n uniform draws is near the bound.
    if (t.size() >= 16) CHECK(largest > 0.6 * bound);
    CHECK(std::abs(sum / static_cast<double>(t.size())) < bound / 2);
  }

  // The same seed gives the same bytes; another seed other weights.
  REQUIRE(Axon("init mlp --layers 3,16,2 --activation tanh --seed 7 -o again.axon", dir).code == 0);
  CHECK(Slurp(dir / "m.axon") == Slurp(dir / "again.axon"));
  REQUIRE(Axon("init mlp --layers 3,16,2 --activation tanh --seed 8 -o other.axon", dir).code == 0);
  CHECK(Slurp(dir / "m.axon") != Slurp(dir / "other.axon"));
  fs::remove_all(dir);
}

TEST_CASE("init mlp: bad arguments are one line, and nothing is written", "[cli][init]") {
  const fs::path dir = TempDir("init_errors");
  const struct {
    const char* args;
    const char* message;
  } cases[] = {
      {"init mlp --layers 2,x -o m.axon", "--layers needs sizes >= 1 separated by commas (e.g. 2,4,1), got '2,x'"},
      {"init mlp --layers 2,0,1 -o m.axon", "--layers needs sizes >= 1"},
      {"init mlp --layers 2 -o m.axon", "--layers needs at least two sizes"},
      {"init mlp --layers 2,3 --activation gelu -o m.axon", "unknown activation 'gelu' (known: relu, sigmoid, tanh)"},
      {"init mlp --layers 2,3", "missing -o MODEL.axon"},
      {"init cnn --layers 2,3 -o m.axon", "unknown model kind 'cnn' (known: mlp)"},
      {"init mlp --layers 2,3 --seed -1 -o m.axon", "--seed needs an integer from 0"},
  };
  for (const auto& c : cases) {
    INFO(c.args);
    const Result r = Axon(c.args, dir);
    CHECK(r.code == 1);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_FALSE(fs::exists(dir / "m.axon"));
  }
  fs::remove_all(dir);
}
