// Shape inference of the ops whose output shape comes from input VALUES (Squeeze, Unsqueeze,
// ConstantOfShape, Expand, Range) or is a shape (Shape): exact shapes when the values are known,
// as much as can be said when they are not.
#include <catch2/catch.hpp>

#include <limits>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::I64;
using axon::graph::testing::InferOp;
using axon::graph::testing::Omitted;
using axon::graph::testing::Typed;

namespace {

Tensor Ints(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::FromVector(v, {n});
}
ValueInfo IntsInfo(int64_t n) { return I64({n}); }
const Dim kB = Dim::Symbol("b");

}  // namespace

TEST_CASE("Squeeze removes the given axes, or every size-1 dim", "[graph][infer][infer:Squeeze]") {
  const Tensor axes = Ints({0, -1});
  CHECK(InferOp("Squeeze", {F32({1, 3, 1}), IntsInfo(2)}, {}, {nullptr, &axes})[0].shape == Shape({3}));
  CHECK(InferOp("Squeeze", {F32({1, kB, 1}), IntsInfo(2)}, {}, {nullptr, &axes})[0].shape == Shape({kB}));
  // An unknown dim squeezed is taken to be 1 (a run with another size fails its own plan).
  CHECK(InferOp("Squeeze", {F32({kB, 3, 1}), IntsInfo(2)}, {}, {nullptr, &axes})[0].shape == Shape({3}));
  CHECK(InferOp("Squeeze", {F32({1, 3, 1, 2})})[0].shape == Shape({3, 2}));
  CHECK(InferOp("Squeeze", {F32({1, 3, 1, 2}), Omitted()})[0].shape == Shape({3, 2}));
  CHECK_FALSE(InferOp("Squeeze", {F32({1, kB})})[0].shape.has_rank());  // b might be 1
  // Empty axes squeeze nothing (ONNX's shape inference, numpy's squeeze(axis=())).
  const Tensor none = Ints({});
  CHECK(InferOp("Squeeze", {F32({1, 3}), IntsInfo(0)}, {}, {nullptr, &none})[0].shape == Shape({1, 3}));
  // Axes known only at run time: the rank is known from their count.
  CHECK(InferOp("Squeeze", {F32({1, 3, 1}), IntsInfo(2)})[0].shape == Shape({Dim()}));
  CHECK_FALSE(InferOp("Squeeze", {F32({1, 3, 1}), I64({Dim()})})[0].shape.has_rank());
  const Tensor bad = Ints({1});
  CHECK_THROWS_WITH(InferOp("Squeeze", {F32({1, 3}), IntsInfo(1)}, {}, {nullptr, &bad}),
                    Catch::Contains("cannot squeeze axis 1 of size 3"));
  const Tensor twice = Ints({0, -2});
  CHECK_THROWS_WITH(InferOp("Squeeze", {F32({1, 1}), IntsInfo(2)}, {}, {nullptr, &twice}), Catch::Contains("twice"));
  const Tensor out_of_range = Ints({2});
  CHECK_THROWS_WITH(InferOp("Squeeze", {F32({1, 1}), IntsInfo(1)}, {}, {nullptr, &out_of_range}),
                    Catch::Contains("axis 2 is out of range for rank 2"));
  CHECK_THROWS_WITH(InferOp("Squeeze", {F32({1}), F32({1})}), Catch::Contains("axes must be i64"));
  CHECK_THROWS_WITH(InferOp("Squeeze", {F32({1}), I64({1, 1})}), Catch::Contains("axes must be 1-D"));
}

TEST_CASE("Unsqueeze inserts size-1 dims at axes of the output", "[graph][infer][infer:Unsqueeze]") {
  auto unsqueeze = [](std::vector<Dim> in, std::vector<int64_t> axes) {
    const Tensor t = Ints(axes);
    return InferOp("Unsqueeze", {F32(std::move(in)), IntsInfo(static_cast<int64_t>(axes.size()))}, {}, {nullptr, &t})[0].shape;
  };
  CHECK(unsqueeze({3, 4}, {0}) == Shape({1, 3, 4}));
  CHECK(unsqueeze({3, 4}, {2, 0}) == Shape({1, 3, 1, 4}));
  CHECK(unsqueeze({3, 4}, {-1}) == Shape({3, 4, 1}));
  CHECK(unsqueeze({3, 4}, {1, -1}) == Shape({3, 1, 4, 1}));
  CHECK(unsqueeze({}, {0}) == Shape({1}));  // a scalar to a 1-element vector (the PyTorch shape pattern)
  CHECK(unsqueeze({kB}, {0, 2}) == Shape({1, kB, 1}));
  CHECK(InferOp("Unsqueeze", {F32({3}), IntsInfo(2)})[0].shape == Shape({Dim(), Dim(), Dim()}));
  CHECK_THROWS_WITH(unsqueeze({3}, {2}), Catch::Contains("out of range for rank 2"));
  CHECK_THROWS_WITH(unsqueeze({3}, {0, 0}), Catch::Contains("twice"));
  CHECK_THROWS_WITH(unsqueeze({3}, {0, -3}), Catch::Contains("twice"));  // -3 of rank 3 is 0
  CHECK_THROWS_WITH(InferOp("Unsqueeze", {F32({3}), IntsInfo(int64_t{1} << 40)}), Catch::Contains("at most 64 dims"));
  CHECK_THROWS_WITH(InferOp("Unsqueeze", {F32({3})}), Catch::Contains("expects 2 inputs"));
}

