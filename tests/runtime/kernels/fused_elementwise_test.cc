// The FusedElementwise kernel against the same ops run one node each (opt level 0), bit for bit,
// on every Highway target: random register programs that use every op and every way an operand
// reaches the kernel's accumulator machine (the previous result, both operands from memory, the
// previous result as the second operand, a value read again later and so spilled, the previous
// result twice), over sizes with partial groups, bias rows cut by sub-blocks and several threads'
// blocks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "graph/builder.h"
#include "graph/ops/fused_elementwise.h"
#include "tests/runtime/kernels/for_each_target.h"
#include "tests/runtime/passes/pass_test_util.h"

using namespace axon;
using namespace axon::testing;
using graph::Shape;

namespace {

struct Instruction {
  std::string op;
  int64_t dst, a, b;
};

// A program over registers 0..2 (x [rows, cols], a bias row [cols], a scalar) and temporaries 3..6,
// with every fusable op at least once over the programs of one seed range.
std::vector<Instruction> RandomProgram(std::mt19937& rng, std::size_t length) {
  const std::vector<graph::FusableOp>& ops = graph::FusableOps();
  std::vector<Instruction> code;
  std::vector<int64_t> readable{0, 1, 2};
  for (std::size_t k = 0; k < length; ++k) {
    const graph::FusableOp& op = ops[rng() % ops.size()];
    auto pick = [&] {
      // Mostly the previous result (a chain), else any register that holds a value.
      if (!code.empty() && rng() % 2 == 0) return code.back().dst;
      return readable[rng() % readable.size()];
    };
    const int64_t a = pick(), b = op.arity == 2 ? pick() : -1;
    const int64_t dst = 3 + static_cast<int64_t>(rng() % 4);
    code.push_back({op.name, dst, a, b});
    if (std::find(readable.begin(), readable.end(), dst) == readable.end()) readable.push_back(dst);
  }
  // The last instruction reads x, so that the output has x's shape whatever the others read.
  const char* binary[] = {"Add", "Sub", "Mul", "Div"};
  const int64_t previous = code.back().dst;
  const bool x_first = rng() % 2;
  code.push_back({binary[rng() % 4], 3, x_first ? 0 : previous, x_first ? previous : 0});
  return code;
}

// Params of an op, in FusableOp::params order.
std::vector<float> Params(const std::string& op) {
  if (op == "LeakyRelu") return {0.1f};
  if (op == "Elu") return {0.7f};
  if (op == "Selu") return {1.6732632f, 1.0507010f};
  if (op == "HardSigmoid") return {0.2f, 0.5f};
  return {};
}

std::map<std::string, graph::Attribute> Attrs(const std::string& op) {
  const std::vector<float> p = Params(op);
  const graph::FusableOp& schema = *graph::FindFusableOp(op);
  std::map<std::string, graph::Attribute> attrs;
  for (std::size_t i = 0; i < p.size(); ++i) attrs[schema.params[i]] = p[i];
  return attrs;
}

// x goes through a Neg node first, so that the planner may run the program in place of it.
std::pair<graph::Graph, graph::Graph> FusedAndUnfused(const std::vector<Instruction>& code, int64_t rows, int64_t cols) {
  graph::GraphBuilder fused("fused"), unfused("unfused");
  std::vector<std::string> f_in, u_reg(7);
  for (graph::GraphBuilder* b : {&fused, &unfused}) {
    const auto x = b->Op("Neg", {b->Input("x", DType::kF32, Shape({rows, cols}))});
    const auto bias = b->Input("bias", DType::kF32, Shape({cols}));
    const auto s = b->Input("s", DType::kF32, Shape({}));
    if (b == &fused) f_in = {x, bias, s};
    else u_reg = {x, bias, s, "", "", "", ""};
  }
  std::vector<std::string> ops;
  std::vector<int64_t> operands;
  std::vector<float> params;
  for (const Instruction& in : code) {
    ops.push_back(in.op);
    operands.insert(operands.end(), {in.dst, in.a, in.b});
    std::vector<float> p = Params(in.op);
    p.resize(2, 0.0f);
    params.insert(params.end(), p.begin(), p.end());
    std::vector<std::string> args{u_reg[static_cast<std::size_t>(in.a)]};
    if (in.b >= 0) args.push_back(u_reg[static_cast<std::size_t>(in.b)]);
    u_reg[static_cast<std::size_t>(in.dst)] = unfused.Op(in.op, args, Attrs(in.op));
  }
  fused.Output(fused.Op("FusedElementwise", f_in, {{"ops", ops}, {"operands", operands}, {"params", params}}), "y");
  unfused.Output(u_reg[static_cast<std::size_t>(code.back().dst)], "y");
  return {fused.Build(), unfused.Build()};
}

}  // namespace

TEST_CASE("FusedElementwise kernel: random programs equal the unfused ops bit for bit on every target",
          "[kernel:FusedElementwise]") {
  // 999 elements: partial last group on every target, a bias row of 333 cut by 256-float
  // sub-blocks; 3 x 6000: two threads' blocks (16384) and a tail.
  const std::vector<std::pair<int64_t, int64_t>> shapes{{3, 333}, {1, 7}, {3, 6000}};
  std::mt19937 rng(7);
  int finite = 0;  // programs with a finite output element: NaN everywhere would prove little
  for (int program = 0; program < 24; ++program) {
    const std::vector<Instruction> code = RandomProgram(rng, 3 + static_cast<std::size_t>(program % 10));
    const auto [rows, cols] = shapes[static_cast<std::size_t>(program) % shapes.size()];
    const auto [fused, unfused] = FusedAndUnfused(code, rows, cols);
    const std::vector<NamedTensor> in{{"x", RandomTensor({rows, cols}, 10 + program)},
                                      {"bias", RandomTensor({cols}, 11 + program)},
                                      {"s", RandomTensor({}, 12 + program, 0.5f, 1.5f)}};
    INFO("program " << program);
    const std::vector<Tensor> reference = RunGraph(unfused, in);
    finite += std::any_of(reference[0].data<float>(), reference[0].data<float>() + reference[0].size(),
                          [](float v) { return std::isfinite(v); });
    axon::test::ForEachTarget([&](const char*) {
      const std::vector<Tensor> want = RunGraph(unfused, in), got = RunGraph(fused, in);
      REQUIRE(got[0].shape() == want[0].shape());
      for (int64_t i = 0; i < want[0].size(); ++i) {
        const float w = want[0].data<float>()[i], g = got[0].data<float>()[i];
        if (!(std::isnan(w) && std::isnan(g)) && std::memcmp(&w, &g, sizeof(float)) != 0)
          FAIL("element " << i << ": fused " << g << ", unfused " << w);
      }
    });
  }
  CHECK(finite >= 20);
}
