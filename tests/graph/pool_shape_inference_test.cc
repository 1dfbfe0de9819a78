// Shape inference of MaxPool, AveragePool and GlobalAveragePool.
#include <catch2/catch.hpp>

#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::InferOp;

namespace {

using Ints = std::vector<int64_t>;
using Attrs = std::map<std::string, Attribute>;

Shape Pool(const char* op, std::vector<Dim> x, Attrs attrs) { return InferOp(op, {F32(std::move(x))}, std::move(attrs))[0].shape; }

}  // namespace

TEST_CASE("MaxPool output sizes: strides, pads, dilations, ceil_mode, auto_pad", "[graph][infer][infer:MaxPool]") {
  CHECK(Pool("MaxPool", {1, 3, 32, 32}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}) == Shape({1, 3, 16, 16}));
  // ResNet's stem: 3x3, stride 2, pad 1.
  CHECK(Pool("MaxPool", {1, 64, 112, 112}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}) ==
        Shape({1, 64, 56, 56}));
  const Attrs k2s2 = {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}};
  Attrs ceil = k2s2;
  ceil["ceil_mode"] = int64_t{1};
  CHECK(Pool("MaxPool", {1, 1, 5, 5}, k2s2) == Shape({1, 1, 2, 2}));
  CHECK(Pool("MaxPool", {1, 1, 5, 5}, ceil) == Shape({1, 1, 3, 3}));
  // ceil_mode never starts a window in the end padding or past it (ONNX's
  // maxpool_2d_ceil_output_size_reduce_by_one: kernel 1, stride 2 on 2x2 gives 1x1).
  CHECK(Pool("MaxPool", {1, 1, 2, 2}, {{"kernel_shape", Ints{1, 1}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}}) ==
        Shape({1, 1, 1, 1}));
  CHECK(Pool("MaxPool", {1, 1, 6, 6},
             {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"ceil_mode", int64_t{1}}}) ==
        Shape({1, 1, 4, 4}));
  // ceil_mode lets the one window overhang the padded input by less than a stride, clipped (ONNX:
  // ceil((2 - 3) / s) + 1 = 1 for s >= 2; PyTorch agrees); by a stride or more it stays refused.
  Attrs k3ceil = {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{3, 3}}, {"ceil_mode", int64_t{1}}};
  CHECK(Pool("MaxPool", {1, 1, 2, 3}, k3ceil) == Shape({1, 1, 1, 1}));
  k3ceil["strides"] = Ints{2, 2};
  CHECK(Pool("MaxPool", {1, 1, 2, 4}, k3ceil) == Shape({1, 1, 1, 2}));
  CHECK(Pool("AveragePool", {1, 1, 2, 4}, k3ceil) == Shape({1, 1, 1, 2}));
  CHECK(Pool("MaxPool", {1, 1, 1, 4}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 0, 0}}, {"ceil_mode", int64_t{1}}}) ==
        Shape({1, 1, 1, 2}));
  k3ceil["strides"] = Ints{1, 1};
  CHECK_THROWS_WITH(Pool("MaxPool", {1, 1, 2, 4}, k3ceil), Catch::Contains("larger than the padded input (2)"));
  CHECK_THROWS_WITH(Pool("MaxPool", {1, 1, 2, 4}, {{"kernel_shape", Ints{4, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}}),
                    Catch::Contains("larger than the padded input (2)"));
  CHECK_THROWS_WITH(Pool("MaxPool", {1, 1, 2, 4}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}}),
                    Catch::Contains("larger than the padded input (2)"));
  CHECK(Pool("MaxPool", {1, 1, 10, 10}, {{"kernel_shape", Ints{2, 2}}, {"dilations", Ints{3, 3}}}) == Shape({1, 1, 7, 7}));
  CHECK(Pool("MaxPool", {2, 3, 9}, {{"kernel_shape", Ints{3}}, {"strides", Ints{2}}}) == Shape({2, 3, 4}));
  CHECK(Pool("MaxPool", {1, 2, 4, 5, 6}, {{"kernel_shape", Ints{2, 2, 2}}}) == Shape({1, 2, 3, 4, 5}));
  CHECK(Pool("MaxPool", {1, 1, 7, 8}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 3}}, {"auto_pad", std::string("SAME_UPPER")}}) ==
        Shape({1, 1, 4, 3}));
  CHECK(Pool("MaxPool", {Dim::Symbol("n"), 3, Dim(), 8}, {{"kernel_shape", Ints{2, 2}}}) == Shape({Dim::Symbol("n"), 3, Dim(), 7}));
}

