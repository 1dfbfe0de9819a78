#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::InferOp;

TEST_CASE("broadcasting follows numpy", "[graph][infer][infer:Add]") {
  auto shape = [](std::vector<Dim> a, std::vector<Dim> b) { return InferOp("Add", {F32(a), F32(b)})[0].shape; };
  CHECK(shape({2, 3}, {3}) == Shape({2, 3}));
  CHECK(shape({2, 1, 4}, {3, 1}) == Shape({2, 3, 4}));
  CHECK(shape({}, {5}) == Shape({5}));
  CHECK(shape({1}, {5}) == Shape({5}));
  CHECK(shape({5, 1}, {1, 0}) == Shape({5, 0}));
  CHECK(shape({Dim::Symbol("batch"), 4}, {4}) == Shape({Dim::Symbol("batch"), 4}));
  CHECK(shape({Dim::Symbol("batch"), 1}, {1, 4}) == Shape({Dim::Symbol("batch"), 4}));
  CHECK(shape({Dim::Symbol("n"), 4}, {7, 1}) == Shape({7, 4}));
  CHECK_THROWS_WITH(shape({2, 3}, {4}), Catch::Contains("cannot be broadcast") && Catch::Contains("[2,3]") &&
                                             Catch::Contains("node 'n' (Add)"));
}

TEST_CASE("arithmetic takes f32, i32, i64, i8 or u8, both inputs alike, and makes that dtype", "[graph][infer][infer:Mul]") {
  for (DType t : {DType::kF32, DType::kI32, DType::kI64, DType::kI8, DType::kU8}) {
    INFO(DTypeName(t));
    for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
      const auto out = InferOp(op, {ValueInfo{"", t, Shape({2, 1})}, ValueInfo{"", t, Shape({3})}});
      CHECK(out[0].dtype == t);
      CHECK(out[0].shape == Shape({2, 3}));
    }
  }
  ValueInfo i64{"", DType::kI64, Shape({2})}, i32{"", DType::kI32, Shape({2})};
  ValueInfo u8{"", DType::kU8, Shape({2})}, i8{"", DType::kI8, Shape({2})}, boolean{"", DType::kBool, Shape({2})};
  CHECK_THROWS_WITH(InferOp("Mul", {F32({2}), i64}), Catch::Contains("same dtype, got f32 and i64"));
  CHECK_THROWS_WITH(InferOp("Mul", {i32, i64}), Catch::Contains("same dtype, got i32 and i64"));
  CHECK_THROWS_WITH(InferOp("Add", {u8, i8}), Catch::Contains("same dtype, got u8 and i8"));
  CHECK_THROWS_WITH(InferOp("Div", {i8, i32}), Catch::Contains("same dtype, got i8 and i32"));
  CHECK_THROWS_WITH(InferOp("Mul", {boolean, boolean}), Catch::Contains("must be f32, i32, i64, i8 or u8, got bool"));
}

TEST_CASE("Pow broadcasts both ways; base and exponent each f32, i32 or i64; output the base's dtype",
          "[graph][infer][infer:Pow]") {
  CHECK(InferOp("Pow", {F32({2, 1, 4}), F32({3, 1})})[0].shape == Shape({2, 3, 4}));
  CHECK(InferOp("Pow", {F32({Dim::Symbol("b"), 4}), F32({})})[0].shape == Shape({Dim::Symbol("b"), 4}));
  CHECK(InferOp("Pow", {F32({}), F32({5})})[0].shape == Shape({5}));  // the exponent may widen the result
  CHECK_THROWS_WITH(InferOp("Pow", {F32({2, 3}), F32({4})}), Catch::Contains("cannot be broadcast"));
  for (DType x : {DType::kF32, DType::kI32, DType::kI64}) {
    for (DType y : {DType::kF32, DType::kI32, DType::kI64}) {
      INFO(DTypeName(x) << " ** " << DTypeName(y));
      const auto out = InferOp("Pow", {ValueInfo{"", x, Shape({2, 1})}, ValueInfo{"", y, Shape({3})}});
      CHECK(out[0].dtype == x);
      CHECK(out[0].shape == Shape({2, 3}));
    }
  }
  ValueInfo u8{"", DType::kU8, Shape({2})}, i8{"", DType::kI8, Shape({2})}, boolean{"", DType::kBool, Shape({2})};
  CHECK_THROWS_WITH(InferOp("Pow", {u8, F32({2})}),
                    Catch::Contains("base X and exponent Y must each be f32, i32 or i64, got X u8 and Y f32"));
  CHECK_THROWS_WITH(InferOp("Pow", {F32({2}), i8}), Catch::Contains("got X f32 and Y i8"));
  CHECK_THROWS_WITH(InferOp("Pow", {ValueInfo{"", DType::kI64, Shape({2})}, boolean}),
                    Catch::Contains("got X i64 and Y bool"));
  CHECK(FindOpSchema("Pow")->since_version() == 2);
}

