// What a translator sees: one ONNX node (attributes already converted, no protobuf types) and the
// Axon graph being built, through which it emits the node's opset-17 form. Internal to
// formats/onnx/.
//
//   void SqueezeBefore13(Translation& t) {                 // axes: attribute -> input
//     std::vector<std::string> in = t.node().inputs;
//     if (auto axes = t.TakeInts("axes")) in.push_back(t.AddConstant(I64Tensor(*axes), "axes"));
//     t.Emit("Squeeze", in);
//   }
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "axon/tensor.h"
#include "formats/onnx/onnx_common.h"
#include "graph/ir.h"

namespace axon::formats::onnx_import {

// An ONNX node after its attributes were read: graph attributes typed as Axon's, TENSOR
// attributes (Constant's value, ConstantOfShape's) as tensors.
struct OnnxNode {
  std::string name;    // as in the file; may be empty
  bool name_is_unique = true;  // false: another node has it; the Axon node gets a fresh name
  std::string domain;  // "" for the default domain ("ai.onnx" is normalized to "")
  std::string op_type;
  std::vector<std::string> inputs, outputs;  // "" marks an omitted optional one
  std::map<std::string, graph::Attribute> attrs;
  std::map<std::string, Tensor> tensor_attrs;
};

class ImportGraph;

class Translation {
 public:
  Translation(ImportGraph& graph, OnnxNode& node, int64_t opset) : graph_(graph), node_(node), opset_(opset) {}

  OnnxNode& node() { return node_; }
  int64_t opset() const { return opset_; }
  // "node 'conv1' (Conv, opset 11)", for messages.
  std::string Describe() const;

  // --- attributes: Take removes, so that what is left maps 1:1 -------------------------------
  bool Has(const std::string& name) const { return node_.attrs.count(name) || node_.tensor_attrs.count(name); }
  std::optional<int64_t> TakeInt(const std::string& name);
  std::optional<float> TakeFloat(const std::string& name);
  std::optional<std::string> TakeString(const std::string& name);
  std::optional<std::vector<int64_t>> TakeInts(const std::string& name);
  std::optional<std::vector<float>> TakeFloats(const std::string& name);
  std::optional<Tensor> TakeTensor(const std::string& name);
  // Drops an attribute that older opsets had and that means nothing for inference
  // (consumed_inputs, is_test).
  void Drop(const std::string& name) { node_.attrs.erase(name); }

  // --- values -----------------------------------------------------------------------------
  // Read by a node of the ONNX graph or a graph output.
  bool IsUsed(const std::string& value) const;
  // dtype and shape inferred so far; nullptr for "" and for a value whose dtype is unknown.
  const graph::ValueInfo* Info(const std::string& value) const;
  std::optional<int64_t> Rank(const std::string& value) const;
  // The data of an initializer (or Constant node); nullptr otherwise.
  const Tensor* ConstantValue(const std::string& value) const;
  bool HasSchema(const std::string& op_type) const;

  // --- emitting ---------------------------------------------------------------------------
  // A new initializer named after the node and hint; returns its name.
  std::string AddConstant(Tensor value, const std::string& hint);
  // A helper node with one output, named after the node and op; returns the output's name.
  std::string AddNode(const std::string& op_type, std::vector<std::string> inputs,
                      std::map<std::string, graph::Attribute> attrs = {});
  // A helper node that defines some of the ONNX node's outputs (a second node of a translation).
  void AddNodeWithOutputs(const std::string& op_type, std::vector<std::string> inputs,
                          std::map<std::string, graph::Attribute> attrs, std::vector<std::string> outputs);
  // The node's translation when it is a constant: its one output becomes an initializer.
  void EmitConstant(Tensor value);
  // The node's translation: an op_type node with the ONNX node's name and outputs. Outputs beyond
  // the op's schema that nothing reads are dropped; missing optional ones get fresh names.
  void Emit(const std::string& op_type, std::vector<std::string> inputs,
            std::map<std::string, graph::Attribute> attrs);
  // Emit with the attributes that were not taken.
  void Emit(const std::string& op_type, std::vector<std::string> inputs) { Emit(op_type, std::move(inputs), node_.attrs); }
  // Emit with explicit outputs (a subset of the node's, or values the translation renames).
  void EmitWithOutputs(const std::string& op_type, std::vector<std::string> inputs,
                       std::map<std::string, graph::Attribute> attrs, std::vector<std::string> outputs);

  // --- errors, one line naming the file and the node ------------------------------------------
  [[noreturn]] void Unsupported(const std::string& message) const;  // kUnsupported
  [[noreturn]] void Invalid(const std::string& message) const;      // kInvalidFile

 private:
  ImportGraph& graph_;
  OnnxNode& node_;
  int64_t opset_;
};

// Rewrites one node of an older opset (or of any opset, for ops that always change) into Axon's form.
using Translator = void (*)(Translation&);

// Helpers shared by translators.
Tensor I64Tensor(const std::vector<int64_t>& values);  // 1-D
Tensor ScalarOf(DType dtype, double value);            // 0-D of dtype

}  // namespace axon::formats::onnx_import
