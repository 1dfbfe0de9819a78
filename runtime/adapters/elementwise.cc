// Adapters of the broadcasting binary ops: the broadcast layout is worked out once per plan, and
// the kernel for the output's dtype chosen (the schemas allow i32, i64, i8 and u8 for Add, Sub, Mul,
// Div).
#include "runtime/adapter.h"
#include "runtime/kernels/elementwise.h"

namespace axon::runtime {
namespace {

AdapterFn Binary(kernels::BinaryOp op) {
  return [op](const BindContext& b) {
    const kernels::BinaryLayout layout = kernels::MakeBinaryLayout(b.InShape(0), b.InShape(1), b.OutShape(0));
    BoundStep step;
    if (b.OutType(0) == DType::kU8) {
      step.run = [op, layout](const StepArgs& a) {
        kernels::BinaryU8(op, layout, a.In<uint8_t>(0), a.In<uint8_t>(1), a.Out<uint8_t>(0));
      };
    } else if (b.OutType(0) == DType::kI8) {
      step.run = [op, layout](const StepArgs& a) {
        kernels::BinaryI8(op, layout, a.In<int8_t>(0), a.In<int8_t>(1), a.Out<int8_t>(0));
      };
    } else if (b.OutType(0) == DType::kI64) {
      step.run = [op, layout](const StepArgs& a) {
        kernels::BinaryI64(op, layout, a.In<int64_t>(0), a.In<int64_t>(1), a.Out<int64_t>(0));
      };
    } else if (b.OutType(0) == DType::kI32) {
      step.run = [op, layout](const StepArgs& a) {
        kernels::BinaryI32(op, layout, a.In<int32_t>(0), a.In<int32_t>(1), a.Out<int32_t>(0));
      };
    } else {
      step.run = [op, layout](const StepArgs& a) {
        kernels::BinaryF32(op, layout, a.In<float>(0), a.In<float>(1), a.Out<float>(0));
      };
    }
    // The kernel may overwrite an input that already has the output's shape.
    if (b.InShape(0) == b.OutShape(0)) {
      step.in_place_input = 0;
    } else if (b.InShape(1) == b.OutShape(0)) {
      step.in_place_input = 1;
    }
    return step;
  };
}

}  // namespace

AXON_ADAPTER(Add, Binary(kernels::BinaryOp::kAdd));
AXON_ADAPTER(Sub, Binary(kernels::BinaryOp::kSub));
AXON_ADAPTER(Mul, Binary(kernels::BinaryOp::kMul));
AXON_ADAPTER(Div, Binary(kernels::BinaryOp::kDiv));
AXON_ADAPTER(Pow, Binary(kernels::BinaryOp::kPow));
AXON_ADAPTER(PRelu, Binary(kernels::BinaryOp::kPRelu));

}  // namespace axon::runtime
