// Slice's strided copy and Gather's copy against references from the definitions, and both
// kernels through sessions (index inputs as constants and as graph inputs).
#include <algorithm>
#include <limits>
#include <numeric>
#include <vector>

#include <catch2/catch.hpp>

#include "axon/tensor.h"
#include "runtime/kernels/gather.h"
#include "runtime/kernels/slice.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Shape = std::vector<int64_t>;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();

// The indices one axis takes, enumerated as Python's range() would after ONNX's adjustments (an
// independent statement of the rule that ResolveSliceAxis computes in closed form).
std::vector<int64_t> TakenIndices(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  std::vector<int64_t> taken;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    for (int64_t i = start; i < end; i += step) {
      taken.push_back(i);
      if (end - i <= step) break;  // i += step would overflow for huge steps
    }
  } else if (dim > 0) {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    for (int64_t i = start; i > end; i += step) {
      taken.push_back(i);
      if (i - end <= -step) break;
    }
  }
  return taken;
}

struct SliceCase {
  Shape x;
  std::vector<int64_t> starts, ends, axes, steps;  // axes empty: 0..n-1; steps empty: 1
};

// y from the definition: per dim the list of x indices taken, then every combination in order.
template <class T>
std::vector<T> RefSlice(const std::vector<T>& x, const SliceCase& c, Shape& ys) {
  const std::size_t rank = c.x.size();
  std::vector<std::vector<int64_t>> taken(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    taken[d].resize(static_cast<std::size_t>(c.x[d]));
    std::iota(taken[d].begin(), taken[d].end(), 0);
  }
  for (std::size_t j = 0; j < c.starts.size(); ++j) {
    int64_t axis = c.axes.empty() ? static_cast<int64_t>(j) : c.axes[j];
    if (axis < 0) axis += static_cast<int64_t>(rank);
    taken[axis] = TakenIndices(c.x[axis], c.starts[j], c.ends[j], c.steps.empty() ? 1 : c.steps[j]);
  }
  ys.clear();
  for (const auto& t : taken) ys.push_back(static_cast<int64_t>(t.size()));
  std::vector<T> y;
  Shape i(rank, 0);
  for (int64_t flat = 0; flat < ElementCount(ys); ++flat) {
    int64_t src = 0;
    for (std::size_t d = 0; d < rank; ++d) src = src * c.x[d] + taken[d][static_cast<std::size_t>(i[d])];
    y.push_back(x[static_cast<std::size_t>(src)]);
    for (std::size_t d = rank; d-- > 0;) {
      if (++i[d] < ys[d]) break;
      i[d] = 0;
    }
  }
  return y;
}

const std::vector<SliceCase> kSlices = {
    {{10}, {2}, {7}, {}, {2}},
    {{10}, {-3}, {kMax}, {}, {}},
    {{10}, {8}, {2}, {}, {-2}},
    {{10}, {-1}, {kMin}, {}, {-1}},
    {{10}, {100}, {-100}, {}, {-3}},
    {{10}, {-20}, {kMin}, {}, {-1}},  // ONNX: one element (numpy: none)
    {{10}, {5}, {5}, {}, {}},
    {{4, 5, 6}, {1, -2}, {3, kMax}, {0, 2}, {}},
    {{4, 5, 6}, {-1, 4, 0}, {kMin, 0, 6}, {0, 1, 2}, {-1, -2, 2}},
    {{4, 5, 6}, {-1}, {kMin}, {-1}, {-1}},  // reverse the last axis: element by element
    {{4, 5, 6}, {3, 4}, {kMin, kMin}, {0, 1}, {-1, -1}},  // reverse two axes: merges into one run
    {{2, 1, 3}, {0}, {1}, {1}, {}},
    {{300, 400}, {10, 7}, {290, 390}, {}, {1, 1}},  // big enough for several tasks
    {{3, 4}, {0}, {0}, {1}, {}},  // empty
};

