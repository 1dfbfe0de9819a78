#include "runtime/kernels/reduce.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include "axon/tensor.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace axon::kernels {
namespace {

using Shape = std::vector<int64_t>;

const char* Name(ReduceOp op) { return op == ReduceOp::kSum ? "sum" : op == ReduceOp::kMean ? "mean" : "max"; }

uint64_t Mask(std::initializer_list<int> axes) {
  uint64_t m = 0;
  for (int a : axes) m |= uint64_t{1} << a;
  return m;
}

// The test's own reduction: every input element visits its output (the input's multi-index with
// the reduced dims zeroed) in double. Also returns, per output, the sum of |x| (what bounds the
// rounding error of a sum) and the count.
struct Expected {
  std::vector<double> y, abs_sum;
  int64_t count = 1;
};
template <typename T>
Expected Reference(const std::vector<T>& x, const Shape& shape, uint64_t mask, ReduceOp op) {
  const std::size_t rank = shape.size();
  Shape out_shape = shape;
  Expected e;
  for (std::size_t k = 0; k < rank; ++k)
    if (mask >> k & 1) e.count *= shape[k], out_shape[k] = 1;
  const int64_t outputs = ElementCount(out_shape);
  const double init = op == ReduceOp::kMax ? -INFINITY : 0.0;
  e.y.assign(static_cast<std::size_t>(outputs), init);
  e.abs_sum.assign(static_cast<std::size_t>(outputs), 0.0);
  std::vector<bool> nan(static_cast<std::size_t>(outputs), false);
  Shape index(rank, 0);
  for (std::size_t flat = 0; flat < x.size(); ++flat) {
    int64_t o = 0;
    for (std::size_t k = 0; k < rank; ++k) o = o * out_shape[k] + (mask >> k & 1 ? 0 : index[k]);
    const double v = static_cast<double>(x[flat]);
    if (std::isnan(v)) nan[o] = true;
    e.y[o] = op == ReduceOp::kMax ? std::max(e.y[o], v) : e.y[o] + v;
    e.abs_sum[o] += std::fabs(v);
    for (std::size_t k = rank; k-- > 0;) {
      if (++index[k] < shape[k]) break;
      index[k] = 0;
    }
  }
  for (int64_t o = 0; o < outputs; ++o) {
    if (nan[o]) e.y[o] = NAN;
    if (op == ReduceOp::kMean) e.y[o] /= static_cast<double>(e.count), e.abs_sum[o] /= static_cast<double>(e.count);
  }
  return e;
}

// A pairwise sum of n terms has an error below about (depth + leaf) * 2^-24 * sum|x|, where the
// tree's depth is log2(n) and a leaf adds at most 32 terms in sequence; a sequential float sum
// would be off by up to n * 2^-24 * sum|x|. 40 * 2^-24 covers every size tested here.
bool Close(float y, double r, double abs_sum, ReduceOp op) {
  if (std::isnan(r)) return std::isnan(y);
  if (op == ReduceOp::kMax || std::isinf(r)) return static_cast<double>(y) == r;
  return std::fabs(y - r) <= 40 * 0x1p-24 * abs_sum + 1e-30;
}

void Run(ReduceOp op, const Shape& shape, uint64_t mask, const float* x, float* y) {
  const ReduceLayout layout = MakeReduceLayout(shape, mask);
  std::vector<unsigned char> workspace(ReduceWorkspaceBytes(layout, sizeof(float)) + 64);
  ReduceF32(op, layout, x, y, workspace.data());
}

struct Case {
  Shape shape;
  std::initializer_list<int> axes;
};

// Rows (innermost dim reduced) and columns (innermost kept) forms, short and long rows, partial
// vectors, several reduced groups, size-1 and size-0 dims, and layouts cut into chunks.
const Case kCases[] = {
    {{1}, {0}},
    {{7}, {0}},
    {{1000}, {0}},
    {{}, {}},
    {{0}, {0}},
    {{3, 0}, {1}},          // every output reduces nothing
    {{0, 5}, {1}},          // no outputs
    {{7, 33}, {1}},
    {{7, 33}, {0}},
    {{7, 33}, {0, 1}},
    {{33, 3}, {0}},         // columns narrower than a vector
    {{2, 3, 4, 5}, {1}},
    {{2, 3, 4, 5}, {0, 2}},
    {{2, 3, 4, 5}, {1, 3}},
    {{2, 3, 4, 5}, {0, 3}},
    {{2, 3, 4, 5}, {0, 1, 2, 3}},
    {{2, 1, 4, 1}, {1, 3}},  // only size-1 dims: a copy
    {{2, 1, 4, 1}, {0, 1}},
    {{5, 300, 70}, {1}},     // 70 columns: whole vectors and a partial one
    {{4, 3, 2, 5, 6}, {0, 2, 4}},
    {{3, 1000}, {1}},
    {{1000, 3}, {1}},
    {{4, 5000}, {0}},        // more columns than one work item holds
    {{200, 2, 3}, {0, 2}},   // short rows, many runs
    {{70000, 2}, {0}},       // chunked columns
    {{3, 100000}, {1}},      // chunked rows
    {{3, 30000, 5}, {1}},    // chunked columns, narrow
    {{40000, 3, 2}, {0, 2}}, // chunked runs of short rows
};

TEST_CASE("Reductions match double references on every target and layout", "[kernels][reduce]") {
  for (const Case& c : kCases) {
    const uint64_t mask = Mask(c.axes);
    const std::vector<float> x = test::RandomFloats(ElementCount(c.shape), 31, -4.0f, 4.0f);
    for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMean, ReduceOp::kMax}) {
      const Expected e = Reference(x, c.shape, mask, op);
      test::ForEachTarget([&](const char*) {
        INFO(Name(op) << " of " << ShapeToString(c.shape) << " mask " << mask);
        std::vector<float> y(e.y.size() + 1, -3.0f);
        Run(op, c.shape, mask, x.data(), y.data());
        std::size_t bad = 0, first = 0;
        for (std::size_t i = 0; i < e.y.size(); ++i)
          if (!Close(y[i], e.y[i], e.abs_sum[i], op) && bad++ == 0) first = i;
        INFO("first bad output " << first << ": " << (bad ? y[first] : 0.0f) << " vs " << (bad ? e.y[first] : 0.0));
        CHECK(bad == 0);
        CHECK(y.back() == -3.0f);
      });
    }
  }
}

