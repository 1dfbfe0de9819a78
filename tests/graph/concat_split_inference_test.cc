// Shape inference of Concat (variadic inputs) and Split (variadic outputs, sizes as an input).
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::I64;
using axon::graph::testing::InferOp;
using axon::graph::testing::InferOpOutputs;
using axon::graph::testing::Omitted;

namespace {
const Dim kB = Dim::Symbol("b");
std::map<std::string, Attribute> Axis(int64_t a) { return {{"axis", a}}; }
}  // namespace

TEST_CASE("Concat adds up the axis and checks the other dims", "[graph][infer][infer:Concat]") {
  CHECK(InferOp("Concat", {F32({2, 3}), F32({2, 5}), F32({2, 1})}, Axis(1))[0].shape == Shape({2, 9}));
  CHECK(InferOp("Concat", {F32({2, 3}), F32({4, 3})}, Axis(-2))[0].shape == Shape({6, 3}));
  CHECK(InferOp("Concat", {I64({1}), I64({1}), I64({2}), I64({0})}, Axis(0))[0].shape == Shape({4}));
  CHECK(InferOp("Concat", {I64({1})}, Axis(0))[0].dtype == DType::kI64);
  // Unknown dims: the axis sum becomes unknown; other dims take any known value.
  CHECK(InferOp("Concat", {F32({kB, 3}), F32({2, 3})}, Axis(0))[0].shape == Shape({Dim(), 3}));
  CHECK(InferOp("Concat", {F32({kB, 3}), F32({2, 4})}, Axis(1))[0].shape == Shape({2, 7}));
  CHECK(InferOp("Concat", {F32({kB, 3}), F32({kB, 4})}, Axis(1))[0].shape == Shape({kB, 7}));
  CHECK(InferOp("Concat", {F32({kB, 3}), F32({Dim::Symbol("c"), 4})}, Axis(1))[0].shape == Shape({Dim(), 7}));
  CHECK(InferOp("Concat", {ValueInfo{"", DType::kF32, Shape::UnknownRank()}, F32({2, 4})}, Axis(1))[0].shape ==
        Shape({2, Dim()}));
  CHECK_THROWS_WITH(InferOp("Concat", {F32({2, 3}), F32({3, 3})}, Axis(1)), Catch::Contains("inputs differ in dim 0 (2 vs 3)"));
  CHECK_THROWS_WITH(InferOp("Concat", {F32({2, 3}), F32({3})}, Axis(0)), Catch::Contains("input 1 has rank 1, input 0 has rank 2"));
  CHECK_THROWS_WITH(InferOp("Concat", {F32({2}), I64({2})}, Axis(0)), Catch::Contains("input 1 is i64, input 0 is f32"));
  CHECK_THROWS_WITH(InferOp("Concat", {F32({2}), F32({2})}, Axis(1)), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(InferOp("Concat", {F32({}), F32({})}, Axis(0)), Catch::Contains("cannot concatenate scalars"));
  CHECK_THROWS_WITH(InferOp("Concat", {F32({2})}), Catch::Contains("missing required attribute 'axis'"));
  CHECK_THROWS_WITH(InferOp("Concat", {}, Axis(0)), Catch::Contains("expects at least 1 inputs"));
  CHECK_THROWS_WITH(InferOp("Concat", {F32({int64_t{1} << 62}), F32({int64_t{1} << 62})}, Axis(0)),
                    Catch::Contains("add up to too many"));
}

TEST_CASE("Split: equal parts, or the sizes its split input holds", "[graph][infer][infer:Split]") {
  auto shapes = [](const std::vector<ValueInfo>& outs) {
    std::vector<Shape> s;
    for (const ValueInfo& v : outs) s.push_back(v.shape);
    return s;
  };
  CHECK(shapes(InferOpOutputs("Split", {F32({6, 4})}, 3)) == std::vector<Shape>{Shape({2, 4}), Shape({2, 4}), Shape({2, 4})});
  CHECK(shapes(InferOpOutputs("Split", {F32({6, 4})}, 2, Axis(-1))) == std::vector<Shape>{Shape({6, 2}), Shape({6, 2})});
  CHECK(InferOpOutputs("Split", {I64({4})}, 2)[1].dtype == DType::kI64);
  const Tensor sizes = Tensor::FromVector(std::vector<int64_t>{1, 0, 3}, {3});
  CHECK(shapes(InferOpOutputs("Split", {F32({2, 4}), I64({3})}, 3, Axis(1), {nullptr, &sizes})) ==
        std::vector<Shape>{Shape({2, 1}), Shape({2, 0}), Shape({2, 3})});
  CHECK(shapes(InferOpOutputs("Split", {F32({kB, 4}), I64({3})}, 3, Axis(0), {nullptr, &sizes})) ==
        std::vector<Shape>{Shape({1, 4}), Shape({0, 4}), Shape({3, 4})});
  // Sizes unknown, or an unknown dim split evenly: the axis dims are unknown.
  CHECK(shapes(InferOpOutputs("Split", {F32({2, 4}), I64({2})}, 2, Axis(1))) ==
        std::vector<Shape>{Shape({2, Dim()}), Shape({2, Dim()})});
  CHECK(shapes(InferOpOutputs("Split", {F32({kB, 4}), Omitted()}, 2)) == std::vector<Shape>{Shape({Dim(), 4}), Shape({Dim(), 4})});
  CHECK_THROWS_WITH(InferOpOutputs("Split", {F32({5})}, 2), Catch::Contains("does not split into 2 equal parts"));
  CHECK_THROWS_WITH(InferOpOutputs("Split", {F32({2, 5}), I64({3})}, 3, Axis(1), {nullptr, &sizes}),
                    Catch::Contains("adds up to 4, not to dim 1 of size 5"));
  CHECK_THROWS_WITH(InferOpOutputs("Split", {F32({4}), I64({3})}, 2, {}, {nullptr, &sizes}),
                    Catch::Contains("split has 3 sizes for 2 outputs"));
  CHECK_THROWS_WITH(InferOpOutputs("Split", {F32({4}), I64({3})}, 2), Catch::Contains("split has 3 sizes for 2 outputs"));
  const Tensor negative = Tensor::FromVector(std::vector<int64_t>{5, -1}, {2});
  CHECK_THROWS_WITH(InferOpOutputs("Split", {F32({4}), I64({2})}, 2, {}, {nullptr, &negative}), Catch::Contains("invalid size"));
  CHECK_THROWS_WITH(InferOpOutputs("Split", {F32({})}, 1), Catch::Contains("cannot split a scalar"));
  CHECK_THROWS_WITH(InferOpOutputs("Split", {F32({4})}, 0), Catch::Contains("expects at least 1 outputs"));
}
