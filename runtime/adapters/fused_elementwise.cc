// Adapter of FusedElementwise: the program's op names become kernel op codes once per plan, and
// each input's period (its element count: the schema checked it is the output's shape or a
// trailing part of it) tells the kernel how it repeats.
#include <cstring>

#include "graph/ops/fused_elementwise.h"
#include "runtime/adapter.h"
#include "runtime/kernels/fused_elementwise.h"

namespace axon::runtime {
namespace {

using kernels::FusedOp;

FusedOp OpCode(const std::string& name) {
  static const std::pair<const char*, FusedOp> table[] = {
      {"Add", FusedOp::kAdd},         {"Sub", FusedOp::kSub},         {"Mul", FusedOp::kMul},
      {"Div", FusedOp::kDiv},         {"Relu", FusedOp::kRelu},       {"Sigmoid", FusedOp::kSigmoid},
      {"Tanh", FusedOp::kTanh},       {"Exp", FusedOp::kExp},         {"Log", FusedOp::kLog},
      {"Sqrt", FusedOp::kSqrt},       {"Neg", FusedOp::kNeg},         {"Abs", FusedOp::kAbs},
      {"Reciprocal", FusedOp::kReciprocal}, {"Erf", FusedOp::kErf}, {"Softplus", FusedOp::kSoftplus},
      {"HardSwish", FusedOp::kHardSwish}, {"LeakyRelu", FusedOp::kLeakyRelu}, {"Elu", FusedOp::kElu},
      {"Selu", FusedOp::kSelu},       {"HardSigmoid", FusedOp::kHardSigmoid},
  };
  for (const auto& [n, op] : table)
    if (name == n) return op;
  throw Error(ErrorCode::kInternal, "FusedElementwise: no kernel op for '" + name + "'");
}

int64_t Elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

BoundStep BindFusedElementwise(const BindContext& b) {
  const std::vector<std::string>& ops = b.attrs().Strings("ops");
  const std::vector<int64_t>& operands = b.attrs().Ints("operands");
  const std::vector<float>& params = b.attrs().Floats("params");
  kernels::FusedProgram program;
  program.num_inputs = static_cast<int32_t>(b.NumInputs());
  for (std::size_t i = 0; i < ops.size(); ++i)
    program.code.push_back({OpCode(ops[i]), static_cast<int32_t>(operands[3 * i]), static_cast<int32_t>(operands[3 * i + 1]),
                            static_cast<int32_t>(operands[3 * i + 2]), params[2 * i], params[2 * i + 1]});
  kernels::PrepareFusedProgram(program);
  const int64_t n = b.OutElements(0);
  std::vector<int64_t> periods;
  int in_place = -1;
  for (std::size_t i = 0; i < b.NumInputs(); ++i) {
    periods.push_back(Elements(b.InShape(i)));
    if (in_place < 0 && b.InShape(i) == b.OutShape(0)) in_place = static_cast<int>(i);
  }
  return BoundStep{.run =
                       [program, periods, n](const StepArgs& a) {
                         kernels::FusedOperand inputs[kernels::kMaxFusedInputs];
                         for (std::size_t i = 0; i < periods.size(); ++i) inputs[i] = {a.In<float>(i), periods[i]};
                         kernels::FusedElementwiseF32(program, inputs, a.Out<float>(0), n);
                       },
                   // Each sub-block reads every input before the last instruction writes it.
                   .in_place_input = in_place};
}

}  // namespace

AXON_ADAPTER(FusedElementwise, BindFusedElementwise);

}  // namespace axon::runtime