TEST_CASE("StridedCopy with ResolveSliceAxis matches the definition of Slice", "[kernels][slice]") {
  for (const SliceCase& c : kSlices) {
    INFO("x " << ShapeToString(c.x) << " starts " << ShapeToString(c.starts) << " ends " << ShapeToString(c.ends)
              << " axes " << ShapeToString(c.axes) << " steps " << ShapeToString(c.steps));
    std::vector<int64_t> x(static_cast<std::size_t>(ElementCount(c.x)));
    std::iota(x.begin(), x.end(), 0);
    Shape ys;
    const std::vector<int64_t> want = RefSlice(x, c, ys);
    // Through a session, index inputs as graph inputs and as constants, f32 and i64 data.
    std::vector<Tensor> index = {Tensor::FromVector(c.starts, {static_cast<int64_t>(c.starts.size())}),
                                 Tensor::FromVector(c.ends, {static_cast<int64_t>(c.ends.size())})};
    if (!c.axes.empty() || !c.steps.empty())
      index.push_back(c.axes.empty() ? Tensor() : Tensor::FromVector(c.axes, {static_cast<int64_t>(c.axes.size())}));
    if (!c.steps.empty()) index.push_back(Tensor::FromVector(c.steps, {static_cast<int64_t>(c.steps.size())}));
    const Tensor xi = Tensor::FromVector(x, c.x);
    std::vector<const Tensor*> inputs = {&xi};
    for (const Tensor& t : index) inputs.push_back(t.defined() ? &t : nullptr);
    for (test::Constants k : {test::Constants::kNone, test::Constants::kAll}) {
      Tensor y = Tensor::Zeros(DType::kI64, ys);
      test::RunKernel("Slice", inputs, {&y}, {}, k);
      CHECK(std::vector<int64_t>(y.data<int64_t>(), y.data<int64_t>() + y.size()) == want);
    }
    std::vector<float> xf(x.begin(), x.end());
    const Tensor xft = Tensor::FromVector(xf, c.x);
    inputs[0] = &xft;
    Tensor yf = Tensor::Zeros(DType::kF32, ys);
    test::RunKernel("Slice", inputs, {&yf});
    CHECK(yf.ToFloatVector() == std::vector<float>(want.begin(), want.end()));
  }
}

TEST_CASE("StridedCopy moves elements of 1 and 12 bytes", "[kernels][slice]") {
  // x [4, 6] of 12-byte elements; y = rows 3, 1 (step -2) and columns 1, 4 (step 3).
  const Shape xs = {4, 6}, ys = {2, 2}, starts = {3, 1}, steps = {-2, 3};
  std::vector<uint8_t> x(24 * 12);
  std::iota(x.begin(), x.end(), 0);
  std::vector<uint8_t> y(4 * 12 + 1, 0xee);
  StridedCopy(MakeStridedLayout(2, xs.data(), ys.data(), starts.data(), steps.data(), 12), x.data(), y.data());
  CHECK(y.back() == 0xee);
  const int64_t picks[4] = {3 * 6 + 1, 3 * 6 + 4, 1 * 6 + 1, 1 * 6 + 4};
  for (int k = 0; k < 4; ++k) CHECK(std::equal(y.begin() + k * 12, y.begin() + k * 12 + 12, x.begin() + picks[k] * 12));
  std::vector<uint8_t> b(24), yb(4);
  std::iota(b.begin(), b.end(), 0);
  StridedCopy(MakeStridedLayout(2, xs.data(), ys.data(), starts.data(), steps.data(), 1), b.data(), yb.data());
  CHECK(yb == std::vector<uint8_t>{19, 22, 7, 10});
}