TEST_CASE("MaxPool refuses the Indices output and bad attributes clearly", "[graph][infer][infer:MaxPool]") {
  Node node{"mp", "MaxPool", {"x"}, {"y", "indices"}, {{"kernel_shape", Ints{2, 2}}}};
  const OpSchema& schema = SchemaFor(node);
  InferContext ctx(node, schema);
  ctx.inputs = {F32({1, 1, 4, 4})};
  ctx.input_values = {nullptr};
  try {
    schema.RunInference(ctx);
    FAIL("Indices accepted");
  } catch (const Error& e) {  // valid ONNX, not implemented: kUnsupported, as importers and the CLI report it
    CHECK(e.code() == ErrorCode::kUnsupported);
    CHECK_THAT(e.what(), Catch::Contains("Indices output") && Catch::Contains("node 'mp' (MaxPool)"));
  }
  CHECK_THROWS_WITH(Pool("MaxPool", {1, 1, 4, 4}, {}), Catch::Contains("kernel_shape is required"));
  CHECK_THROWS_WITH(Pool("MaxPool", {1, 1, 4, 4}, {{"kernel_shape", Ints{2}}}), Catch::Contains("for 2 spatial dims"));
  CHECK_THROWS_WITH(Pool("MaxPool", {1, 1, 4, 4}, {{"kernel_shape", Ints{2, 2}}, {"storage_order", int64_t{2}}}),
                    Catch::Contains("storage_order must be 0 or 1"));
  CHECK_THROWS_WITH(Pool("MaxPool", {1, 1, 4, 4}, {{"kernel_shape", Ints{2, 2}}, {"ceil_mode", int64_t{3}}}),
                    Catch::Contains("ceil_mode must be 0 or 1"));
  CHECK_THROWS_WITH(Pool("MaxPool", {1, 1, 2, 2}, {{"kernel_shape", Ints{3, 3}}}), Catch::Contains("larger than the padded input"));
  CHECK_THROWS_WITH(Pool("MaxPool", {4, 4}, {{"kernel_shape", Ints{2}}}), Catch::Contains("rank >= 3"));
  CHECK_THROWS_WITH(InferOp("MaxPool", {ValueInfo{"", DType::kI64, Shape({1, 1, 4, 4})}}, {{"kernel_shape", Ints{2, 2}}}),
                    Catch::Contains("must be f32"));
  // 8-bit integers too (ONNX opset 12), keeping their dtype; not for AveragePool.
  CHECK(InferOp("MaxPool", {ValueInfo{"", DType::kU8, Shape({1, 1, 4, 4})}}, {{"kernel_shape", Ints{2, 2}}})[0].dtype == DType::kU8);
  CHECK(InferOp("MaxPool", {ValueInfo{"", DType::kI8, Shape({1, 1, 4, 4})}}, {{"kernel_shape", Ints{2, 2}}})[0].dtype == DType::kI8);
  CHECK_THROWS_WITH(InferOp("AveragePool", {ValueInfo{"", DType::kU8, Shape({1, 1, 4, 4})}}, {{"kernel_shape", Ints{2, 2}}}),
                    Catch::Contains("must be f32"));
}

TEST_CASE("AveragePool follows the same window rule", "[graph][infer][infer:AveragePool]") {
  CHECK(Pool("AveragePool", {1, 3, 7, 7}, {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}, {"count_include_pad", int64_t{1}}}) ==
        Shape({1, 3, 7, 7}));
  CHECK(Pool("AveragePool", {1, 1, 5, 5}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}}) ==
        Shape({1, 1, 3, 3}));
  CHECK(Pool("AveragePool", {1, 1, 7, 8}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 3}}, {"auto_pad", std::string("VALID")}}) ==
        Shape({1, 1, 3, 2}));
  CHECK_THROWS_WITH(Pool("AveragePool", {1, 1, 4, 4}, {{"kernel_shape", Ints{2, 2}}, {"count_include_pad", int64_t{2}}}),
                    Catch::Contains("count_include_pad must be 0 or 1"));
  // Opset 17's AveragePool has no dilations (opset 19 added them).
  CHECK_THROWS_WITH(Pool("AveragePool", {1, 1, 4, 4}, {{"kernel_shape", Ints{2, 2}}, {"dilations", Ints{1, 1}}}),
                    Catch::Contains("unknown attribute 'dilations'"));
}

TEST_CASE("GlobalAveragePool keeps N and C and makes every spatial dim 1", "[graph][infer][infer:GlobalAveragePool]") {
  CHECK(InferOp("GlobalAveragePool", {F32({2, 512, 7, 7})})[0].shape == Shape({2, 512, 1, 1}));
  CHECK(InferOp("GlobalAveragePool", {F32({Dim::Symbol("n"), 3, 5})})[0].shape == Shape({Dim::Symbol("n"), 3, 1}));
  CHECK(InferOp("GlobalAveragePool", {F32({2, 3, 4, 5, 6})})[0].shape == Shape({2, 3, 1, 1, 1}));
  CHECK(InferOp("GlobalAveragePool", {F32({2, 3})})[0].shape == Shape({2, 3}));
  CHECK_THROWS_WITH(InferOp("GlobalAveragePool", {F32({3})}), Catch::Contains("rank >= 2"));
}
