// Adapters of the broadcasting binary ops: the broadcast layout is worked out once per plan, and
// the kernel for the output's dtype chosen (the schemas allow i32, i64, i8 and u8 for Add, Sub, Mul,
// Div and Mod, and Pow's mixed types).
#include <type_traits>

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

template <class TX, class TE>
StepFn PowMixedRun(const kernels::BinaryLayout& layout) {
  return [layout](const StepArgs& a) { kernels::PowMixed<TX, TE>(layout, a.In<TX>(0), a.In<TE>(1), a.Out<TX>(0)); };
}

template <class TX>
StepFn PowMixedRun(DType exponent, const kernels::BinaryLayout& layout) {
  if (exponent == DType::kI32) return PowMixedRun<TX, int32_t>(layout);
  if constexpr (std::is_same_v<TX, float>) {
    return PowMixedRun<TX, int64_t>(layout);  // f32 ** f32 is not a mixed case
  } else {
    if (exponent == DType::kI64) return PowMixedRun<TX, int64_t>(layout);
    return PowMixedRun<TX, float>(layout);
  }
}

// Pow: f32 ** f32 is the broadcasting binary kernel; an integer base or exponent runs PowMixed.
// Only the base may share the output's buffer (the exponent may be another dtype).
AdapterFn Pow() {
  return [](const BindContext& b) {
    const DType x = b.InType(0), e = b.InType(1);
    if (x == DType::kF32 && e == DType::kF32) return Binary(kernels::BinaryOp::kPow)(b);
    const kernels::BinaryLayout layout = kernels::MakeBinaryLayout(b.InShape(0), b.InShape(1), b.OutShape(0));
    BoundStep step;
    if (x == DType::kI32) {
      step.run = PowMixedRun<int32_t>(e, layout);
    } else if (x == DType::kI64) {
      step.run = PowMixedRun<int64_t>(e, layout);
    } else {
      step.run = PowMixedRun<float>(e, layout);  // e is an integer type here
    }
    if (b.InShape(0) == b.OutShape(0)) step.in_place_input = 0;
    return step;
  };
}

}  // namespace

AXON_ADAPTER(Add, Binary(kernels::BinaryOp::kAdd));
AXON_ADAPTER(Sub, Binary(kernels::BinaryOp::kSub));
AXON_ADAPTER(Mul, Binary(kernels::BinaryOp::kMul));
AXON_ADAPTER(Div, Binary(kernels::BinaryOp::kDiv));
AXON_ADAPTER(Pow, Pow());
AXON_ADAPTER(Mod, [](const BindContext& b) {
  return Binary(b.attrs().Int("fmod") == 1 ? kernels::BinaryOp::kFMod : kernels::BinaryOp::kMod)(b);
});
AXON_ADAPTER(PRelu, Binary(kernels::BinaryOp::kPRelu));

}  // namespace axon::runtime
