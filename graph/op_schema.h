// An op's whole contract in one place: inputs, outputs, attributes with defaults, shape/dtype
// inference (which also checks attribute ranges), a FLOP estimate, its gradient rule and the
// op-set version it appeared in. Ops register themselves with AXON_OP in graph/ops/; nothing else
// in the code base switches over op types.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "graph/ir.h"

namespace axon::graph {

class OpSchema;
// Emits the backward nodes of one op (reverse mode). Defined by autodiff, which the training work
// adds; the schema only holds the rule, so an op's gradient lives next to its shape rule.
class GradContext;

// Reads a node's attributes, falling back to the schema's defaults; used by shape inference and
// by kernels, so both see the same values.
class AttrReader {
 public:
  AttrReader(const Node& node, const OpSchema& schema) : node_(node), schema_(schema) {}
  int64_t Int(const std::string& name) const;
  float Float(const std::string& name) const;
  const std::string& String(const std::string& name) const;
  const std::vector<int64_t>& Ints(const std::string& name) const;
  const std::vector<float>& Floats(const std::string& name) const;
  const std::vector<std::string>& Strings(const std::string& name) const;
  const Tensor& TensorValue(const std::string& name) const;  // a kTensor attribute
  bool Has(const std::string& name) const;  // set on the node or defaulted

 private:
  const Attribute& Get(const std::string& name, AttrType type) const;
  const Node& node_;
  const OpSchema& schema_;
};

struct InferContext {
  InferContext(const Node& node, const OpSchema& schema) : node(node), schema(schema), attrs(node, schema) {}

  const Node& node;
  const OpSchema& schema;
  AttrReader attrs;
  std::vector<ValueInfo> inputs;             // one per node input; dtype kUndefined when omitted
  std::vector<const Tensor*> input_values;   // the input's data when known (constants, run time)
  // Which inputs' data the infer function asked for through InputValue: a planner makes such
  // data part of a plan's key, since the output shapes depend on it.
  mutable std::vector<bool> values_read;
  std::vector<ValueInfo> outputs;            // filled by the infer function

  bool HasInput(std::size_t i) const { return i < inputs.size() && !node.inputs[i].empty(); }
  const Shape& InShape(std::size_t i) const { return inputs[i].shape; }
  DType InType(std::size_t i) const { return inputs[i].dtype; }
  // Input i's data when known (else null); infer functions read data only through this.
  const Tensor* InputValue(std::size_t i) const;
  void SetOutput(std::size_t i, DType dtype, Shape shape);
  // Throws axon::Error naming the node, op and input shapes.
  [[noreturn]] void Fail(const std::string& message) const;
  // " (inputs: x: f32[2,3], w: f32[3,4])", as Fail appends it; "" for a node without inputs.
  std::string DescribeInputs() const;
  void Require(bool condition, const std::string& message) const { if (!condition) Fail(message); }
  // Checks input i is f32 (the dtype every compute op works in today).
  void RequireFloat(std::size_t i) const;
  // Normalizes a possibly negative axis against rank; fails when out of range.
  int64_t Axis(int64_t axis, int64_t rank, const char* what = "axis") const;
  // Product of some dims as a Dim: unknown when one of them is (and none is 0). Fails when they
  // multiply past kMaxElementCount: no tensor could have that shape, and the product would
  // overflow.
  Dim Product(std::span<const Dim> dims) const;
};

// FLOP estimate from input and output shapes (all known); 0 for data movement.
struct FlopContext {
  const std::vector<std::vector<int64_t>>& inputs;
  const std::vector<std::vector<int64_t>>& outputs;
  const AttrReader& attrs;
};

using InferFn = std::function<void(InferContext&)>;
using FlopFn = std::function<double(const FlopContext&)>;
using GradFn = std::function<void(GradContext&)>;

class OpSchema {
 public:
  explicit OpSchema(std::string name) : name_(std::move(name)) {}

  // Inputs past min_count are optional (may be omitted or given as "").
  OpSchema& Inputs(std::vector<std::string> names, int min_count = -1);
  // Outputs past min_count are optional: a node may leave off trailing ones (ONNX's optional
  // outputs, such as LayerNormalization's Mean and InvStdDev). A value name is never empty
  // (the verifier refuses that), so an output is omitted only by ending the list before it.
  OpSchema& Outputs(std::vector<std::string> names, int min_count = -1);
  // The last input (output) may be repeated any number of times, as in ONNX's variadic
  // parameters: Concat's inputs, Split's outputs. With variadic inputs every input is required
  // (never ""); min_count counts them all, any fixed ones before the variadic one included.
  OpSchema& VariadicInputs(int min_count = 1);
  OpSchema& VariadicOutputs(int min_count = 1);
  OpSchema& Attr(std::string name, AttrType type, std::optional<Attribute> default_value = std::nullopt);
  OpSchema& Infer(InferFn fn) { infer_ = std::move(fn); return *this; }
  OpSchema& Flops(FlopFn fn) { flops_ = std::move(fn); return *this; }
  OpSchema& Grad(GradFn fn) { grad_ = std::move(fn); return *this; }
  // The op-set version the op appeared in (or last changed its contract); ops of the first op set
  // need not say so. Throws axon::Error unless 1 <= version <= kOpsetVersion.
  OpSchema& Since(int64_t version);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& input_names() const { return inputs_; }
  const std::vector<std::string>& output_names() const { return outputs_; }
  std::size_t min_inputs() const { return min_inputs_; }
  std::size_t min_outputs() const { return min_outputs_; }
  bool variadic_inputs() const { return variadic_inputs_; }
  bool variadic_outputs() const { return variadic_outputs_; }
  // Input i's name; a variadic input's repetitions share its name.
  const std::string& InputName(std::size_t i) const { return inputs_.at(std::min(i, inputs_.size() - 1)); }
  struct AttrSpec { AttrType type; std::optional<Attribute> default_value; };
  const std::map<std::string, AttrSpec>& attrs() const { return attrs_; }
  int64_t since_version() const { return since_version_; }
  // Ops without a rule cannot be differentiated through; autodiff says so naming the node.
  bool has_grad() const { return static_cast<bool>(grad_); }
  const GradFn& grad() const { return grad_; }

  // Checks arity and attribute names/types, then infers output dtypes and shapes.
  void RunInference(InferContext& ctx) const;
  double EstimateFlops(const FlopContext& ctx) const { return flops_ ? flops_(ctx) : 0.0; }

 private:
  std::string name_;
  std::vector<std::string> inputs_, outputs_;
  std::size_t min_inputs_ = 0;
  bool variadic_inputs_ = false, variadic_outputs_ = false;
  std::size_t min_outputs_ = 0;  // outputs a node must have (the rest optional, or variadic repeats)
  std::map<std::string, AttrSpec> attrs_;
  InferFn infer_;
  FlopFn flops_;
  GradFn grad_;
  int64_t since_version_ = 1;
};

OpSchema& RegisterOpSchema(std::string_view name);
const OpSchema* FindOpSchema(std::string_view name);
// Throws axon::Error naming the node when its op is unknown.
const OpSchema& SchemaFor(const Node& node);
std::vector<std::string> RegisteredOps();

#define AXON_OP_CONCAT_(a, b) a##b
#define AXON_OP_CONCAT(a, b) AXON_OP_CONCAT_(a, b)
#define AXON_OP(op_name)                                                   \
  [[maybe_unused]] static ::axon::graph::OpSchema& AXON_OP_CONCAT(axon_op_schema_, __COUNTER__) = \
      ::axon::graph::RegisterOpSchema(#op_name)

}  // namespace axon::graph
