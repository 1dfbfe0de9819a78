// A small CNN with every spatial op (Conv in each of its paths, MaxPool, Pad, ConvTranspose,
// Resize, AveragePool, GlobalAveragePool) run as one planned session: it matches the ops run one
// by one, does not depend on the thread count, and a steady-state run allocates nothing.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "axon/axon.h"
#include "graph/builder.h"
#include "runtime/session_factory.h"
#include "tests/runtime/allocation_counter.h"

using namespace axon;
using graph::Attribute;
using graph::Shape;

namespace {

using Ints = std::vector<int64_t>;
using Attrs = std::map<std::string, Attribute>;

Tensor Random(Ints shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(ElementCount(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::FromVector(v, std::move(shape));
}

struct Layer {
  std::string op;
  std::vector<Tensor> weights;  // the inputs after the activation, as constants
  Attrs attrs;
};

std::vector<Layer> Layers() {
  return {
      {"Conv", {Random({8, 3, 3, 3}, 1), Random({8}, 2)}, {{"pads", Ints{1, 1, 1, 1}}}},                   // im2col
      {"Relu", {}, {}},
      {"MaxPool", {}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}},
      {"Conv", {Random({8, 1, 3, 3}, 3), Random({8}, 4)}, {{"group", int64_t{8}}, {"pads", Ints{1, 1, 1, 1}}}},  // depthwise
      {"Conv", {Random({16, 8, 1, 1}, 5), Random({16}, 6)}, {}},                                              // pointwise
      {"Pad", {Tensor::FromVector(Ints{0, 0, 1, 1, 0, 0, 1, 1}, {8})}, {{"mode", std::string("reflect")}}},
      {"ConvTranspose", {Random({16, 4, 2, 2}, 7), Random({4}, 8)}, {{"strides", Ints{2, 2}}}},
      {"Resize", {Tensor::Zeros(DType::kF32, {0}), Tensor::FromVector(std::vector<float>{1, 1, 0.5f, 0.5f}, {4})},
       {{"mode", std::string("linear")}}},
      {"AveragePool", {}, {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}}},
      {"GlobalAveragePool", {}, {}},
  };
}

Session Compile(graph::Graph g, int threads) {
  graph::Model m;
  m.graph = std::move(g);
  return detail::SessionFactory::FromModel(std::move(m), {.threads = threads}, "test");
}

graph::Graph Network(const Ints& x_shape, const std::vector<Layer>& layers, std::size_t first, std::size_t last) {
  graph::GraphBuilder b("cnn");
  std::string h = b.Input("x", DType::kF32, Shape::FromValues(x_shape));
  for (std::size_t i = first; i < last; ++i) {
    std::vector<std::string> inputs = {h};
    for (std::size_t w = 0; w < layers[i].weights.size(); ++w) {
      std::string name = "w";  // built with += : GCC 12 misreads "w" + std::string as overlapping copies
      name += std::to_string(i);
      name += '_';
      name += std::to_string(w);
      inputs.push_back(b.Weight(name, layers[i].weights[w]));
    }
    h = b.Op(layers[i].op, inputs, layers[i].attrs);
  }
  b.Output(h, "y");
  return b.Build();
}

}  // namespace

TEST_CASE("a CNN of every spatial op runs as one plan, as the ops one by one, on any thread count",
          "[runtime][session][cnn]") {
  const Ints x_shape = {2, 3, 20, 20};
  const Tensor x = Random(x_shape, 99);
  const std::vector<Layer> layers = Layers();

  Session whole = Compile(Network(x_shape, layers, 0, layers.size()), 1);
  const Tensor y = whole.Run({{"x", x}})[0];
  CHECK(y.shape() == Ints{2, 4, 1, 1});

  // One op at a time, each in a session of its own.
  Tensor h = x;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    INFO("layer " << i << " " << layers[i].op);
    Session one = Compile(Network(h.shape(), layers, i, i + 1), 1);
    h = one.Run({{"x", h}})[0];
  }
  REQUIRE(h.shape() == y.shape());
  CHECK(std::memcmp(h.data<float>(), y.data<float>(), y.nbytes()) == 0);

  for (int threads : {2, 3}) {
    INFO(threads << " threads");
    Session s = Compile(Network(x_shape, layers, 0, layers.size()), threads);
    const Tensor yt = s.Run({{"x", x}})[0];
    CHECK(std::memcmp(yt.data<float>(), y.data<float>(), y.nbytes()) == 0);
    // Steady state, into the caller's buffer: no allocation anywhere, workspace included.
    const std::vector<Tensor> inputs = {x};
    std::vector<float> out(8);
    std::vector<Tensor> outputs = {Tensor::View(out.data(), {2, 4, 1, 1})};
    s.RunInto(inputs, outputs);
    test::CountAllocations counter;
    for (int i = 0; i < 5; ++i) s.RunInto(inputs, outputs);
    CHECK(counter.count() == 0);
    CHECK(std::memcmp(out.data(), y.data<float>(), y.nbytes()) == 0);
  }
}
