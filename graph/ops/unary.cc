// Elementwise math ops (ONNX op-set 17 semantics) beyond the activations of activation.cc: f32 in,
// the input's shape and dtype out. Input, output and attribute names and defaults are ONNX's.
#include "graph/ops/infer_helpers.h"

namespace axon::graph {
namespace {

// A function evaluated through exp, log or a polynomial costs several FLOPs an element; counted
// as 4, as Sigmoid and Tanh are.
double FourFlopsPerOutput(const FlopContext& f) { return 4 * OneFlopPerOutput(f); }

// Clip (op-set 13 form): min and max are optional inputs holding one value each, of the input's
// dtype (f32, i32, i64, i8 or u8). ONNX asks for scalars (shape []); shape [1], which exporters also
// write, is accepted too.
void InferClip(InferContext& ctx) {
  const DType t = ctx.InType(0);
  if (t != DType::kF32 && t != DType::kI32 && t != DType::kI64 && t != DType::kI8 && t != DType::kU8)
    ctx.Fail("input input must be f32, i32, i64, i8 or u8, got " + std::string(DTypeName(t)));
  for (std::size_t i : {1, 2}) {
    if (!ctx.HasInput(i)) continue;
    const std::string& name = ctx.schema.input_names()[i];
    ctx.Require(ctx.InType(i) == t, "input " + name + " must have the input's dtype " + std::string(DTypeName(t)) +
                                        ", got " + std::string(DTypeName(ctx.InType(i))));
    const Shape& s = ctx.InShape(i);
    if (!s.has_rank()) continue;
    const bool one_value = s.rank() == 0 || (s.rank() == 1 && (!s[0].known() || s[0].value() == 1));
    ctx.Require(one_value, "input " + name + " must be a scalar (shape [] or [1]), got shape " + s.ToString());
  }
  ctx.SetOutput(0, t, ctx.InShape(0));
}

}  // namespace

AXON_OP(Exp).Since(2).Inputs({"input"}).Outputs({"output"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput);
AXON_OP(Log).Since(2).Inputs({"input"}).Outputs({"output"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput);
AXON_OP(Sqrt).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput);
AXON_OP(Neg).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput);
AXON_OP(Abs).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput);
AXON_OP(Erf).Since(2).Inputs({"input"}).Outputs({"output"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput);
AXON_OP(Reciprocal).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(OneFlopPerOutput);
AXON_OP(Softplus).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput);
AXON_OP(HardSwish).Since(2).Inputs({"X"}).Outputs({"Y"}).Infer(SameShapeAndType).Flops(FourFlopsPerOutput);
AXON_OP(LeakyRelu)
    .Since(2)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 0.01f)
    .Infer(SameShapeAndType)
    .Flops(OneFlopPerOutput);
AXON_OP(Elu)
    .Since(2)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 1.0f)
    .Infer(SameShapeAndType)
    .Flops(FourFlopsPerOutput);
// ONNX's defaults, 1.67326319217681884765625 and 1.05070102214813232421875, are exactly floats.
AXON_OP(Selu)
    .Since(2)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 1.67326319217681884765625f)
    .Attr("gamma", AttrType::kFloat, 1.05070102214813232421875f)
    .Infer(SameShapeAndType)
    .Flops(FourFlopsPerOutput);
AXON_OP(HardSigmoid)
    .Since(2)
    .Inputs({"X"})
    .Outputs({"Y"})
    .Attr("alpha", AttrType::kFloat, 0.2f)
    .Attr("beta", AttrType::kFloat, 0.5f)
    .Infer(SameShapeAndType)
    .Flops(OneFlopPerOutput);
AXON_OP(Clip).Since(2).Inputs({"input", "min", "max"}, 1).Outputs({"output"}).Infer(InferClip).Flops(OneFlopPerOutput);

}  // namespace axon::graph
