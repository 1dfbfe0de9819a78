// ScatterND through its op (the schema, adapter and kernel a session binds): the examples of
// ONNX's operator documentation, reductions, negative and repeated indices, in place, and the
// error for an index out of range.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "axon/tensor.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon {
namespace {

template <class T>
std::vector<T> Scatter(const std::vector<T>& data, const std::vector<int64_t>& data_shape,
                       const std::vector<int64_t>& indices, const std::vector<int64_t>& indices_shape,
                       const std::vector<T>& updates, const std::vector<int64_t>& updates_shape,
                       const std::string& reduction = "none") {
  const Tensor d = Tensor::FromVector(data, data_shape), i = Tensor::FromVector(indices, indices_shape),
               u = Tensor::FromVector(updates, updates_shape);
  Tensor y = Tensor::Zeros(DTypeOf<T>(), data_shape);
  test::RunKernel("ScatterND", {&d, &i, &u}, {&y}, {{"reduction", reduction}});
  return std::vector<T>(y.data<T>(), y.data<T>() + y.size());
}

std::vector<float> Iota(int n, float from = 1) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = from + static_cast<float>(i);
  return v;
}

TEST_CASE("ScatterND replaces elements and slices as ONNX's examples show", "[kernels][scatter_nd][kernel:ScatterND]") {
  // Example 1: single elements of a vector.
  CHECK(Scatter<float>(Iota(8), {8}, {4, 3, 1, 7}, {4, 1}, {9, 10, 11, 12}, {4}) ==
        std::vector<float>{1, 11, 3, 10, 9, 6, 7, 12});
  // Example 2: whole [4, 4] blocks 0 and 2 of a [4, 4, 4] tensor.
  const std::vector<float> data = Iota(64);
  std::vector<float> updates(32);
  for (std::size_t i = 0; i < 32; ++i) updates[i] = 100.0f + static_cast<float>(i);
  std::vector<float> expected = data;
  for (std::size_t i = 0; i < 16; ++i) expected[i] = updates[i], expected[32 + i] = updates[16 + i];
  CHECK(Scatter<float>(data, {4, 4, 4}, {0, 2}, {2, 1}, updates, {2, 4, 4}) == expected);
  // Tuples of 2 in a [2, 3] matrix, negative entries counting from the back; indices [2, 1, 2].
  CHECK(Scatter<int64_t>({1, 2, 3, 4, 5, 6}, {2, 3}, {-1, -1, 0, 1}, {2, 1, 2}, {60, 20}, {2, 1}) ==
        std::vector<int64_t>{1, 20, 3, 4, 5, 60});
}

TEST_CASE("ScatterND's add and mul combine, repeated tuples in order; integers wrap",
          "[kernels][scatter_nd][kernel:ScatterND]") {
  // ONNX's test_scatternd_add / _multiply: blocks 0 and 0 again.
  CHECK(Scatter<float>({1, 2, 3, 4}, {4}, {0, 0, 3}, {3, 1}, {10, 20, 5}, {3}, "add") == std::vector<float>{31, 2, 3, 9});
  CHECK(Scatter<float>({1, 2, 3, 4}, {4}, {0, 0, 3}, {3, 1}, {10, 20, 5}, {3}, "mul") == std::vector<float>{200, 2, 3, 20});
  // Replacement: the last of repeated tuples wins.
  CHECK(Scatter<float>({1, 2, 3, 4}, {4}, {1, 1}, {2, 1}, {7, 8}, {2}) == std::vector<float>{1, 8, 3, 4});
  CHECK(Scatter<int8_t>({120, 3}, {2}, {0, 1}, {2, 1}, {10, -4}, {2}, "add") == std::vector<int8_t>{-126, -1});
  CHECK(Scatter<uint8_t>({16, 3}, {2}, {0}, {1, 1}, {16}, {1}, "mul") == std::vector<uint8_t>{0, 3});
  CHECK(Scatter<int32_t>({5, 6}, {2}, {}, {0, 1}, {}, {0}, "add") == std::vector<int32_t>{5, 6});  // no tuples
}

TEST_CASE("ScatterND writes over data in place when the planner gives it data's buffer",
          "[kernels][scatter_nd][kernel:ScatterND]") {
  // data is an intermediate (Relu's output) that dies at ScatterND: the planner may reuse it.
  graph::Model model;
  graph::Graph& g = model.graph;
  g.name = "scatter_in_place";
  g.inputs.push_back({"x", DType::kF32, graph::Shape({4})});
  g.initializers["i"] = Tensor::FromVector(std::vector<int64_t>{2}, {1, 1});
  g.initializers["u"] = Tensor::FromVector(std::vector<float>{9}, {1});
  g.nodes.push_back(graph::Node{"relu", "Relu", {"x"}, {"r"}, {}});
  g.nodes.push_back(graph::Node{"scatter", "ScatterND", {"r", "i", "u"}, {"y"}, {}});
  g.outputs.push_back({"y", DType::kUndefined, graph::Shape()});
  Session s = detail::SessionFactory::FromModel(std::move(model), {}, "test");
  std::vector<float> x = {-1, 2, -3, 4};
  const auto out = s.Run({{"x", Tensor::View(x.data(), {4})}});
  CHECK(out[0].ToFloatVector() == std::vector<float>{0, 2, 9, 4});
}

TEST_CASE("ScatterND refuses an index out of range with an error naming the node, writing nothing",
          "[kernels][scatter_nd]") {
  const Tensor d = Tensor::FromVector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor u = Tensor::FromVector(std::vector<float>{7, 8}, {2});
  for (int64_t bad : {int64_t{3}, int64_t{-4}, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    INFO(bad);
    const Tensor i = Tensor::FromVector(std::vector<int64_t>{0, 0, 1, bad}, {2, 2});
    Tensor y = Tensor::FromVector(std::vector<float>(6, -1.0f), {2, 3});
    try {
      test::RunKernel("ScatterND", {&d, &i, &u}, {&y});
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kInvalidArgument);
      CHECK_THAT(e.what(), Catch::Contains("node 'test' (ScatterND)") && Catch::Contains("index " + std::to_string(bad)) &&
                               Catch::Contains("entry 1 of index tuple 1") && Catch::Contains("dim 1 of data f32[2,3]") &&
                               Catch::Contains("valid are -3 to 2"));
    }
    CHECK(y.ToFloatVector() == std::vector<float>(6, -1.0f));
  }
}

}  // namespace
}  // namespace axon
