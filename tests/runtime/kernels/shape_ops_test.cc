#include "runtime/kernels/shape_ops.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include <catch2/catch.hpp>

#include "axon/tensor.h"
#include "runtime/executor.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Shape = std::vector<int64_t>;

// Element (i_0..i_{r-1}) of y is element (j) of x with j[perm[k]] = i[k]; straight from the
// definition, one multi-index at a time.
template <class T>
std::vector<T> RefTranspose(const std::vector<T>& x, const Shape& xs, const Shape& perm) {
  const std::size_t rank = xs.size();
  Shape ys(rank);
  for (std::size_t k = 0; k < rank; ++k) ys[k] = xs[perm[k]];
  std::vector<T> y(x.size());
  Shape yi(rank, 0);
  for (std::size_t flat = 0; flat < y.size(); ++flat) {
    Shape xi(rank);
    for (std::size_t k = 0; k < rank; ++k) xi[perm[k]] = yi[k];
    int64_t src = 0;
    for (std::size_t k = 0; k < rank; ++k) src = src * xs[k] + xi[k];
    y[flat] = x[src];
    for (std::size_t k = rank; k-- > 0;) {
      if (++yi[k] < ys[k]) break;
      yi[k] = 0;
    }
  }
  return y;
}

template <class T>
std::vector<T> Iota(int64_t n) {
  std::vector<T> v(n);
  std::iota(v.begin(), v.end(), T(1));
  return v;
}

struct Case {
  Shape shape, perm;
};

std::vector<Case> Cases() {
  std::vector<Case> cases = {
      {{}, {}},          {{0, 3}, {1, 0}},       {{1}, {0}},          {{7}, {0}},
      {{33, 7}, {1, 0}}, {{1000}, {0}},          {{33, 1, 7}, {2, 1, 0}}, {{2, 3, 4, 5}, {0, 2, 1, 3}},
      {{2, 3, 4, 5}, {3, 2, 1, 0}}, {{300, 200}, {1, 0}}, {{5, 1000, 7}, {1, 0, 2}}, {{1, 1, 1}, {2, 0, 1}},
      {{4, 1, 6, 1, 3}, {4, 2, 0, 3, 1}}, {{70, 45}, {1, 0}},  {{3, 40, 50}, {0, 2, 1}},  // partial tiles
      {{37, 3, 65}, {2, 1, 0}},           {{6, 70, 2, 40}, {3, 0, 1, 2}},
  };
  Shape perm = {0, 1, 2};
  do cases.push_back({{2, 3, 4}, perm});
  while (std::next_permutation(perm.begin(), perm.end()));
  return cases;
}

void TransposeCopy(const void* x, const Shape& shape, const Shape& perm, void* y, std::size_t elem_size) {
  kernels::TransposeCopy(MakeTransposeLayout(shape, perm, elem_size), x, y);
}

TEST_CASE("TransposeCopy matches the definition for f32 and i64", "[kernels][shape_ops]") {
  for (const Case& c : Cases()) {
    INFO(ShapeToString(c.shape) << " perm " << ShapeToString(c.perm));
    const int64_t n = ElementCount(c.shape);
    const std::vector<float> xf = Iota<float>(n);
    std::vector<float> yf(n + 1, -1.0f);
    TransposeCopy(xf.data(), c.shape, c.perm, yf.data(), sizeof(float));
    CHECK(std::vector<float>(yf.begin(), yf.end() - 1) == RefTranspose(xf, c.shape, c.perm));
    CHECK(yf.back() == -1.0f);

    const std::vector<int64_t> xi = Iota<int64_t>(n);
    std::vector<int64_t> yi(n);
    TransposeCopy(xi.data(), c.shape, c.perm, yi.data(), sizeof(int64_t));
    CHECK(yi == RefTranspose(xi, c.shape, c.perm));
  }
}

