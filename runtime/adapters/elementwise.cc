// Adapters of the broadcasting binary ops: the broadcast layout is worked out once per plan.
#include "runtime/adapter.h"
#include "runtime/kernels/elementwise.h"

namespace axon::runtime {
namespace {

AdapterFn Binary(kernels::BinaryOp op) {
  return [op](const BindContext& b) {
    BoundStep step{.run = [op, layout = kernels::MakeBinaryLayout(b.InShape(0), b.InShape(1), b.OutShape(0))](
                              const StepArgs& a) {
      kernels::BinaryF32(op, layout, a.In<float>(0), a.In<float>(1), a.Out<float>(0));
    }};
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

}  // namespace axon::runtime