TEST_CASE("Slice kernel: i32 indices, omitted axes, any dtype", "[kernels][slice][kernel:Slice]") {
  const Tensor x = Tensor::FromVector(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  const Tensor starts = Tensor::FromVector(std::vector<int32_t>{-1, 3}, {2});
  const Tensor ends = Tensor::FromVector(std::vector<int32_t>{-100, 0}, {2});
  const Tensor steps = Tensor::FromVector(std::vector<int32_t>{-2, -2}, {2});
  Tensor y = Tensor::Zeros(DType::kF32, {2, 2});
  test::RunKernel("Slice", {&x, &starts, &ends, nullptr, &steps}, {&y});
  CHECK(y.ToFloatVector() == std::vector<float>{11, 9, 3, 1});
  const Tensor bools = Tensor::FromVector(std::vector<bool>{true, false, true, true}, {4});
  const Tensor s1 = Tensor::FromVector(std::vector<int64_t>{1}, {1}), e1 = Tensor::FromVector(std::vector<int64_t>{kMax}, {1});
  Tensor yb = Tensor::Zeros(DType::kBool, {3});
  test::RunKernel("Slice", {&bools, &s1, &e1}, {&yb});
  CHECK(std::vector<bool>(yb.data<bool>(), yb.data<bool>() + 3) == std::vector<bool>{false, true, true});
}

TEST_CASE("GatherCopy picks blocks along the axis, negative indices from the back", "[kernels][gather]") {
  // data [2, 3, 2] = 0..11, axis 1, indices [2, -3, -1, 1].
  std::vector<int32_t> data(12);
  std::iota(data.begin(), data.end(), 0);
  const std::vector<int64_t> idx = {2, -3, -1, 1};
  const GatherLayout layout{2, 3, 4, 2 * sizeof(int32_t)};
  CHECK(FindIndexOutOfRange(idx.data(), 4, 3) == -1);
  std::vector<int32_t> y(16 + 1, -1);
  GatherCopy(layout, data.data(), idx.data(), y.data());
  CHECK(std::vector<int32_t>(y.begin(), y.end() - 1) ==
        std::vector<int32_t>{4, 5, 0, 1, 4, 5, 2, 3, 10, 11, 6, 7, 10, 11, 8, 9});
  CHECK(y.back() == -1);
  const std::vector<int32_t> bad = {0, -3, 3, -4};
  CHECK(FindIndexOutOfRange(bad.data(), 4, 3) == 2);
  CHECK(FindIndexOutOfRange(bad.data() + 3, 1, 3) == 0);
  const std::vector<int64_t> extremes = {kMin, kMax};
  CHECK(FindIndexOutOfRange(extremes.data(), 1, 3) == 0);
  CHECK(FindIndexOutOfRange(extremes.data() + 1, 1, 3) == 0);
  CHECK(FindIndexOutOfRange(extremes.data(), 0, 0) == -1);
}

TEST_CASE("Gather kernel: f32 and i64 data, i64 and i32 indices, any axis", "[kernels][gather][kernel:Gather]") {
  const Tensor x = Tensor::FromVector(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2});
  const Tensor rows = Tensor::FromVector(std::vector<int64_t>{2, 0, -1}, {3});
  Tensor y = Tensor::Zeros(DType::kF32, {3, 2});
  test::RunKernel("Gather", {&x, &rows}, {&y});
  CHECK(y.ToFloatVector() == std::vector<float>{5, 6, 1, 2, 5, 6});
  const Tensor cols = Tensor::FromVector(std::vector<int32_t>{1, 1, 0, -2}, {2, 2});
  Tensor yc = Tensor::Zeros(DType::kF32, {3, 2, 2});
  test::RunKernel("Gather", {&x, &cols}, {&yc}, {{"axis", int64_t{1}}});
  CHECK(yc.ToFloatVector() == std::vector<float>{2, 2, 1, 1, 4, 4, 3, 3, 6, 6, 5, 5});
  // Shape -> Gather(constant scalar index): one dim as an i64 scalar.
  const Tensor shape = Tensor::FromVector(std::vector<int64_t>{8, 3, 224}, {3});
  const Tensor one = Tensor::FromVector(std::vector<int64_t>{-2}, {});
  Tensor dim = Tensor::Zeros(DType::kI64, {});
  test::RunKernel("Gather", {&shape, &one}, {&dim}, {}, test::Constants::kAll);
  CHECK(dim.data<int64_t>()[0] == 3);
}

TEST_CASE("Gather refuses an index out of range with an error naming the node, never reading it", "[kernels][gather]") {
  const Tensor x = Tensor::FromVector(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor y = Tensor::Zeros(DType::kF32, {2, 2});
  for (int64_t bad : {int64_t{3}, int64_t{-4}, kMax, kMin}) {
    INFO(bad);
    const Tensor idx = Tensor::FromVector(std::vector<int64_t>{0, bad}, {2});
    try {
      test::RunKernel("Gather", {&x, &idx}, {&y});
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kInvalidArgument);
      CHECK_THAT(e.what(), Catch::Contains("node 'test' (Gather)") && Catch::Contains("index " + std::to_string(bad)) &&
                               Catch::Contains("indices element 1") && Catch::Contains("axis 0 of data f32[3,2]") &&
                               Catch::Contains("valid are -3 to 2"));
    }
  }
  const Tensor empty_data = Tensor::Zeros(DType::kF32, {0, 2});
  const Tensor zero = Tensor::FromVector(std::vector<int32_t>{0}, {1});
  Tensor ye = Tensor::Zeros(DType::kF32, {1, 2});
  CHECK_THROWS_WITH(test::RunKernel("Gather", {&empty_data, &zero}, {&ye}), Catch::Contains("axis 0 of data f32[0,2], which is empty"));
}

}  // namespace
}  // namespace axon::kernels