TEST_CASE("TransposeCopy handles elements of any size", "[kernels][shape_ops]") {
  const Shape shape = {37, 3, 65}, perm = {2, 0, 1};
  std::vector<uint8_t> x(ElementCount(shape));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 7);
  std::vector<uint8_t> y(x.size());
  TransposeCopy(x.data(), shape, perm, y.data(), 1);
  CHECK(y == RefTranspose(x, shape, perm));
  // 12-byte elements: three floats moved as one.
  std::vector<float> x3 = Iota<float>(3 * 70 * 45), y3(x3.size());
  TransposeCopy(x3.data(), {70, 45}, {1, 0}, y3.data(), 3 * sizeof(float));
  for (int64_t i = 0; i < 45; ++i)
    for (int64_t j = 0; j < 70; ++j)
      for (int64_t c = 0; c < 3; ++c) CHECK(y3[(i * 70 + j) * 3 + c] == x3[(j * 45 + i) * 3 + c]);
}

TEST_CASE("Transpose refuses anything but a permutation before any kernel runs", "[kernels][shape_ops]") {
  const Tensor x = Tensor::Zeros(DType::kF32, {2, 3});
  Tensor y = Tensor::Zeros(DType::kF32, {3, 2});
  for (const Shape& bad : {Shape{0}, Shape{0, 0}, Shape{0, 2}, Shape{-1, 0}}) {
    INFO("perm " << ShapeToString(bad));
    CHECK_THROWS_AS(test::RunKernel("Transpose", {&x}, {&y}, {{"perm", graph::Attribute(bad)}}), Error);
  }
  const Tensor x3 = Tensor::Zeros(DType::kF32, {2, 3, 4});
  Tensor y3 = Tensor::Zeros(DType::kF32, {4, 2, 3});
  CHECK_NOTHROW(test::RunKernel("Transpose", {&x3}, {&y3}, {{"perm", graph::Attribute(Shape{2, 0, 1})}}));
}

TEST_CASE("Transpose kernel: perm attribute, reversed dims without it, any dtype", "[kernels][shape_ops][kernel:Transpose]") {
  const Shape shape = {2, 3, 4};
  const Tensor xf = Tensor::FromVector(Iota<float>(24), shape);
  Tensor yf = Tensor::Zeros(DType::kF32, {3, 4, 2});
  test::RunKernel("Transpose", {&xf}, {&yf}, {{"perm", graph::Attribute(Shape{1, 2, 0})}});
  CHECK(yf.ToFloatVector() == RefTranspose(Iota<float>(24), shape, {1, 2, 0}));

  const Tensor xi = Tensor::FromVector(Iota<int64_t>(24), shape);
  Tensor yi = Tensor::Zeros(DType::kI64, {4, 3, 2});
  test::RunKernel("Transpose", {&xi}, {&yi});  // no perm: reverse
  const int64_t* p = yi.data<int64_t>();
  CHECK(std::vector<int64_t>(p, p + 24) == RefTranspose(Iota<int64_t>(24), shape, {2, 1, 0}));

  Tensor wrong = Tensor::Zeros(DType::kF32, {2, 3, 4});
  CHECK_THROWS_AS(test::RunKernel("Transpose", {&xf}, {&wrong}), Error);
}

TEST_CASE("Identity, Reshape and Flatten alias the input storage", "[kernels][shape_ops][kernel:Identity][kernel:Reshape][kernel:Flatten]") {
  const Tensor x = Tensor::FromVector(Iota<float>(24), {2, 3, 4});
  const Tensor shape_input = Tensor::FromVector(std::vector<int64_t>{6, 4}, {2});
  struct Alias {
    const char* op;
    Shape out;
    std::vector<const Tensor*> inputs;
  };
  for (const Alias& a : {Alias{"Identity", {2, 3, 4}, {&x}}, Alias{"Reshape", {6, 4}, {&x, &shape_input}},
                         Alias{"Flatten", {2, 12}, {&x}}}) {
    INFO(a.op);
    // As a graph output the relabelled input is copied out (outputs never share the caller's
    // memory)...
    Tensor y = Tensor::Zeros(DType::kF32, a.out);
    test::RunKernel(a.op, a.inputs, {&y});
    CHECK(y.shape() == a.out);
    CHECK(y.ToFloatVector() == x.ToFloatVector());
    // ...and inside a plan its output is the input's own bytes: no buffer, no step to run.
    graph::Graph g;
    g.inputs = {{"x", DType::kF32, graph::Shape::FromValues(x.shape())}};
    std::vector<std::string> node_inputs = {"x"};
    if (a.inputs.size() > 1) {
      g.initializers["shape"] = shape_input;
      node_inputs.push_back("shape");
    }
    g.nodes = {graph::Node{"alias", a.op, node_inputs, {"y"}, {}}, graph::Node{"relu", "Relu", {"y"}, {"z"}, {}}};
    g.outputs = {{"z", DType::kUndefined, graph::Shape()}};
    runtime::Executor executor(std::move(g), {});
    const std::vector<Tensor> inputs = {x};
    const auto plan = executor.PlanFor(inputs);
    CHECK(plan->steps.size() == 1);  // only Relu runs
    const int y_slot = plan->args[0];  // Relu's input
    CHECK(plan->slots[y_slot].place == runtime::Plan::Place::kInput);
    CHECK(plan->slots[y_slot].index == 0);
    CHECK(executor.Run(*plan, inputs)[0].ToFloatVector() == x.ToFloatVector());  // all positive
  }
}

}  // namespace
}  // namespace axon::kernels

