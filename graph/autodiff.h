// Reverse-mode automatic differentiation as a graph-to-graph transformation: AppendGradients walks
// the nodes that lie between the trainable values and the loss in reverse topological order and
// calls each op's gradient rule (OpSchema::Grad), which emits backward nodes through GradContext.
// Everything goes through GraphEditor, so the result is an ordinary graph that the verifier,
// passes, planner and kernels handle like any other; the planner's lifetimes free each saved
// activation once the last backward node has read it.
//
//   AXON_OP(Sigmoid)...Grad([](GradContext& g) {
//     g.SetInputGrad(0, g.Op("SigmoidGrad", {g.OutGrad(0), g.Output(0)}));
//   });
//
// Rules see value names and the forward shapes (symbolic dims included); anything that depends on
// the concrete batch size is left to ops that read shapes when a plan is made (SumTo, Shape, ...),
// so one backward graph serves every batch size.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/op_schema.h"
#include "graph/rewrite.h"

namespace axon::graph {

class GradContext {
 public:
  // --- the forward node ----------------------------------------------------------------------
  const Node& node() const { return node_; }
  const AttrReader& attrs() const { return attrs_; }
  std::size_t NumInputs() const { return node_.inputs.size(); }
  std::size_t NumOutputs() const { return node_.outputs.size(); }
  // Forward value names; "" for an omitted optional input.
  const std::string& Input(std::size_t i) const { return node_.inputs.at(i); }
  const std::string& Output(std::size_t i) const { return node_.outputs.at(i); }
  // Inferred dtype and shape of a forward value (dims may be symbolic or unknown).
  const ValueInfo& InInfo(std::size_t i) const;
  const ValueInfo& OutInfo(std::size_t i) const;

  // The gradient of the loss with respect to output i, or "" when none reaches it (read as zero:
  // a rule whose every output gradient is "" is not called at all).
  const std::string& OutGrad(std::size_t i) const { return out_grads_.at(i); }
  // Whether input i needs a gradient: it is f32 and a trainable value reaches it. Rules may skip
  // the work for the others (e.g. MatMul's dX when X is the data).
  bool NeedsGrad(std::size_t i) const { return i < needs_.size() && needs_[i]; }
  // Records the gradient of input i: a value of the input's dtype and shape (a rule undoes
  // broadcasting with SumTo). Ignored when !NeedsGrad(i); several reads of one value add up.
  void SetInputGrad(std::size_t i, const std::string& grad);

  // --- emitting backward nodes ---------------------------------------------------------------
  // Adds a node and returns its (first) output. Node names derive from the forward node's, so an
  // error in the backward graph names the node it came from ("fc1_grad/Gemm").
  std::string Op(const std::string& op_type, std::vector<std::string> inputs,
                 std::map<std::string, Attribute> attrs = {});
  std::vector<std::string> OpN(const std::string& op_type, std::vector<std::string> inputs, std::size_t num_outputs,
                               std::map<std::string, Attribute> attrs = {});
  // A new f32 scalar constant (an initializer).
  std::string Scalar(float value);
  // An initializer holding `value`.
  std::string Constant(const Tensor& value);
  std::string Add(const std::string& a, const std::string& b) { return Op("Add", {a, b}); }
  std::string Sub(const std::string& a, const std::string& b) { return Op("Sub", {a, b}); }
  std::string Mul(const std::string& a, const std::string& b) { return Op("Mul", {a, b}); }
  std::string Div(const std::string& a, const std::string& b) { return Op("Div", {a, b}); }
  std::string Neg(const std::string& a) { return Op("Neg", {a}); }
  std::string Pow(const std::string& a, const std::string& b) { return Op("Pow", {a, b}); }
  // `grad` summed over the dims along which `like` was broadcast to it (numpy rules), giving
  // like's shape; grad itself when the shapes are statically equal.
  std::string SumTo(const std::string& grad, const std::string& like);

  // --- helpers for rules -------------------------------------------------------------------
  // Dtype and shape of a value: any forward value (graph input, initializer, node output), and
  // every value emitted so far (each backward node is inferred as it is added).
  const ValueInfo& InfoOf(const std::string& value) const;
  // Input i's data when it is an initializer (a constant shape, axes, exponent), else null.
  const Tensor* ConstantInput(std::size_t i) const;
  // The i64 shape of a forward value: a constant when its shape is fully known, else a Shape node
  // (read only for the shape when a plan is made, so it works for every batch size).
  std::string ShapeOf(const std::string& value);
  // `grad` (with like's element count) reshaped to like's shape.
  std::string ReshapeLike(const std::string& grad, const std::string& like);
  // f32 zeros of a forward value's shape.
  std::string ZerosLike(const std::string& value);
  // An i64 1-D initializer.
  std::string Ints(const std::vector<int64_t>& values);
  // Throws axon::Error naming the forward node (a case the rule cannot differentiate).
  [[noreturn]] void Fail(const std::string& message) const;
  // Input i's rank; fails when it is not known.
  int64_t InRank(std::size_t i) const;

  GradContext(GraphEditor& editor, const Node& node, const OpSchema& schema, std::vector<std::string> out_grads,
              std::vector<bool> needs, std::map<std::string, std::vector<std::string>>& input_grads);

 private:
  GraphEditor& editor_;
  Node node_;  // a copy: emitting nodes may move the graph's nodes
  AttrReader attrs_;
  std::vector<std::string> out_grads_;
  std::vector<bool> needs_;
  std::map<std::string, std::vector<std::string>>& input_grads_;  // value -> gradient parts
};

struct GradientOptions {
  // Name prefix of the gradient outputs: gradient of "w" is the graph output "<prefix>w".
  std::string output_prefix = "grad:";
};

// Appends to `graph` the backward pass of `loss` (an f32 value with one element, e.g. a loss op's
// output) with respect to each of `wrt` (initializers or graph inputs of dtype f32) and makes
// each gradient a graph output named output_prefix + name, of that value's shape. A value the
// loss does not depend on gets a gradient of zeros. Throws axon::Error naming the node when a
// node on a path from `wrt` to the loss has an op without a gradient rule, and naming the value
// when `loss` or one of `wrt` is not suitable. Returns the gradient output names, in wrt's order.
// The graph's value_info is re-inferred.
std::vector<std::string> AppendGradients(Graph& graph, const std::string& loss, const std::vector<std::string>& wrt,
                                         const GradientOptions& options = {});

}  // namespace axon::graph