TEST_CASE("PRelu's slope broadcasts to X one way only", "[graph][infer][infer:PRelu]") {
  const Shape x({Dim::Symbol("n"), 3, 5, 5});
  CHECK(InferOp("PRelu", {F32(x.dims()), F32({3, 1, 1})})[0].shape == x);
  CHECK(InferOp("PRelu", {F32(x.dims()), F32({1})})[0].shape == x);
  CHECK(InferOp("PRelu", {F32(x.dims()), F32({})})[0].shape == x);
  CHECK(InferOp("PRelu", {F32(x.dims()), F32({5})})[0].shape == x);
  CHECK(InferOp("PRelu", {F32({2, 3}), F32({Dim::Symbol("c")})})[0].shape == Shape({2, 3}));
  CHECK_THROWS_WITH(InferOp("PRelu", {F32(x.dims()), F32({3})}), Catch::Contains("slope [3] does not broadcast to X"));
  CHECK_THROWS_WITH(InferOp("PRelu", {F32({1, 3}), F32({2, 3})}), Catch::Contains("does not broadcast"));  // would widen X
  CHECK_THROWS_WITH(InferOp("PRelu", {F32({3}), F32({1, 3})}), Catch::Contains("does not broadcast"));     // higher rank
  CHECK_THROWS_WITH(InferOp("PRelu", {ValueInfo{"", DType::kI32, Shape({3})}, F32({3})}), Catch::Contains("must be f32"));
}

TEST_CASE("MatMul shapes: 2-D, batched, broadcast, 1-D promotion", "[graph][infer][infer:MatMul]") {
  auto shape = [](std::vector<Dim> a, std::vector<Dim> b) { return InferOp("MatMul", {F32(a), F32(b)})[0].shape; };
  CHECK(shape({3, 4}, {4, 5}) == Shape({3, 5}));
  CHECK(shape({2, 3, 4}, {4, 5}) == Shape({2, 3, 5}));
  CHECK(shape({2, 1, 3, 4}, {6, 4, 5}) == Shape({2, 6, 3, 5}));
  CHECK(shape({4}, {4, 5}) == Shape({5}));
  CHECK(shape({3, 4}, {4}) == Shape({3}));
  CHECK(shape({4}, {4}) == Shape(std::vector<Dim>{}));
  CHECK(shape({Dim::Symbol("b"), 4}, {4, 2}) == Shape({Dim::Symbol("b"), 2}));
  CHECK_THROWS_WITH(shape({3, 4}, {5, 6}), Catch::Contains("inner dimensions differ"));
  CHECK_THROWS_WITH(shape({2, 3, 4}, {3, 4, 5}), Catch::Contains("cannot be broadcast"));
}