namespace axon::kernels {
namespace {

TEST_CASE("Squeeze and Unsqueeze relabel storage, axes read from constants or graph inputs",
          "[kernels][shape_ops][kernel:Squeeze][kernel:Unsqueeze]") {
  const Tensor x = Tensor::FromVector(std::vector<int64_t>{1, 2, 3, 4, 5, 6}, {1, 2, 1, 3});
  const Tensor squeeze_axes = Tensor::FromVector(std::vector<int64_t>{0, -2}, {2});
  Tensor s = Tensor::Zeros(DType::kI64, {2, 3});
  test::RunKernel("Squeeze", {&x, &squeeze_axes}, {&s});
  CHECK(std::vector<int64_t>(s.data<int64_t>(), s.data<int64_t>() + 6) == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
  Tensor all = Tensor::Zeros(DType::kI64, {2, 3});
  test::RunKernel("Squeeze", {&x}, {&all});  // no axes: every size-1 dim
  CHECK(std::vector<int64_t>(all.data<int64_t>(), all.data<int64_t>() + 6) == std::vector<int64_t>{1, 2, 3, 4, 5, 6});

  const Tensor unsqueeze_axes = Tensor::FromVector(std::vector<int64_t>{0, 3}, {2});
  const Tensor xf = Tensor::FromVector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor u = Tensor::Zeros(DType::kF32, {1, 2, 3, 1});
  test::RunKernel("Unsqueeze", {&xf, &unsqueeze_axes}, {&u}, {}, test::Constants::kAll);
  CHECK(u.ToFloatVector() == xf.ToFloatVector());
  const Tensor scalar = Tensor::FromVector(std::vector<int64_t>{7}, {});
  const Tensor zero = Tensor::FromVector(std::vector<int64_t>{0}, {1});
  Tensor v = Tensor::Zeros(DType::kI64, {1});
  test::RunKernel("Unsqueeze", {&scalar, &zero}, {&v});
  CHECK(v.data<int64_t>()[0] == 7);

  // Inside a plan neither has a step: both outputs are the input's bytes.
  graph::Graph g;
  g.inputs = {{"x", DType::kF32, graph::Shape({2, 3})}};
  g.initializers["axes"] = unsqueeze_axes;
  g.initializers["squeeze_axes"] = Tensor::FromVector(std::vector<int64_t>{3}, {1});
  g.nodes = {graph::Node{"u", "Unsqueeze", {"x", "axes"}, {"u"}, {}},
             graph::Node{"s", "Squeeze", {"u", "squeeze_axes"}, {"s"}, {}}, graph::Node{"relu", "Relu", {"s"}, {"y"}, {}}};
  g.outputs = {{"y", DType::kUndefined, graph::Shape()}};
  runtime::Executor executor(std::move(g), {});
  const std::vector<Tensor> inputs = {xf};
  const auto plan = executor.PlanFor(inputs);
  CHECK(plan->steps.size() == 1);  // only Relu runs
  CHECK(plan->slots[plan->args[0]].place == runtime::Plan::Place::kInput);
  CHECK(executor.Run(*plan, inputs)[0].shape() == std::vector<int64_t>{1, 2, 3});
}

}  // namespace
}  // namespace axon::kernels