TEST_CASE("Integer reductions are exact", "[kernels][reduce]") {
  for (const Case& c : kCases) {
    const uint64_t mask = Mask(c.axes);
    std::vector<int64_t> x(static_cast<std::size_t>(ElementCount(c.shape)));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int64_t>((i * 7919) % 2001) - 1000;
    if (!x.empty()) x[x.size() / 2] = int64_t{1} << 40;  // beyond what a float or a double sum of floats keeps
    for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMax}) {
      // The reference, in integers.
      const Expected shape_only = Reference(std::vector<float>(x.size()), c.shape, mask, op);
      std::vector<int64_t> expected(shape_only.y.size(),
                                    op == ReduceOp::kMax ? std::numeric_limits<int64_t>::min() : 0);
      Shape out_shape = c.shape, index(c.shape.size(), 0);
      for (std::size_t k = 0; k < c.shape.size(); ++k)
        if (mask >> k & 1) out_shape[k] = 1;
      for (std::size_t flat = 0; flat < x.size(); ++flat) {
        int64_t o = 0;
        for (std::size_t k = 0; k < c.shape.size(); ++k) o = o * out_shape[k] + (mask >> k & 1 ? 0 : index[k]);
        expected[o] = op == ReduceOp::kMax ? std::max(expected[o], x[flat]) : expected[o] + x[flat];
        for (std::size_t k = c.shape.size(); k-- > 0;) {
          if (++index[k] < c.shape[k]) break;
          index[k] = 0;
        }
      }
      test::ForEachTarget([&](const char*) {
        INFO(Name(op) << " of i64" << ShapeToString(c.shape) << " mask " << mask);
        const ReduceLayout layout = MakeReduceLayout(c.shape, mask);
        std::vector<unsigned char> workspace(ReduceWorkspaceBytes(layout, sizeof(int64_t)) + 8);
        std::vector<int64_t> y(expected.size());
        ReduceI64(op, layout, x.data(), y.data(), workspace.data());
        CHECK(y == expected);
      });
    }
  }
  const ReduceLayout l = MakeReduceLayout(Shape{4}, 1);
  int64_t x[4] = {}, y = 0;
  CHECK_THROWS_AS(ReduceI64(ReduceOp::kMean, l, x, &y, nullptr), Error);
}

