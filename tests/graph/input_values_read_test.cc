// Which inputs' VALUES each op's shape inference reads (through InferContext::InputValue). A
// planner must know them: it keys plans by those values, and to plan a PyTorch-style shape
// subgraph (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) it must compute the intermediate
// tensors these inputs name before the consumer's shape can be inferred. This table is the list.
#include <catch2/catch.hpp>

#include <set>

#include "graph/op_schema.h"

using namespace axon;
using namespace axon::graph;

namespace {

struct Reads {
  const char* op;
  std::vector<ValueInfo> inputs;
  std::vector<Tensor> values;  // one per input (undefined: an omitted input)
  std::set<std::size_t> read;  // the inputs whose values inference asks for
  std::size_t outputs = 1;
  std::map<std::string, Attribute> attrs = {};
};

Tensor I64s(std::vector<int64_t> v, std::vector<int64_t> shape) { return Tensor::FromVector(v, std::move(shape)); }
ValueInfo Info(const Tensor& t) { return ValueInfo{"", t.dtype(), Shape::FromValues(t.shape())}; }

}  // namespace

TEST_CASE("shape inference reads exactly these inputs' values", "[graph][infer]") {
  const Tensor x = Tensor::Zeros(DType::kF32, {1, 2, 1});
  const Tensor b = Tensor::Zeros(DType::kBool, {1, 2, 1});
  const Tensor v2 = I64s({2, 1}, {2});
  const Tensor scalar = I64s({1}, {});
  std::vector<Reads> table = {
      {"Reshape", {}, {x, I64s({2, 1}, {2})}, {1}},
      {"Squeeze", {}, {x, I64s({0}, {1})}, {1}},
      {"Unsqueeze", {}, {x, I64s({0}, {1})}, {1}},
      {"Concat", {}, {x, x}, {}, 1, {{"axis", int64_t{1}}}},
      {"Split", {}, {x, I64s({1, 1}, {2})}, {1}, 2, {{"axis", int64_t{1}}}},
      {"Slice", {}, {x, I64s({0}, {1}), I64s({1}, {1}), I64s({1}, {1}), I64s({1}, {1})}, {1, 2, 3, 4}},
      {"Gather", {}, {x, I64s({0}, {1})}, {}},
      {"Shape", {}, {x}, {}},
      {"ConstantOfShape", {}, {v2}, {0}},
      {"Expand", {}, {x, I64s({2, 1, 1}, {3})}, {1}},
      {"Range", {}, {scalar, I64s({5}, {}), scalar}, {0, 1, 2}},
      {"Cast", {}, {x}, {}, 1, {{"to", int64_t{7}}}},
      {"Equal", {}, {x, x}, {}},
      {"Less", {}, {x, x}, {}},
      {"Greater", {}, {x, x}, {}},
      {"Not", {}, {b}, {}},
      {"Where", {}, {b, x, x}, {}},
  };
  for (Reads& r : table) {
    INFO(r.op);
    Node node{"n", r.op, {}, {}, r.attrs};
    for (std::size_t i = 0; i < r.values.size(); ++i) node.inputs.push_back("in" + std::to_string(i));
    for (std::size_t o = 0; o < r.outputs; ++o) node.outputs.push_back("out" + std::to_string(o));
    const OpSchema& schema = SchemaFor(node);
    InferContext ctx(node, schema);
    for (const Tensor& t : r.values) {
      ctx.inputs.push_back(Info(t));
      ctx.input_values.push_back(&t);
    }
    schema.RunInference(ctx);
    std::set<std::size_t> read;
    for (std::size_t i = 0; i < ctx.values_read.size(); ++i)
      if (ctx.values_read[i]) read.insert(i);
    CHECK(read == r.read);
    for (const ValueInfo& out : ctx.outputs) CHECK(out.shape.fully_known());  // values in, exact shapes out
  }
}
