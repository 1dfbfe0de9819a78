// Shape inference of the sliding-window ops: Conv (and the window rule they share).
#include <catch2/catch.hpp>

#include "graph/ops/window.h"
#include "graph_test_util.h"

using namespace axon;
using namespace axon::graph;
using axon::graph::testing::F32;
using axon::graph::testing::InferOp;

namespace {

using Ints = std::vector<int64_t>;

Shape ConvShape(std::vector<Dim> x, std::vector<Dim> w, std::map<std::string, Attribute> attrs = {}) {
  return InferOp("Conv", {F32(std::move(x)), F32(std::move(w))}, std::move(attrs))[0].shape;
}

}  // namespace

TEST_CASE("Conv output sizes: pads, strides, dilations, 1-D to 3-D", "[graph][infer][infer:Conv]") {
  CHECK(ConvShape({1, 3, 32, 32}, {8, 3, 3, 3}) == Shape({1, 8, 30, 30}));
  CHECK(ConvShape({1, 3, 32, 32}, {8, 3, 3, 3}, {{"pads", Ints{1, 1, 1, 1}}}) == Shape({1, 8, 32, 32}));
  CHECK(ConvShape({1, 3, 224, 224}, {64, 3, 7, 7}, {{"pads", Ints{3, 3, 3, 3}}, {"strides", Ints{2, 2}}}) ==
        Shape({1, 64, 112, 112}));
  // Odd sizes round down; asymmetric pads.
  CHECK(ConvShape({2, 4, 9, 10}, {6, 4, 3, 2}, {{"pads", Ints{0, 1, 2, 0}}, {"strides", Ints{2, 3}}}) ==
        Shape({2, 6, 5, 4}));
  // Dilation 2: a 3-tap kernel spans 5.
  CHECK(ConvShape({1, 1, 11, 11}, {1, 1, 3, 3}, {{"dilations", Ints{2, 2}}}) == Shape({1, 1, 7, 7}));
  CHECK(ConvShape({3, 2, 17}, {5, 2, 4}) == Shape({3, 5, 14}));                 // 1-D
  CHECK(ConvShape({1, 2, 5, 6, 7}, {4, 2, 3, 3, 3}) == Shape({1, 4, 3, 4, 5}));  // 3-D
  // Groups: W has C / group input channels.
  CHECK(ConvShape({1, 8, 6, 6}, {4, 4, 3, 3}, {{"group", int64_t{2}}}) == Shape({1, 4, 4, 4}));
  CHECK(ConvShape({1, 8, 6, 6}, {8, 1, 3, 3}, {{"group", int64_t{8}}}) == Shape({1, 8, 4, 4}));  // depthwise
  // Symbolic batch and unknown spatial dims carry through.
  CHECK(ConvShape({Dim::Symbol("n"), 3, Dim(), 8}, {2, 3, 3, 3}) == Shape({Dim::Symbol("n"), 2, Dim(), 6}));
  // With bias, and kernel_shape agreeing with W.
  CHECK(InferOp("Conv", {F32({1, 3, 8, 8}), F32({4, 3, 3, 3}), F32({4})}, {{"kernel_shape", Ints{3, 3}}})[0].shape ==
        Shape({1, 4, 6, 6}));
}

TEST_CASE("Conv auto_pad: SAME_UPPER, SAME_LOWER, VALID", "[graph][infer][infer:Conv]") {
  auto shape = [](const char* mode, Ints strides) {
    return ConvShape({1, 1, 7, 8}, {1, 1, 3, 4}, {{"auto_pad", std::string(mode)}, {"strides", strides}});
  };
  CHECK(shape("SAME_UPPER", {1, 1}) == Shape({1, 1, 7, 8}));
  CHECK(shape("SAME_LOWER", {2, 3}) == Shape({1, 1, 4, 3}));
  CHECK(shape("VALID", {2, 3}) == Shape({1, 1, 3, 2}));
  CHECK(shape("NOTSET", {1, 1}) == Shape({1, 1, 5, 5}));
}