TEST_CASE("An empty reduction gives the identity: sum 0, max -inf, mean NaN", "[kernels][reduce]") {
  const Shape shape = {3, 0, 2};
  float y[6];
  Run(ReduceOp::kSum, shape, Mask({1}), nullptr, y);
  CHECK(y[0] == 0.0f);
  CHECK(y[5] == 0.0f);
  Run(ReduceOp::kMax, shape, Mask({1}), nullptr, y);
  CHECK(y[3] == -std::numeric_limits<float>::infinity());
  Run(ReduceOp::kMean, shape, Mask({1}), nullptr, y);
  CHECK(std::isnan(y[2]));
  int64_t yi[6];
  ReduceI64(ReduceOp::kMax, MakeReduceLayout(shape, Mask({0, 1})), nullptr, yi, nullptr);
  CHECK(yi[1] == std::numeric_limits<int64_t>::min());
}

TEST_CASE("Max propagates NaN from any position, layout and target; Sum does too", "[kernels][reduce]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Layout {
    Shape shape;
    std::initializer_list<int> axes;
  };
  // Rows, short rows, columns, narrow columns, several groups, chunked rows and chunked columns.
  const Layout layouts[] = {{{4, 37}, {1}},     {{4, 3}, {1}},         {{37, 70}, {0}},      {{37, 3}, {0}},
                            {{3, 4, 37}, {0, 2}}, {{2, 100000}, {1}},  {{70000, 5}, {0}}};
  test::ForEachTarget([&](const char*) {
    for (const Layout& l : layouts) {
      const int64_t n = ElementCount(l.shape);
      for (int64_t at : {int64_t{0}, n / 2 + 1, n - 1}) {
        std::vector<float> x = test::RandomFloats(n, 41, -4.0f, 4.0f);
        x[static_cast<std::size_t>(at)] = nan;
        if (at > 0) x[static_cast<std::size_t>(at - 1)] = inf;  // a neighbouring +inf must not win
        for (ReduceOp op : {ReduceOp::kMax, ReduceOp::kSum}) {
          INFO(Name(op) << " " << ShapeToString(l.shape) << " NaN at " << at);
          const Expected e = Reference(x, l.shape, Mask(l.axes), op);
          std::vector<float> y(e.y.size());
          Run(op, l.shape, Mask(l.axes), x.data(), y.data());
          for (std::size_t i = 0; i < y.size(); ++i) {
            INFO("output " << i);
            CHECK(std::isnan(y[i]) == std::isnan(e.y[i]));
            if (op == ReduceOp::kMax && !std::isnan(e.y[i])) CHECK(static_cast<double>(y[i]) == e.y[i]);
          }
        }
      }
    }
    // A row of -inf has max -inf; with one finite value, that value.
    const float row[5] = {-inf, -inf, -inf, -inf, -inf};
    float y = 0;
    Run(ReduceOp::kMax, {5}, 1, row, &y);
    CHECK(y == -inf);
  });
}

TEST_CASE("A 1e6-element sum is accurate to a few ulps (pairwise), far better than a plain loop", "[kernels][reduce]") {
  const int64_t n = 1000000;
  for (float lo : {0.0f, -1.0f}) {  // all positive, and mostly cancelling
    const std::vector<float> x = test::RandomFloats(n, 51, lo, 1.0f);
    double exact = 0, abs_sum = 0;
    float naive = 0;
    for (float v : x) exact += v, abs_sum += std::fabs(v), naive += v;
    test::ForEachTarget([&](const char* target) {
      for (const Shape& shape : {Shape{n}, Shape{1000, 1000}}) {  // one row; all of a square
        float y = 0;
        Run(ReduceOp::kSum, shape, shape.size() == 1 ? 1 : 3, x.data(), &y);
        const double err = std::fabs(y - exact) / abs_sum;
        INFO(target << " " << ShapeToString(shape) << " error " << err << " of sum|x| (a plain loop: "
                    << std::fabs(naive - exact) / abs_sum << ")");
        CHECK(err <= 2e-7);
      }
      // Columns: 4 outputs of 250000 strided terms each (chunked), and 1000 of 1000.
      for (const Shape& shape : {Shape{250000, 4}, Shape{1000, 1000}}) {
        const Expected e = Reference(x, shape, 1, ReduceOp::kSum);
        std::vector<float> y(e.y.size());
        Run(ReduceOp::kSum, shape, 1, x.data(), y.data());
        double worst = 0;
        for (std::size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::fabs(y[i] - e.y[i]) / e.abs_sum[i]);
        INFO(target << " columns " << ShapeToString(shape) << " worst error " << worst << " of sum|x|");
        CHECK(worst <= 4e-7);  // measured up to 1.7e-7 (3 ulps of the result); a plain loop: 5.6e-6
      }
    });
  }
}