TEST_CASE("Shape gives a 1-D i64 of the (sliced) rank", "[graph][infer][infer:Shape]") {
  auto shape = [](std::map<std::string, Attribute> attrs) { return InferOp("Shape", {F32({2, kB, 4})}, attrs)[0]; };
  CHECK(shape({}).dtype == DType::kI64);
  CHECK(shape({}).shape == Shape({3}));
  CHECK(shape({{"start", int64_t{1}}}).shape == Shape({2}));
  CHECK(shape({{"start", int64_t{-1}}}).shape == Shape({1}));
  CHECK(shape({{"end", int64_t{-1}}}).shape == Shape({2}));
  CHECK(shape({{"start", int64_t{-10}}, {"end", int64_t{10}}}).shape == Shape({3}));  // clamped
  CHECK(shape({{"start", int64_t{2}}, {"end", int64_t{1}}}).shape == Shape({0}));
  CHECK(shape({{"start", std::numeric_limits<int64_t>::min()}, {"end", std::numeric_limits<int64_t>::max()}}).shape ==
        Shape({3}));
  CHECK(InferOp("Shape", {F32({})})[0].shape == Shape({0}));
  CHECK(InferOp("Shape", {ValueInfo{"", DType::kI64, Shape::UnknownRank()}})[0].shape == Shape({Dim()}));
}

TEST_CASE("ConstantOfShape takes its shape from its input's values and dtype from its value", "[graph][infer][infer:ConstantOfShape]") {
  const Tensor s = Ints({2, 0, 3});
  const ValueInfo f = InferOp("ConstantOfShape", {IntsInfo(3)}, {}, {&s})[0];
  CHECK(f.dtype == DType::kF32);  // the default value is f32 0
  CHECK(f.shape == Shape({2, 0, 3}));
  const ValueInfo i = InferOp("ConstantOfShape", {IntsInfo(3)},
                              {{"value", TensorAttr{Tensor::FromVector(std::vector<int64_t>{7}, {1})}}}, {&s})[0];
  CHECK(i.dtype == DType::kI64);
  CHECK(i.shape == Shape({2, 0, 3}));
  const Tensor scalar = Ints({});
  CHECK(InferOp("ConstantOfShape", {IntsInfo(0)}, {}, {&scalar})[0].shape == Shape(std::vector<Dim>{}));
  CHECK(InferOp("ConstantOfShape", {IntsInfo(2)})[0].shape == Shape({Dim(), Dim()}));  // values unknown
  CHECK_FALSE(InferOp("ConstantOfShape", {I64({Dim()})})[0].shape.has_rank());
  const Tensor negative = Ints({2, -1});
  CHECK_THROWS_WITH(InferOp("ConstantOfShape", {IntsInfo(2)}, {}, {&negative}), Catch::Contains("negative entry"));
  CHECK_THROWS_WITH(InferOp("ConstantOfShape", {IntsInfo(2)},
                            {{"value", TensorAttr{Tensor::FromVector(std::vector<float>{1, 2}, {2})}}}),
                    Catch::Contains("must hold one element, got 2"));
  CHECK_THROWS_WITH(InferOp("ConstantOfShape", {F32({2})}), Catch::Contains("input must be i64"));
  CHECK_THROWS_WITH(InferOp("ConstantOfShape", {IntsInfo(65)}), Catch::Contains("at most 64 dims"));
  const Tensor huge = Ints({int64_t{1} << 40, int64_t{1} << 40});
  CHECK_THROWS_WITH(InferOp("ConstantOfShape", {IntsInfo(2)}, {}, {&huge}), Catch::Contains("elements"));
}

