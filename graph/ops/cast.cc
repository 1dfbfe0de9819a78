// Cast (ONNX opset 13): `to` is an ONNX TensorProto data type code, as in ONNX files, so the
// importer passes the attribute through unchanged. Axon's dtypes cover six of those codes.
#include <string>

#include "graph/autodiff.h"
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

// ONNX TensorProto.DataType codes and the Axon dtype each maps to; kUndefined for the codes ONNX
// defines but Axon has no dtype for (float16, double, string, ...).
DType FromOnnxCode(int64_t code, bool& known) {
  known = code >= 1 && code <= 16;  // FLOAT .. BFLOAT16 in opset 13
  switch (code) {
    case 1: return DType::kF32;
    case 2: return DType::kU8;
    case 3: return DType::kI8;
    case 6: return DType::kI32;
    case 7: return DType::kI64;
    case 9: return DType::kBool;
    default: return DType::kUndefined;
  }
}

void InferCast(InferContext& ctx) {
  const int64_t code = ctx.attrs.Int("to");
  bool known = false;
  const DType to = FromOnnxCode(code, known);
  ctx.Require(known, "attribute 'to' is " + std::to_string(code) + ", not an ONNX data type");
  if (to == DType::kUndefined)
    throw Error(ErrorCode::kUnsupported, ctx.node.Describe() + ": Cast to ONNX data type " + std::to_string(code) +
                                             " is not supported (Axon has f32=1, u8=2, i8=3, i32=6, i64=7, bool=9)" +
                                             ctx.DescribeInputs());
  ctx.SetOutput(0, to, ctx.InShape(0));
}

}  // namespace

// Differentiated only f32 to f32 (a copy): an integer output carries no gradient, and an integer
// input needs none.
AXON_OP(Cast).Inputs({"input"}).Outputs({"output"}).Attr("to", AttrType::kInt).Infer(InferCast).Since(2)
    .Grad([](GradContext& g) { g.SetInputGrad(0, g.OutGrad(0)); });

}  // namespace axon::graph