TEST_CASE("Reductions do not depend on the thread count", "[kernels][reduce]") {
  const std::vector<float> x = test::RandomFloats(600000, 61, -1.0f, 1.0f);
  const Case cases[] = {{{600000}, {0}},     {{600, 1000}, {1}},  {{600, 1000}, {0}},
                        {{6, 100000}, {1}},  {{100000, 6}, {0}},  {{20000, 3, 10}, {0, 2}}};
  for (const Case& c : cases) {
    for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMean, ReduceOp::kMax}) {
      INFO(Name(op) << " " << ShapeToString(c.shape));
      const ReduceLayout layout = MakeReduceLayout(c.shape, Mask(c.axes));
      std::vector<float> y1(static_cast<std::size_t>(layout.Outputs())), y2(y1.size());
      tbb::task_arena one(1), two(2);
      one.execute([&] { Run(op, c.shape, Mask(c.axes), x.data(), y1.data()); });
      two.execute([&] { Run(op, c.shape, Mask(c.axes), x.data(), y2.data()); });
      CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("Reduce layouts collapse dims, and scratch stays within the bound a run-time axes step gets",
          "[kernels][reduce]") {
  const ReduceLayout a = MakeReduceLayout(Shape{2, 3, 4, 5}, Mask({2, 3}));  // one row of 20 per output
  CHECK(a.rows);
  CHECK(a.row == 20);
  CHECK(a.outputs == 6);
  CHECK(a.red == 0);
  const ReduceLayout b = MakeReduceLayout(Shape{2, 1, 3, 4, 5}, Mask({0, 3}));  // [2] R, [3] K, [4] R, [5] K
  CHECK_FALSE(b.rows);
  CHECK(b.inner == 5);
  CHECK(b.red == 2);
  CHECK(b.red_count == 8);
  CHECK(b.outputs == 3);
  CHECK(b.reduced == 8);
  CHECK(MakeReduceLayout(Shape{1, 5, 1}, Mask({0, 2})).copy);
  for (const Case& c : kCases) {
    const ReduceLayout l = MakeReduceLayout(c.shape, Mask(c.axes));
    INFO(ShapeToString(c.shape));
    CHECK(ReduceWorkspaceBytes(l, 8) <= ReduceWorkspaceBound(l.Outputs(), 8));
  }
  CHECK(MakeReduceLayout(Shape{3, 100000}, Mask({1})).chunks > 1);
  CHECK(MakeReduceLayout(Shape{100000, 3}, Mask({0})).chunks > 1);
  CHECK(MakeReduceLayout(Shape{1000, 1000}, Mask({1})).chunks == 1);  // enough outputs to share
}

}  // namespace
}  // namespace axon::kernels