TEST_CASE("Gemm shapes with transposes and C broadcast", "[graph][infer][infer:Gemm]") {
  CHECK(InferOp("Gemm", {F32({3, 4}), F32({4, 5})})[0].shape == Shape({3, 5}));
  CHECK(InferOp("Gemm", {F32({4, 3}), F32({5, 4})}, {{"transA", int64_t{1}}, {"transB", int64_t{1}}})[0].shape ==
        Shape({3, 5}));
  CHECK(InferOp("Gemm", {F32({3, 4}), F32({4, 5}), F32({5})})[0].shape == Shape({3, 5}));
  CHECK(InferOp("Gemm", {F32({3, 4}), F32({4, 5}), F32({3, 1})})[0].shape == Shape({3, 5}));
  CHECK_THROWS_WITH(InferOp("Gemm", {F32({3, 4}), F32({4, 5}), F32({2, 5})}), Catch::Contains("does not broadcast"));
  CHECK_THROWS_WITH(InferOp("Gemm", {F32({3, 4}), F32({3, 5})}), Catch::Contains("inner dimensions differ"));
  CHECK_THROWS_WITH(InferOp("Gemm", {F32({3, 4, 1}), F32({4, 5})}), Catch::Contains("2-D"));
  CHECK_THROWS_WITH(InferOp("Gemm", {F32({3, 4}), F32({4, 5})}, {{"transA", int64_t{2}}}), Catch::Contains("0 or 1"));
  CHECK_THROWS_WITH(InferOp("Gemm", {F32({3, 4}), F32({4, 5})}, {{"alpha", int64_t{2}}}), Catch::Contains("must be float"));
  CHECK_THROWS_WITH(InferOp("Gemm", {F32({3, 4})}), Catch::Contains("expects 2 to 3 inputs"));
}

TEST_CASE("Reshape, Flatten, Transpose shapes", "[graph][infer][infer:Reshape][infer:Flatten][infer:Transpose]") {
  Tensor spec = Tensor::FromVector(std::vector<int64_t>{0, -1}, {2});
  ValueInfo spec_info{"", DType::kI64, Shape({2})};
  CHECK(InferOp("Reshape", {F32({2, 3, 4}), spec_info}, {}, {nullptr, &spec})[0].shape == Shape({2, 12}));
  Tensor bad = Tensor::FromVector(std::vector<int64_t>{5, -1}, {2});
  CHECK_THROWS_WITH(InferOp("Reshape", {F32({2, 3, 4}), spec_info}, {}, {nullptr, &bad}), Catch::Contains("cannot infer the -1"));
  Tensor two = Tensor::FromVector(std::vector<int64_t>{-1, -1}, {2});
  CHECK_THROWS_WITH(InferOp("Reshape", {F32({2, 3, 4}), spec_info}, {}, {nullptr, &two}), Catch::Contains("more than one -1"));
  // Unknown shape value: only the output rank is known.
  CHECK(InferOp("Reshape", {F32({2, 3, 4}), spec_info})[0].shape.rank() == 2);

  CHECK(InferOp("Flatten", {F32({2, 3, 4})})[0].shape == Shape({2, 12}));
  CHECK(InferOp("Flatten", {F32({2, 3, 4})}, {{"axis", int64_t{0}}})[0].shape == Shape({1, 24}));
  CHECK(InferOp("Flatten", {F32({2, 3, 4})}, {{"axis", int64_t{-1}}})[0].shape == Shape({6, 4}));
  CHECK(InferOp("Flatten", {F32({2, 3, 4})}, {{"axis", int64_t{3}}})[0].shape == Shape({24, 1}));
  CHECK_THROWS_WITH(InferOp("Flatten", {F32({2, 3})}, {{"axis", int64_t{3}}}), Catch::Contains("out of range"));

  CHECK(InferOp("Transpose", {F32({2, 3, 4})})[0].shape == Shape({4, 3, 2}));
  CHECK(InferOp("Transpose", {F32({2, 3, 4})}, {{"perm", std::vector<int64_t>{1, 0, 2}}})[0].shape == Shape({3, 2, 4}));
  CHECK_THROWS_WITH(InferOp("Transpose", {F32({2, 3, 4})}, {{"perm", std::vector<int64_t>{0, 0, 2}}}),
                    Catch::Contains("not a permutation"));
}