TEST_CASE("The window rule resolves auto_pad the ONNX way", "[graph][infer][infer:Conv]") {
  Node node{"n", "Conv", {"x", "w"}, {"y"}, {}};
  const OpSchema& schema = SchemaFor(node);
  const WindowFail fail = [](const std::string& m) { throw Error(ErrorCode::kInvalidModel, m); };
  auto resolve = [&](const char* mode, int64_t in, int64_t k, int64_t s, int64_t d = 1) {
    node.attrs = {{"auto_pad", std::string(mode)}, {"strides", Ints{s}}, {"dilations", Ints{d}}};
    const Window w = ReadWindow(AttrReader(node, schema), {k}, fail);
    return ResolveWindowDim(w, 0, in, fail);
  };
  // in 7, kernel 4, stride 2: out 4, pads needed (4-1)*2 + 4 - 7 = 3, the odd one at the end (UPPER)
  // or at the beginning (LOWER).
  WindowDim upper = resolve("SAME_UPPER", 7, 4, 2), lower = resolve("SAME_LOWER", 7, 4, 2);
  CHECK((upper.out == 4 && upper.pad_begin == 1 && upper.pad_end == 2));
  CHECK((lower.out == 4 && lower.pad_begin == 2 && lower.pad_end == 1));
  // Dilated: kernel 3, dilation 2 spans 5; stride 1: pads 4, split 2 / 2.
  WindowDim dilated = resolve("SAME_UPPER", 6, 3, 1, 2);
  CHECK((dilated.out == 6 && dilated.pad_begin == 2 && dilated.pad_end == 2));
  // Stride larger than the kernel needs no padding at all.
  WindowDim wide = resolve("SAME_LOWER", 8, 1, 3);
  CHECK((wide.out == 3 && wide.pad_begin == 0 && wide.pad_end == 0));
  WindowDim valid = resolve("VALID", 7, 4, 2);
  CHECK((valid.out == 2 && valid.pad_begin == 0 && valid.pad_end == 0));
}

TEST_CASE("Conv refuses inconsistent shapes and attributes", "[graph][infer][infer:Conv]") {
  CHECK_THROWS_WITH(ConvShape({1, 3, 8, 8}, {4, 2, 3, 3}), Catch::Contains("expects 2 input channels") &&
                                                               Catch::Contains("node 'n' (Conv)"));
  CHECK_THROWS_WITH(ConvShape({1, 6, 8, 8}, {4, 2, 3, 3}, {{"group", int64_t{4}}}), Catch::Contains("do not divide"));
  CHECK_THROWS_WITH(ConvShape({1, 6, 8, 8}, {3, 3, 3, 3}, {{"group", int64_t{2}}}), Catch::Contains("output channels 3"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 8, 8}, {4, 3, 3, 3}, {{"group", int64_t{0}}}), Catch::Contains("group must be >= 1"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 8}, {4, 3, 3, 3}), Catch::Contains("W must have rank 3"));
  CHECK_THROWS_WITH(ConvShape({3, 8}, {4, 3, 3}), Catch::Contains("rank >= 3"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 2, 2}, {4, 3, 3, 3}), Catch::Contains("larger than the padded input"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 8, 8}, {4, 3, 3, 3}, {{"strides", Ints{1}}}), Catch::Contains("strides [1] must have 2"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 8, 8}, {4, 3, 3, 3}, {{"strides", Ints{1, 0}}}), Catch::Contains(">= 1"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 8, 8}, {4, 3, 3, 3}, {{"dilations", Ints{0, 1}}}), Catch::Contains(">= 1"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 8, 8}, {4, 3, 3, 3}, {{"pads", Ints{1, 1}}}), Catch::Contains("must have 4 values"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 8, 8}, {4, 3, 3, 3}, {{"pads", Ints{1, -1, 1, 1}}}), Catch::Contains(">= 0"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 8, 8}, {4, 3, 3, 3}, {{"auto_pad", std::string("SAME")}}),
                    Catch::Contains("auto_pad 'SAME' must be"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 8, 8}, {4, 3, 3, 3}, {{"auto_pad", std::string("VALID")}, {"pads", Ints{1, 1, 1, 1}}}),
                    Catch::Contains("cannot be given together"));
  CHECK_THROWS_WITH(ConvShape({1, 3, 8, 8}, {4, 3, 3, 3}, {{"kernel_shape", Ints{3, 2}}}), Catch::Contains("disagrees with W"));
  CHECK_THROWS_WITH(InferOp("Conv", {F32({1, 3, 8, 8}), F32({4, 3, 3, 3}), F32({5})}), Catch::Contains("one value per output channel"));
  CHECK_THROWS_WITH(InferOp("Conv", {F32({1, 3, 8, 8}), ValueInfo{"", DType::kI64, Shape({4, 3, 3, 3})}}),
                    Catch::Contains("must be f32"));
  // A hostile dilation cannot overflow the arithmetic.
  CHECK_THROWS_WITH(ConvShape({1, 1, 8}, {1, 1, 3}, {{"dilations", Ints{int64_t{1} << 62}}}), Catch::Contains("too large"));
}