namespace axon::kernels {
namespace {

using graph::Attribute;

void CheckOp(const Tensor& y, const Expected& e, ReduceOp op) {
  const std::vector<float> got = y.ToFloatVector();
  REQUIRE(got.size() == e.y.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(Close(got[i], e.y[i], e.abs_sum[i], op));
}

TEST_CASE("ReduceSum reads axes from a constant, a run-time input, or none", "[kernels][reduce][kernel:ReduceSum]") {
  const Shape shape = {2, 3, 4};
  const std::vector<float> xv = test::RandomFloats(24, 71, -2.0f, 2.0f);
  const Tensor x = Tensor::FromVector(xv, shape);
  struct Axes {
    std::vector<int64_t> axes;
    int64_t keepdims;
    Shape out;
    uint64_t mask;
  };
  const Axes cases[] = {{{-1, 0}, 1, {1, 3, 1}, Mask({0, 2})}, {{1}, 0, {2, 4}, Mask({1})}, {{0}, 0, {3, 4}, Mask({0})},
                        {{2, 1, 0}, 0, {}, Mask({0, 1, 2})},   {{}, 1, {1, 1, 1}, Mask({0, 1, 2})}};
  for (const Axes& c : cases) {
    // kAll: data and axes are constants (the layout is made when the plan is); kNone: both are
    // fed, so the step makes the layout from the axes it is given.
    for (test::Constants constants : {test::Constants::kAll, test::Constants::kNone}) {
      INFO("axes " << ShapeToString(c.axes) << " keepdims " << c.keepdims << (constants == test::Constants::kAll ? " constant" : " fed"));
      const Tensor axes = Tensor::FromVector(c.axes, {static_cast<int64_t>(c.axes.size())});
      Tensor y = Tensor::Zeros(DType::kF32, c.out);
      test::RunKernel("ReduceSum", {&x, &axes}, {&y}, {{"keepdims", Attribute(c.keepdims)}}, constants);
      CheckOp(y, Reference(xv, shape, c.mask, ReduceOp::kSum), ReduceOp::kSum);
    }
  }
  // No axes input: everything, unless noop_with_empty_axes (then the data, relabelled).
  Tensor all = Tensor::Zeros(DType::kF32, {1, 1, 1});
  test::RunKernel("ReduceSum", {&x}, {&all}, {});
  CheckOp(all, Reference(xv, shape, 7, ReduceOp::kSum), ReduceOp::kSum);
  for (test::Constants constants : {test::Constants::kAll, test::Constants::kNone}) {
    Tensor same = Tensor::Zeros(DType::kF32, shape);
    const Tensor none = Tensor::FromVector(std::vector<int64_t>{}, {0});
    test::RunKernel("ReduceSum", {&x, &none}, {&same}, {{"noop_with_empty_axes", Attribute(int64_t{1})}}, constants);
    CHECK(same.ToFloatVector() == xv);
  }
  // i64 data.
  const Tensor xi = Tensor::FromVector(std::vector<int64_t>{1, -2, 3, int64_t{1} << 50, 5, 6}, {2, 3});
  const Tensor axis1 = Tensor::FromVector(std::vector<int64_t>{1}, {1});
  Tensor yi = Tensor::Zeros(DType::kI64, {2});
  test::RunKernel("ReduceSum", {&xi, &axis1}, {&yi}, {{"keepdims", Attribute(int64_t{0})}});
  CHECK(yi.data<int64_t>()[0] == 2);
  CHECK(yi.data<int64_t>()[1] == (int64_t{1} << 50) + 11);
}

TEST_CASE("One session reduces over whichever axes each run is given", "[kernels][reduce]") {
  // [3,3] -> [3] with keepdims 0 is axis 0 or axis 1: only the axes' values tell which, and they
  // key the plan.
  graph::Model model;
  graph::Graph& g = model.graph;
  g.name = "reduce_axes";
  g.inputs = {{"x", DType::kF32, graph::Shape({3, 3})}, {"axes", DType::kI64, graph::Shape({1})}};
  g.nodes.push_back(graph::Node{"sum", "ReduceSum", {"x", "axes"}, {"y"}, {{"keepdims", Attribute(int64_t{0})}}});
  g.outputs = {{"y", DType::kUndefined, graph::Shape()}};
  Session s = detail::SessionFactory::FromModel(std::move(model), {}, "reduce_axes");
  const Tensor x = Tensor::FromVector(std::vector<float>{1, 2, 3, 10, 20, 30, 100, 200, 300}, {3, 3});
  for (int repeat = 0; repeat < 2; ++repeat) {
    const std::vector<Tensor> rows = s.Run({{"x", x}, {"axes", Tensor::FromVector(std::vector<int64_t>{1}, {1})}});
    CHECK(rows[0].ToFloatVector() == std::vector<float>{6, 60, 600});
    const std::vector<Tensor> cols = s.Run({{"x", x}, {"axes", Tensor::FromVector(std::vector<int64_t>{-2}, {1})}});
    CHECK(cols[0].ToFloatVector() == std::vector<float>{111, 222, 333});
  }
}

TEST_CASE("ReduceMean reads its axes attribute, default all", "[kernels][reduce][kernel:ReduceMean]") {
  const Shape shape = {3, 5, 2};
  const std::vector<float> xv = test::RandomFloats(30, 72, -2.0f, 2.0f);
  const Tensor x = Tensor::FromVector(xv, shape);
  Tensor y = Tensor::Zeros(DType::kF32, {3, 2});
  test::RunKernel("ReduceMean", {&x}, {&y}, {{"axes", Attribute(std::vector<int64_t>{-2})}, {"keepdims", Attribute(int64_t{0})}});
  CheckOp(y, Reference(xv, shape, Mask({1}), ReduceOp::kMean), ReduceOp::kMean);
  Tensor all = Tensor::Zeros(DType::kF32, {1, 1, 1});
  test::RunKernel("ReduceMean", {&x}, {&all}, {});
  CheckOp(all, Reference(xv, shape, 7, ReduceOp::kMean), ReduceOp::kMean);
  // Over a dim of size 1 only: nothing to reduce, so no step (the output is the input relabelled).
  const Tensor col = Tensor::FromVector(xv, {30, 1});
  Tensor same = Tensor::Zeros(DType::kF32, {30});
  test::RunKernel("ReduceMean", {&col}, {&same}, {{"axes", Attribute(std::vector<int64_t>{1})}, {"keepdims", Attribute(int64_t{0})}});
  CHECK(same.ToFloatVector() == xv);
}

TEST_CASE("ReduceMax reads its axes attribute, takes i64, propagates NaN", "[kernels][reduce][kernel:ReduceMax]") {
  const Shape shape = {4, 6};
  std::vector<float> xv = test::RandomFloats(24, 73, -2.0f, 2.0f);
  xv[7] = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::FromVector(xv, shape);
  for (test::Constants constants : {test::Constants::kNone, test::Constants::kAll}) {
    Tensor y = Tensor::Zeros(DType::kF32, {4, 1});
    test::RunKernel("ReduceMax", {&x}, {&y}, {{"axes", Attribute(std::vector<int64_t>{1})}}, constants);
    CheckOp(y, Reference(xv, shape, Mask({1}), ReduceOp::kMax), ReduceOp::kMax);
    CHECK(std::isnan(y.ToFloatVector()[1]));
  }
  const Tensor xi = Tensor::FromVector(std::vector<int64_t>{-5, 9, -7, 2}, {2, 2});
  Tensor yi = Tensor::Zeros(DType::kI64, {2});
  test::RunKernel("ReduceMax", {&xi}, {&yi}, {{"axes", Attribute(std::vector<int64_t>{0})}, {"keepdims", Attribute(int64_t{0})}});
  CHECK(yi.data<int64_t>()[0] == -5);
  CHECK(yi.data<int64_t>()[1] == 9);
}

}  // namespace
}  // namespace axon::kernels

namespace axon::kernels {
namespace {

// `axon_tests "[.report]" -s` prints the measured accuracy (not run by default).
TEST_CASE("reduce accuracy report", "[.report]") {
  const int64_t n = 1000000;
  for (float lo : {0.0f, -1.0f}) {
    const std::vector<float> x = test::RandomFloats(n, 51, lo, 1.0f);
    double exact = 0, abs_sum = 0;
    float naive = 0;
    for (float v : x) exact += v, abs_sum += std::fabs(v), naive += v;
    test::ForEachTarget([&](const char* target) {
      float y = 0;
      Run(ReduceOp::kSum, {n}, 1, x.data(), &y);
      const Expected e = Reference(x, {250000, 4}, 1, ReduceOp::kSum);
      std::vector<float> cols(4);
      Run(ReduceOp::kSum, {250000, 4}, 1, x.data(), cols.data());
      double worst = 0;
      for (std::size_t i = 0; i < 4; ++i) worst = std::max(worst, std::fabs(cols[i] - e.y[i]) / e.abs_sum[i]);
      std::printf("sum of 1e6 in [%g,1) %-6s row: %.2e of sum|x| (plain loop %.2e); 4 columns of 250000: %.2e\n", lo,
                  target, std::fabs(y - exact) / abs_sum, std::fabs(naive - exact) / abs_sum, worst);
    });
  }
}

}  // namespace
}  // namespace axon::kernels