TEST_CASE("Expand broadcasts its input and the shape values both ways", "[graph][infer][infer:Expand]") {
  auto expand = [](std::vector<Dim> in, std::vector<int64_t> shape) {
    const Tensor t = Ints(shape);
    return InferOp("Expand", {I64(std::move(in)), IntsInfo(static_cast<int64_t>(shape.size()))}, {}, {nullptr, &t})[0];
  };
  CHECK(expand({3, 1}, {2, 1, 6}).shape == Shape({2, 3, 6}));
  CHECK(expand({3, 1}, {2, 1, 6}).dtype == DType::kI64);
  CHECK(expand({3, 4}, {1}).shape == Shape({3, 4}));  // a 1 in shape keeps the input's dim
  CHECK(expand({}, {2, 2}).shape == Shape({2, 2}));
  CHECK(expand({1}, {0}).shape == Shape({0}));
  CHECK(expand({kB, 1}, {1, 5}).shape == Shape({kB, 5}));
  CHECK_THROWS_WITH(expand({3}, {4}), Catch::Contains("cannot be broadcast"));
  CHECK_THROWS_WITH(expand({3}, {-1}), Catch::Contains("negative entry"));
  CHECK(InferOp("Expand", {F32({3, 1}), IntsInfo(3)})[0].shape == Shape({Dim(), Dim(), Dim()}));
  CHECK(InferOp("Expand", {F32({3, 1, 1, 1}), IntsInfo(2)})[0].shape.rank() == 4);
}

TEST_CASE("Range's length comes from its start, limit and delta values", "[graph][infer][infer:Range]") {
  auto range_i64 = [](int64_t start, int64_t limit, int64_t delta) {
    const Tensor s = Tensor::FromVector(std::vector<int64_t>{start}, {}), l = Tensor::FromVector(std::vector<int64_t>{limit}, {}),
                 d = Tensor::FromVector(std::vector<int64_t>{delta}, {});
    return InferOp("Range", {I64({}), I64({}), I64({})}, {}, {&s, &l, &d})[0];
  };
  CHECK(range_i64(0, 5, 1).shape == Shape({5}));
  CHECK(range_i64(0, 5, 1).dtype == DType::kI64);
  CHECK(range_i64(0, 5, 2).shape == Shape({3}));
  CHECK(range_i64(5, 0, -2).shape == Shape({3}));
  CHECK(range_i64(5, 0, 1).shape == Shape({0}));
  CHECK(range_i64(-3, -3, 1).shape == Shape({0}));
  CHECK(range_i64(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), int64_t{1} << 62).shape ==
        Shape({4}));
  CHECK_THROWS_WITH(range_i64(0, 5, 0), Catch::Contains("delta is 0"));
  CHECK_THROWS_WITH(range_i64(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 1),
                    Catch::Contains("too many elements"));

  auto range_f32 = [](float start, float limit, float delta) {
    const Tensor s = Tensor::FromVector(std::vector<float>{start}, {}), l = Tensor::FromVector(std::vector<float>{limit}, {}),
                 d = Tensor::FromVector(std::vector<float>{delta}, {});
    return InferOp("Range", {F32({}), F32({}), F32({})}, {}, {&s, &l, &d})[0].shape;
  };
  CHECK(range_f32(0.0f, 1.0f, 0.25f) == Shape({4}));
  CHECK(range_f32(0.0f, 1.0f, 0.3f) == Shape({4}));  // 0, 0.3, 0.6, 0.9
  CHECK(range_f32(1.0f, -1.0f, -0.5f) == Shape({4}));
  CHECK(range_f32(1.0f, 2.0f, -0.5f) == Shape({0}));
  CHECK_THROWS_WITH(range_f32(0.0f, std::numeric_limits<float>::infinity(), 1.0f), Catch::Contains("no finite element count"));
  CHECK_THROWS_WITH(range_f32(0.0f, std::numeric_limits<float>::quiet_NaN(), 1.0f), Catch::Contains("no finite element count"));

  const Tensor s = Tensor::FromVector(std::vector<int32_t>{2}, {1}), l = Tensor::FromVector(std::vector<int32_t>{9}, {1}),
               d = Tensor::FromVector(std::vector<int32_t>{3}, {1});
  const ValueInfo i32 = InferOp("Range", {Typed(DType::kI32, {1}), Typed(DType::kI32, {1}), Typed(DType::kI32, {1})}, {},
                                {&s, &l, &d})[0];
  CHECK(i32.dtype == DType::kI32);
  CHECK(i32.shape == Shape({3}));
  // Values unknown: a 1-D output of unknown length.
  CHECK(InferOp("Range", {I64({}), I64({}), I64({})})[0].shape == Shape({Dim()}));
  CHECK_THROWS_WITH(InferOp("Range", {I64({}), F32({}), I64({})}), Catch::Contains("one dtype"));
  CHECK_THROWS_WITH(InferOp("Range", {I64({2}), I64({}), I64({})}), Catch::Contains("must be a scalar"));
  CHECK_THROWS_WITH(InferOp("Range", {Typed(DType::kBool, {}), Typed(DType::kBool, {}), Typed(DType::kBool, {})}),
                    Catch::Contains("must be f32, i64 or i32"));
}
