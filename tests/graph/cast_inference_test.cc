// Cast's `to` is an ONNX data type code.
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::InferOp;

TEST_CASE("Cast maps ONNX data type codes to dtypes and keeps the shape", "[graph][infer][infer:Cast]") {
  const std::vector<std::pair<int64_t, DType>> codes = {{1, DType::kF32}, {2, DType::kU8}, {3, DType::kI8},
                                                        {6, DType::kI32}, {7, DType::kI64}, {9, DType::kBool}};
  for (const auto& [code, dtype] : codes) {
    INFO(code);
    const ValueInfo y = InferOp("Cast", {F32({Dim::Symbol("b"), 3})}, {{"to", code}})[0];
    CHECK(y.dtype == dtype);
    CHECK(y.shape == Shape({Dim::Symbol("b"), 3}));
  }
  try {
    InferOp("Cast", {F32({2})}, {{"to", int64_t{10}}});  // float16
    FAIL("float16 accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnsupported);
    CHECK_THAT(e.what(), Catch::Contains("Cast to ONNX data type 10 is not supported"));
  }
  CHECK_THROWS_WITH(InferOp("Cast", {F32({2})}, {{"to", int64_t{0}}}), Catch::Contains("not an ONNX data type"));
  CHECK_THROWS_WITH(InferOp("Cast", {F32({2})}, {{"to", int64_t{99}}}), Catch::Contains("not an ONNX data type"));
  CHECK_THROWS_WITH(InferOp("Cast", {F32({2})}), Catch::Contains("missing required attribute 'to'"));
}
