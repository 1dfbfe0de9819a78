// The shape arithmetic PyTorch exports (x.view(x.size(0), -1) and friends) runs on Axon's
// kernels: Shape -> Gather -> Unsqueeze -> Concat makes the i64 shape tensor a Reshape reads,
// and Range / ConstantOfShape / Expand / Slice / Cast / Equal / Where work on such tensors too.
// Planning a Reshape on that tensor needs its value before the run (see
// tests/graph/input_values_read_test.cc for which inputs each op reads); here the shape
// subgraph's results are graph outputs, so every value is computed by a run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "graph/builder.h"
#include "runtime/session_factory.h"

using namespace axon;
using graph::Dim;
using graph::Shape;

namespace {

Tensor I64s(std::vector<int64_t> v, std::vector<int64_t> shape) { return Tensor::FromVector(v, std::move(shape)); }

std::vector<int64_t> Values(const Tensor& t) { return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.size()); }

}  // namespace

TEST_CASE("PyTorch's Shape -> Gather -> Unsqueeze -> Concat shape subgraph computes the shape", "[runtime][shape_subgraph]") {
  graph::GraphBuilder b("flatten_shape");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 3, 4, 5}));
  auto shape = b.Op("Shape", {x}, {}, "shape");
  auto batch = b.Op("Gather", {shape, b.Weight("zero", I64s({0}, {}))}, {{"axis", int64_t{0}}}, "gather");
  auto batch_1d = b.Op("Unsqueeze", {batch, b.Weight("axes0", I64s({0}, {1}))}, {}, "unsqueeze");
  auto spec = b.Op("Concat", {batch_1d, b.Weight("minus_one", I64s({-1}, {1}))}, {{"axis", int64_t{0}}}, "concat");
  b.Output(spec, "spec");
  // The same dims another way: the trailing dims sliced off the shape and multiplied out is what
  // -1 stands for; here they are just returned, reversed.
  auto tail = b.Op("Slice", {shape, b.Weight("one", I64s({-1}, {1})), b.Weight("end", I64s({0}, {1})),
                             b.Weight("axis0", I64s({0}, {1})), b.Weight("back", I64s({-1}, {1}))},
                   {}, "slice");
  b.Output(tail, "tail");
  // Masks from shapes: which dims equal 4, and a Where choosing between the dim and -1.
  auto is4 = b.Op("Equal", {shape, b.Weight("four", I64s({4}, {}))}, {}, "equal");
  b.Output(b.Op("Where", {is4, b.Weight("neg", I64s({-1}, {})), shape}, {}, "where"), "masked");
  b.Output(b.Op("Cast", {is4}, {{"to", int64_t{7}}}, "cast"), "is4");
  graph::Model m;
  m.graph = b.Build();
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 1}, "shape_subgraph");
  for (int64_t batch_size : {2, 7}) {
    INFO(batch_size);
    const std::vector<Tensor> out = s.Run({{"x", Tensor::Zeros(DType::kF32, {batch_size, 3, 4, 5})}});
    CHECK(Values(out[0]) == std::vector<int64_t>{batch_size, -1});
    CHECK(Values(out[1]) == std::vector<int64_t>{5, 4, 3});
    CHECK(Values(out[2]) == std::vector<int64_t>{batch_size, 3, -1, 5});
    CHECK(Values(out[3]) == std::vector<int64_t>{0, 0, 1, 0});
  }
}

TEST_CASE("Range, ConstantOfShape and Expand take their shapes from graph-input values", "[runtime][shape_subgraph]") {
  graph::GraphBuilder b("from_values");
  auto n = b.Input("n", DType::kI64, Shape(std::vector<Dim>{}));
  auto dims = b.Input("dims", DType::kI64, Shape({2}));
  auto range = b.Op("Range", {b.Weight("start", I64s({0}, {})), n, b.Weight("delta", I64s({1}, {}))}, {}, "range");
  auto expanded = b.Op("Expand", {range, dims}, {}, "expand");
  b.Output(range, "positions");  // renames the value: used above first
  b.Output(b.Op("ConstantOfShape", {dims}, {{"value", graph::TensorAttr{I64s({3}, {1})}}}, "fill"), "filled");
  b.Output(expanded, "expanded");
  graph::Model m;
  m.graph = b.Build();
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 1}, "from_values");
  for (int64_t len : {3, 5}) {
    INFO(len);
    const std::vector<Tensor> out = s.Run({{"n", I64s({len}, {})}, {"dims", I64s({2, len}, {2})}});
    std::vector<int64_t> positions(static_cast<std::size_t>(len));
    for (int64_t i = 0; i < len; ++i) positions[static_cast<std::size_t>(i)] = i;
    CHECK(Values(out[0]) == positions);
    CHECK(out[1].shape() == std::vector<int64_t>{2, len});
    CHECK(Values(out[1]) == std::vector<int64_t>(static_cast<std::size_t>(2 * len), 3));
    CHECK(out[2].shape() == std::vector<int64_t>{2, len});
    std::vector<int64_t> twice = positions;
    twice.insert(twice.end(), positions.begin(), positions.end());
    CHECK(Values(out[2]) == twice);
  }
}

TEST_CASE("x.view(x.size(0), -1) on a computed tensor plans, for every batch size, without running the network early",
          "[runtime][shape_subgraph]") {
  // h = Relu(x); y = Reshape(h, Concat(Unsqueeze(Gather(Shape(h), 0)), [-1])): the shape comes
  // from h, which exists only during a run; Shape reads only h's planned shape.
  graph::GraphBuilder b("view");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 3, 4, 5}));
  auto h = b.Op("Relu", {x}, {}, "relu");
  auto batch = b.Op("Gather", {b.Op("Shape", {h}, {}, "shape"), b.Weight("zero", I64s({0}, {}))},
                    {{"axis", int64_t{0}}}, "gather");
  auto spec = b.Op("Concat", {b.Op("Unsqueeze", {batch, b.Weight("axes0", I64s({0}, {1}))}, {}, "unsqueeze"),
                              b.Weight("minus_one", I64s({-1}, {1}))},
                   {{"axis", int64_t{0}}}, "concat");
  b.Output(b.Op("Reshape", {h, spec}, {}, "view"), "y");
  graph::Model m;
  m.graph = b.Build();
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 1}, "view");
  for (int64_t batch_size : {2, 9, 2}) {
    INFO(batch_size);
    std::vector<float> xs(static_cast<std::size_t>(batch_size * 60));
    for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(i % 7) - 3.0f;
    const std::vector<Tensor> out = s.Run({{"x", Tensor::View(xs.data(), {batch_size, 3, 4, 5})}});
    REQUIRE(out[0].shape() == std::vector<int64_t>{batch_size, 60});
    for (std::size_t i = 0; i < xs.size(); ++i) CHECK(out[0].data<float>()[i] == std::max(xs[i], 0.0f));
  }
}