TEST_CASE("Softmax checks its axis", "[graph][infer][infer:Softmax][infer:LogSoftmax]") {
  CHECK(InferOp("Softmax", {F32({2, 3})})[0].shape == Shape({2, 3}));
  CHECK(InferOp("LogSoftmax", {F32({2, 3})}, {{"axis", int64_t{-2}}})[0].shape == Shape({2, 3}));
  CHECK_THROWS_WITH(InferOp("Softmax", {F32({2, 3})}, {{"axis", int64_t{2}}}), Catch::Contains("axis 2 is out of range"));
  CHECK_THROWS_WITH(InferOp("Softmax", {F32({2, 3})}, {{"dim", int64_t{1}}}), Catch::Contains("unknown attribute 'dim'"));
  CHECK_THROWS_WITH(InferOp("Softmax", {F32({})}), Catch::Contains("rank >= 1"));
  CHECK_THROWS_WITH(InferOp("LogSoftmax", {F32({})}, {{"axis", int64_t{0}}}), Catch::Contains("rank >= 1"));
}

TEST_CASE("Sub and Div broadcast like Add and need matching dtypes", "[graph][infer][infer:Sub][infer:Div]") {
  for (const char* op : {"Sub", "Div"}) {
    INFO(op);
    CHECK(InferOp(op, {F32({2, 1, 4}), F32({3, 1})})[0].shape == Shape({2, 3, 4}));
    CHECK(InferOp(op, {ValueInfo{"", DType::kI64, Shape({2})}, ValueInfo{"", DType::kI64, Shape({})}})[0].dtype ==
          DType::kI64);
    CHECK_THROWS_WITH(InferOp(op, {F32({2, 3}), F32({4})}), Catch::Contains("cannot be broadcast"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2}), ValueInfo{"", DType::kI64, Shape({2})}}), Catch::Contains("same dtype"));
  }
}

TEST_CASE("activations and Identity keep shape and dtype", "[graph][infer][infer:Relu][infer:Sigmoid][infer:Tanh][infer:Identity]") {
  const Shape shape({Dim::Symbol("batch"), 3, 0});
  for (const char* op : {"Relu", "Sigmoid", "Tanh"}) {
    INFO(op);
    const auto out = InferOp(op, {F32(shape.dims())});
    CHECK(out[0].shape == shape);
    CHECK(out[0].dtype == DType::kF32);
    CHECK_THROWS_WITH(InferOp(op, {ValueInfo{"", DType::kI64, Shape({2})}}), Catch::Contains("must be f32"));
    CHECK_THROWS_WITH(InferOp(op, {F32({2}), F32({2})}), Catch::Contains("input"));
  }
  const auto id = InferOp("Identity", {ValueInfo{"", DType::kI64, Shape({4, 2})}});
  CHECK(id[0].shape == Shape({4, 2}));
  CHECK(id[0].dtype == DType::kI64);
}

TEST_CASE("Mod broadcasts like Add; fmod is 0 or 1, and f32 needs fmod=1 as in ONNX", "[graph][infer][infer:Mod]") {
  const ValueInfo i64{"", DType::kI64, Shape({2, 1})}, i64b{"", DType::kI64, Shape({3})};
  for (DType t : {DType::kI32, DType::kI64, DType::kI8, DType::kU8}) {
    INFO(DTypeName(t));
    const auto out = InferOp("Mod", {ValueInfo{"", t, Shape({2, 1})}, ValueInfo{"", t, Shape({3})}});
    CHECK(out[0].dtype == t);
    CHECK(out[0].shape == Shape({2, 3}));
  }
  const auto f = InferOp("Mod", {F32({Dim::Symbol("b"), 4}), F32({4})}, {{"fmod", int64_t{1}}});
  CHECK(f[0].shape == Shape({Dim::Symbol("b"), 4}));
  CHECK(f[0].dtype == DType::kF32);
  CHECK_THROWS_WITH(InferOp("Mod", {F32({2}), F32({2})}), Catch::Contains("needs fmod=1"));
  CHECK_THROWS_WITH(InferOp("Mod", {i64, i64b}, {{"fmod", int64_t{2}}}), Catch::Contains("fmod must be 0 or 1, got 2"));
  CHECK_THROWS_WITH(InferOp("Mod", {i64, ValueInfo{"", DType::kI32, Shape({3})}}), Catch::Contains("same dtype"));
  CHECK_THROWS_WITH(InferOp("Mod", {ValueInfo{"", DType::kI64, Shape({2, 3})}, ValueInfo{"", DType::kI64, Shape({4})}}),
                    Catch::Contains("cannot be broadcast"));
}