TEST_CASE("ConvTranspose output sizes: strides, pads, output_padding, output_shape, auto_pad",
          "[graph][infer][infer:ConvTranspose]") {
  auto shape = [](std::vector<Dim> x, std::vector<Dim> w, std::map<std::string, Attribute> attrs = {}) {
    return InferOp("ConvTranspose", {F32(std::move(x)), F32(std::move(w))}, std::move(attrs))[0].shape;
  };
  CHECK(shape({1, 2, 3, 3}, {2, 3, 3, 3}) == Shape({1, 3, 5, 5}));
  // The x2 upsampler: stride 2, pads 1, output_padding 1.
  CHECK(shape({1, 4, 5, 5}, {4, 2, 3, 3}, {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"output_padding", Ints{1, 1}}}) ==
        Shape({1, 2, 10, 10}));
  CHECK(shape({1, 4, 4, 4}, {4, 3, 3, 3}, {{"group", int64_t{2}}}) == Shape({1, 6, 6, 6}));
  CHECK(shape({1, 2, 4, 5}, {2, 2, 3, 2}, {{"dilations", Ints{2, 1}}}) == Shape({1, 2, 8, 6}));
  CHECK(shape({1, 2, 3, 3}, {2, 2, 3, 3}, {{"strides", Ints{2, 2}}, {"output_shape", Ints{6, 6}}}) == Shape({1, 2, 6, 6}));
  CHECK(shape({1, 2, 3, 3}, {2, 2, 3, 3}, {{"strides", Ints{2, 2}}, {"output_shape", Ints{1, 2, 7, 5}}}) == Shape({1, 2, 7, 5}));
  CHECK(shape({1, 2, 3, 4}, {2, 3, 3, 3}, {{"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}}) ==
        Shape({1, 3, 6, 8}));
  CHECK(shape({1, 2, 3, 3}, {2, 2, 2, 2}, {{"strides", Ints{2, 2}}, {"auto_pad", std::string("VALID")}}) == Shape({1, 2, 6, 6}));
  CHECK(shape({2, 3, 7}, {3, 2, 4}, {{"strides", Ints{3}}, {"pads", Ints{1, 2}}}) == Shape({2, 2, 19}));
  CHECK(shape({Dim::Symbol("n"), 2, Dim(), 3}, {2, 2, 3, 3}) == Shape({Dim::Symbol("n"), 2, Dim(), 5}));
}

TEST_CASE("ConvTranspose refuses inconsistent shapes and attributes", "[graph][infer][infer:ConvTranspose]") {
  auto shape = [](std::vector<Dim> x, std::vector<Dim> w, std::map<std::string, Attribute> attrs = {}) {
    return InferOp("ConvTranspose", {F32(std::move(x)), F32(std::move(w))}, std::move(attrs))[0].shape;
  };
  CHECK_THROWS_WITH(shape({1, 3, 4, 4}, {2, 2, 3, 3}), Catch::Contains("input channels first"));
  CHECK_THROWS_WITH(shape({1, 3, 4, 4}, {3, 2, 3, 3}, {{"group", int64_t{2}}}), Catch::Contains("do not divide"));
  CHECK_THROWS_WITH(shape({1, 2, 2, 2}, {2, 2, 3, 3}, {{"pads", Ints{3, 3, 3, 3}}}), Catch::Contains("crop more than"));
  CHECK_THROWS_WITH(shape({1, 2, 4, 4}, {2, 2, 3, 3}, {{"output_padding", Ints{1}}}), Catch::Contains("output_padding [1] must have 2"));
  CHECK_THROWS_WITH(shape({1, 2, 4, 4}, {2, 2, 3, 3}, {{"output_padding", Ints{-1, 0}}}), Catch::Contains(">= 0"));
  CHECK_THROWS_WITH(shape({1, 2, 4, 4}, {2, 2, 3, 3}, {{"output_shape", Ints{4, 4, 4}}}), Catch::Contains("output_shape [4,4,4]"));
  CHECK_THROWS_WITH(InferOp("ConvTranspose", {F32({1, 2, 4, 4}), F32({2, 2, 3, 3}), F32({3})}),
                    Catch::Contains("one value per output channel"));
  CHECK_THROWS_WITH(shape({1, 2, 4}, {2, 2, 3, 3}), Catch::Contains("W must have rank 3"));
}
