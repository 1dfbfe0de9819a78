#include "runtime/kernels/concat_split.h"

#include <numeric>
#include <vector>

#include <catch2/catch.hpp>

#include "axon/tensor.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Shape = std::vector<int64_t>;

// Joins parts along axis from the definition: y's element at multi-index i comes from the part
// whose range along the axis holds i[axis], at i[axis] minus the part's start.
std::vector<int32_t> RefConcat(const std::vector<std::vector<int32_t>>& parts, const std::vector<Shape>& shapes,
                               std::size_t axis, Shape& ys) {
  ys = shapes[0];
  ys[axis] = 0;
  for (const Shape& s : shapes) ys[axis] += s[axis];
  std::vector<int32_t> y;
  Shape i(ys.size(), 0);
  for (int64_t flat = 0; flat < ElementCount(ys); ++flat) {
    int64_t at = i[axis];
    std::size_t k = 0;
    while (at >= shapes[k][axis]) at -= shapes[k++][axis];
    int64_t src = 0;
    for (std::size_t d = 0; d < ys.size(); ++d) src = src * shapes[k][d] + (d == axis ? at : i[d]);
    y.push_back(parts[k][static_cast<std::size_t>(src)]);
    for (std::size_t d = ys.size(); d-- > 0;) {
      if (++i[d] < ys[d]) break;
      i[d] = 0;
    }
  }
  return y;
}

struct Case {
  std::vector<Shape> parts;
  std::size_t axis;
};

TEST_CASE("ConcatCopy and SplitCopy match the definition and invert each other", "[kernels][concat_split]") {
  const std::vector<Case> cases = {
      {{{1}, {1}, {2}}, 0},           {{{2, 3}, {2, 1}, {2, 0}, {2, 4}}, 1}, {{{2, 3}, {5, 3}}, 0},
      {{{2, 3, 4}, {2, 1, 4}}, 1},    {{{2, 3, 4}, {2, 3, 1}, {2, 3, 2}}, 2}, {{{0, 3}, {0, 2}}, 1},
      {{{300, 70}, {300, 130}}, 1},   {{{7}}, 0},
  };
  for (const Case& c : cases) {
    INFO("parts of " << ShapeToString(c.parts[0]) << ", axis " << c.axis);
    std::vector<std::vector<int32_t>> parts;
    int32_t next = 1;
    for (const Shape& s : c.parts) {
      parts.emplace_back(static_cast<std::size_t>(ElementCount(s)));
      for (int32_t& v : parts.back()) v = next++;
    }
    Shape ys;
    const std::vector<int32_t> want = RefConcat(parts, c.parts, c.axis, ys);
    const ConcatLayout layout = MakeConcatLayout(c.parts, c.axis, sizeof(int32_t));
    std::vector<const void*> in;
    for (const auto& p : parts) in.push_back(p.data());
    std::vector<int32_t> y(want.size() + 1, -1);
    ConcatCopy(layout, in.data(), y.data());
    CHECK(std::vector<int32_t>(y.begin(), y.end() - 1) == want);
    CHECK(y.back() == -1);

    std::vector<std::vector<int32_t>> back;
    std::vector<void*> out;
    for (const auto& p : parts) back.emplace_back(p.size(), 0);
    for (auto& p : back) out.push_back(p.data());
    SplitCopy(layout, want.data(), out.data());
    CHECK(back == parts);
  }
}

TEST_CASE("Concat kernel joins f32 and i64 along any axis", "[kernels][concat_split][kernel:Concat]") {
  const Tensor a = Tensor::FromVector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  const Tensor b = Tensor::FromVector(std::vector<float>{5, 6}, {2, 1});
  Tensor y = Tensor::Zeros(DType::kF32, {2, 3});
  test::RunKernel("Concat", {&a, &b}, {&y}, {{"axis", int64_t{-1}}});
  CHECK(y.ToFloatVector() == std::vector<float>{1, 2, 5, 3, 4, 6});
  // The shape vectors of PyTorch's exports: 1-element i64 tensors joined on axis 0.
  const Tensor d0 = Tensor::FromVector(std::vector<int64_t>{2}, {1});
  const Tensor d1 = Tensor::FromVector(std::vector<int64_t>{-1}, {1});
  const Tensor d2 = Tensor::FromVector(std::vector<int64_t>{3, 4}, {2});
  Tensor s = Tensor::Zeros(DType::kI64, {4});
  test::RunKernel("Concat", {&d0, &d1, &d2}, {&s}, {{"axis", int64_t{0}}}, test::Constants::kAll);
  CHECK(std::vector<int64_t>(s.data<int64_t>(), s.data<int64_t>() + 4) == std::vector<int64_t>{2, -1, 3, 4});
  Tensor one = Tensor::Zeros(DType::kI64, {1});
  test::RunKernel("Concat", {&d0}, {&one}, {{"axis", int64_t{0}}});
  CHECK(one.data<int64_t>()[0] == 2);
}

TEST_CASE("Split kernel: equal parts or given sizes, f32 and i64", "[kernels][concat_split][kernel:Split]") {
  const Tensor x = Tensor::FromVector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor p0 = Tensor::Zeros(DType::kF32, {2, 1}), p1 = Tensor::Zeros(DType::kF32, {2, 2});
  const Tensor sizes = Tensor::FromVector(std::vector<int64_t>{1, 2}, {2});
  test::RunKernel("Split", {&x, &sizes}, {&p0, &p1}, {{"axis", int64_t{1}}});
  CHECK(p0.ToFloatVector() == std::vector<float>{1, 4});
  CHECK(p1.ToFloatVector() == std::vector<float>{2, 3, 5, 6});
  const Tensor xi = Tensor::FromVector(std::vector<int64_t>{1, 2, 3, 4, 5, 6}, {6});
  Tensor q0 = Tensor::Zeros(DType::kI64, {2}), q1 = Tensor::Zeros(DType::kI64, {2}), q2 = Tensor::Zeros(DType::kI64, {2});
  test::RunKernel("Split", {&xi}, {&q0, &q1, &q2});
  CHECK(std::vector<int64_t>(q1.data<int64_t>(), q1.data<int64_t>() + 2) == std::vector<int64_t>{3, 4});
  CHECK(std::vector<int64_t>(q2.data<int64_t>(), q2.data<int64_t>() + 2) == std::vector<int64_t>{5, 6});
  Tensor whole = Tensor::Zeros(DType::kF32, {2, 3});
  test::RunKernel("Split", {&x}, {&whole});
  CHECK(whole.ToFloatVector() == x.ToFloatVector());
}

}  // namespace
}  // namespace axon::kernels
