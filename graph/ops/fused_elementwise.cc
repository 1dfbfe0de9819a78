#include "graph/ops/fused_elementwise.h"

#include "graph/ops/infer_helpers.h"

namespace axon::graph {

const std::vector<FusableOp>& FusableOps() {
  static const std::vector<FusableOp> ops{
      {"Add", 2, {}},      {"Sub", 2, {}},       {"Mul", 2, {}},         {"Div", 2, {}},
      {"Relu", 1, {}},     {"Sigmoid", 1, {}},   {"Tanh", 1, {}},        {"Exp", 1, {}},
      {"Log", 1, {}},      {"Sqrt", 1, {}},      {"Neg", 1, {}},         {"Abs", 1, {}},
      {"Reciprocal", 1, {}}, {"Erf", 1, {}},     {"Softplus", 1, {}},    {"HardSwish", 1, {}},
      {"LeakyRelu", 1, {"alpha"}}, {"Elu", 1, {"alpha"}}, {"Selu", 1, {"alpha", "gamma"}},
      {"HardSigmoid", 1, {"alpha", "beta"}},
  };
  return ops;
}

const FusableOp* FindFusableOp(std::string_view name) {
  for (const FusableOp& op : FusableOps())
    if (op.name == name) return &op;
  return nullptr;
}

bool RepeatsOver(const Shape& in, const Shape& out) {
  int64_t first = 0;
  while (first < in.rank() && in[first].known() && in[first].value() == 1) ++first;
  const int64_t kept = in.rank() - first;
  if (kept > out.rank()) return false;
  for (int64_t i = 0; i < kept; ++i)
    if (!(in[first + i] == out[out.rank() - kept + i])) return false;
  return true;
}

namespace {

void InferFusedElementwise(InferContext& ctx) {
  const std::size_t inputs = ctx.inputs.size();
  for (std::size_t i = 0; i < inputs; ++i) ctx.RequireFloat(i);
  ctx.Require(inputs <= static_cast<std::size_t>(kMaxFusedInputs),
              std::to_string(inputs) + " inputs; at most " + std::to_string(kMaxFusedInputs) + " are supported");
  const std::vector<std::string>& ops = ctx.attrs.Strings("ops");
  const std::vector<int64_t>& operands = ctx.attrs.Ints("operands");
  const std::vector<float>& params = ctx.attrs.Floats("params");
  ctx.Require(!ops.empty(), "the program has no instructions");
  ctx.Require(operands.size() == 3 * ops.size() && params.size() == 2 * ops.size(),
              "a program of " + std::to_string(ops.size()) + " instructions needs " + std::to_string(3 * ops.size()) +
                  " operands and " + std::to_string(2 * ops.size()) + " params, got " + std::to_string(operands.size()) +
                  " and " + std::to_string(params.size()));
  const auto e = static_cast<int64_t>(inputs);
  std::vector<bool> written(static_cast<std::size_t>(e + kMaxFusedTemps), false);
  for (int64_t r = 0; r < e; ++r) written[static_cast<std::size_t>(r)] = true;
  auto readable = [&](int64_t r) { return r >= 0 && r < e + kMaxFusedTemps && written[static_cast<std::size_t>(r)]; };
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const FusableOp* op = FindFusableOp(ops[i]);
    const std::string where = "instruction " + std::to_string(i) + " (" + ops[i] + ")";
    ctx.Require(op != nullptr, where + ": not an op FusedElementwise runs");
    const int64_t dst = operands[3 * i], a = operands[3 * i + 1], b = operands[3 * i + 2];
    ctx.Require(dst >= e && dst < e + kMaxFusedTemps,
                where + ": destination " + std::to_string(dst) + " is not a temporary register (" + std::to_string(e) +
                    ".." + std::to_string(e + kMaxFusedTemps - 1) + ")");
    ctx.Require(readable(a), where + ": register " + std::to_string(a) + " is read before it is written");
    if (op->arity == 2)
      ctx.Require(readable(b), where + ": register " + std::to_string(b) + " is read before it is written");
    else
      ctx.Require(b == -1, where + ": a unary op's second source must be -1");
    written[static_cast<std::size_t>(dst)] = true;
  }
  Shape out = ctx.InShape(0);
  for (std::size_t i = 1; i < inputs; ++i) out = BroadcastShapes(ctx, out, ctx.InShape(i));
  if (out.has_rank())
    for (std::size_t i = 0; i < inputs; ++i)
      if (ctx.InShape(i).has_rank())
        ctx.Require(RepeatsOver(ctx.InShape(i), out), "input " + std::to_string(i) + " " + ctx.InShape(i).ToString() +
                                                      " is neither the output's shape " + out.ToString() +
                                                      " nor a trailing part of it");
  ctx.SetOutput(0, DType::kF32, out);
}

double FusedFlops(const FlopContext& f) {
  return static_cast<double>(f.attrs.Strings("ops").size()) * OneFlopPerOutput(f);
}

}  // namespace

AXON_OP(FusedElementwise)
    .Since(3)
    .Inputs({"inputs"})
    .VariadicInputs(1)
    .Outputs({"Y"})
    .Attr("ops", AttrType::kStrings)
    .Attr("operands", AttrType::kInts)
    .Attr("params", AttrType::kFloats)
    .Infer(InferFusedElementwise)
    .Flops(FusedFlops);

}  // namespace axon::graph
