#include "formats/onnx/import_graph.h"

#include <cstring>
#include <limits>

#include "formats/onnx/translation.h"
#include "graph/op_schema.h"

namespace axon::formats::onnx_import {

ImportGraph::ImportGraph(const Reporter& reporter, graph::Graph& graph, std::unordered_set<std::string> onnx_names,
                         std::unordered_set<std::string> used_values, bool allow_missing_schemas)
    : reporter_(reporter), graph_(graph), editor_(graph), onnx_names_(std::move(onnx_names)),
      used_values_(std::move(used_values)), allow_missing_schemas_(allow_missing_schemas) {
  for (const graph::ValueInfo& in : graph_.inputs) known_[in.name] = in;
}

std::string ImportGraph::FreshName(const std::string& prefix) {
  const std::string base = prefix.empty() ? "value" : prefix;
  std::string name = base;
  // Counting on from the last suffix this base got keeps a model of many unnamed nodes of one op
  // linear, not quadratic.
  std::size_t& n = next_suffix_[base];
  while (onnx_names_.count(name) || handed_out_.count(name)) name = base + "_" + std::to_string(++n);
  handed_out_.insert(name);
  return name;
}

void ImportGraph::AddInitializer(const std::string& name, Tensor value) {
  known_[name] = graph::ValueInfo{name, value.dtype(), graph::Shape::FromValues(value.shape())};
  // The name is the ONNX graph's own or a fresh one, so the editor keeps it.
  const std::string added = editor_.AddInitializer(name, std::move(value));
  if (added != name) throw Error(ErrorCode::kInternal, "ONNX import: initializer '" + name + "' was renamed '" + added + "'");
}

void ImportGraph::AddNode(graph::Node node) {
  const graph::OpSchema* schema = graph::FindOpSchema(node.op_type);
  if (!schema) {
    if (!allow_missing_schemas_)
      throw Error(ErrorCode::kInternal, "ONNX import emitted op " + node.op_type + ", which has no schema");
    for (std::string& out : node.outputs)
      if (out.empty()) out = FreshName(node.name + ":");
    editor_.AddNode(std::move(node));  // its outputs' types stay unknown
    return;
  }
  // ONNX leaves trailing optional outputs out, or lists ones that only training computes (a
  // Dropout mask, BatchNormalization's statistics): fit the list to the schema.
  // Trailing outputs nothing reads are dropped down to the schema's required count (an optional
  // output left off is not computed); the required ones and those in the middle get names.
  const std::size_t least = schema->min_outputs();
  while (node.outputs.size() > least && (node.outputs.back().empty() || !IsUsed(node.outputs.back())))
    node.outputs.pop_back();
  for (std::size_t i = 0; i < node.outputs.size(); ++i)
    if (node.outputs[i].empty()) node.outputs[i] = FreshName(node.name + ":" + std::to_string(i));
  while (node.outputs.size() < least) node.outputs.push_back(FreshName(node.name + ":" + std::to_string(node.outputs.size())));
  const graph::Node& added = editor_.AddNode(std::move(node));

  graph::InferContext ctx(added, *schema);
  for (const std::string& in : added.inputs) {
    auto it = in.empty() ? known_.end() : known_.find(in);
    ctx.inputs.push_back(it == known_.end() ? graph::ValueInfo{} : it->second);
    ctx.input_values.push_back(in.empty() ? nullptr : ConstantValue(in));
  }
  schema->RunInference(ctx);
  for (graph::ValueInfo& out : ctx.outputs) known_[out.name] = std::move(out);
}

bool ImportGraph::CanEmit(const std::string& op_type) const {
  return allow_missing_schemas_ || graph::FindOpSchema(op_type) != nullptr;
}

const graph::ValueInfo* ImportGraph::Info(const std::string& value) const {
  auto it = value.empty() ? known_.end() : known_.find(value);
  return it == known_.end() || it->second.dtype == DType::kUndefined ? nullptr : &it->second;
}

const Tensor* ImportGraph::ConstantValue(const std::string& value) const {
  auto it = graph_.initializers.find(value);
  return it == graph_.initializers.end() ? nullptr : &it->second;
}

void ImportGraph::SetOutputs(std::vector<graph::ValueInfo> outputs) {
  graph_.outputs = std::move(outputs);
  editor_.Refresh();
}

// ---------------------------------------------------------------------------------------------
// Translation

std::string Translation::Describe() const {
  const std::string op = internal::Printable(node_.domain.empty() ? node_.op_type : node_.domain + "." + node_.op_type);
  const std::string what = op + ", opset " + std::to_string(opset_);
  if (!node_.name.empty()) return "node " + Quote(node_.name) + " (" + what + ")";
  if (!node_.outputs.empty() && !node_.outputs[0].empty()) return "unnamed node (" + what + ") producing " + Quote(node_.outputs[0]);
  return "unnamed node (" + what + ")";
}

namespace {

template <class T>
std::optional<T> TakeAs(Translation& t, std::map<std::string, graph::Attribute>& attrs, const std::string& name,
                        const char* type) {
  auto it = attrs.find(name);
  if (it == attrs.end()) return std::nullopt;
  if (!std::holds_alternative<T>(it->second))
    t.Invalid("attribute '" + name + "' must be " + type + ", got " + graph::AttrTypeName(graph::TypeOf(it->second)));
  T value = std::get<T>(std::move(it->second));
  attrs.erase(it);
  return value;
}

}  // namespace

std::optional<int64_t> Translation::TakeInt(const std::string& name) { return TakeAs<int64_t>(*this, node_.attrs, name, "an int"); }
std::optional<float> Translation::TakeFloat(const std::string& name) { return TakeAs<float>(*this, node_.attrs, name, "a float"); }
std::optional<std::string> Translation::TakeString(const std::string& name) {
  return TakeAs<std::string>(*this, node_.attrs, name, "a string");
}
std::optional<std::vector<int64_t>> Translation::TakeInts(const std::string& name) {
  return TakeAs<std::vector<int64_t>>(*this, node_.attrs, name, "ints");
}
std::optional<std::vector<float>> Translation::TakeFloats(const std::string& name) {
  return TakeAs<std::vector<float>>(*this, node_.attrs, name, "floats");
}
std::optional<Tensor> Translation::TakeTensor(const std::string& name) {
  auto it = node_.tensor_attrs.find(name);
  if (it == node_.tensor_attrs.end()) {
    if (node_.attrs.count(name)) Invalid("attribute '" + name + "' must be a tensor");
    return std::nullopt;
  }
  Tensor value = std::move(it->second);
  node_.tensor_attrs.erase(it);
  return value;
}

bool Translation::IsUsed(const std::string& value) const { return !value.empty() && graph_.IsUsed(value); }
const graph::ValueInfo* Translation::Info(const std::string& value) const { return graph_.Info(value); }
std::optional<int64_t> Translation::Rank(const std::string& value) const {
  const graph::ValueInfo* info = Info(value);
  if (!info || !info->shape.has_rank()) return std::nullopt;
  return info->shape.rank();
}
const Tensor* Translation::ConstantValue(const std::string& value) const { return graph_.ConstantValue(value); }
bool Translation::HasSchema(const std::string& op_type) const { return graph_.CanEmit(op_type); }

std::string Translation::AddConstant(Tensor value, const std::string& hint) {
  const std::string name = graph_.FreshName((node_.name.empty() ? node_.op_type : node_.name) + "/" + hint);
  graph_.AddInitializer(name, std::move(value));
  return name;
}

std::string Translation::AddNode(const std::string& op_type, std::vector<std::string> inputs,
                                 std::map<std::string, graph::Attribute> attrs) {
  graph::Node node;
  node.name = graph_.FreshName((node_.name.empty() ? node_.op_type : node_.name) + "/" + op_type);
  node.op_type = op_type;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  node.outputs = {graph_.FreshName(node.name + ":0")};
  std::string out = node.outputs[0];
  graph_.AddNode(std::move(node));
  return out;
}

void Translation::AddNodeWithOutputs(const std::string& op_type, std::vector<std::string> inputs,
                                     std::map<std::string, graph::Attribute> attrs, std::vector<std::string> outputs) {
  graph::Node node;
  node.name = graph_.FreshName((node_.name.empty() ? node_.op_type : node_.name) + "/" + op_type);
  node.op_type = op_type;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  node.outputs = std::move(outputs);
  graph_.AddNode(std::move(node));
}

void Translation::EmitConstant(Tensor value) { graph_.AddInitializer(node_.outputs.at(0), std::move(value)); }

void Translation::EmitWithOutputs(const std::string& op_type, std::vector<std::string> inputs,
                                  std::map<std::string, graph::Attribute> attrs, std::vector<std::string> outputs) {
  if (!node_.tensor_attrs.empty())
    Unsupported("attribute '" + node_.tensor_attrs.begin()->first + "' is a tensor, which " + op_type +
                " does not take in Axon");
  graph::Node node;
  // The ONNX name is kept when it is a good Axon name: non-empty and unique.
  node.name = node_.name.empty() ? graph_.FreshName(node_.op_type)
              : node_.name_is_unique ? node_.name
                                     : graph_.FreshName(node_.name);
  node.op_type = op_type;
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  node.attrs = std::move(attrs);
  graph_.AddNode(std::move(node));
}

void Translation::Emit(const std::string& op_type, std::vector<std::string> inputs,
                       std::map<std::string, graph::Attribute> attrs) {
  EmitWithOutputs(op_type, std::move(inputs), std::move(attrs), node_.outputs);
}

void Translation::Unsupported(const std::string& message) const {
  graph_.reporter().Unsupported(Describe() + ": " + message);
}
void Translation::Invalid(const std::string& message) const { graph_.reporter().Invalid(Describe() + ": " + message); }

Tensor I64Tensor(const std::vector<int64_t>& values) {
  return Tensor::FromVector(values, {static_cast<int64_t>(values.size())});
}

Tensor ScalarOf(DType dtype, double value) {
  // An ONNX float attribute (Pad's value) given to an integer tensor must fit it: converting NaN
  // or an out-of-range double to an integer is undefined behaviour.
  auto fits = [&](double lo, double hi) {
    if (!(value >= lo && value <= hi))
      throw Error(ErrorCode::kUnsupported, "value " + std::to_string(value) + " does not fit " + std::string(DTypeName(dtype)));
  };
  Tensor t = Tensor::Zeros(dtype, {});
  switch (dtype) {
    case DType::kF32: *t.data<float>() = static_cast<float>(value); break;
    case DType::kI64: fits(-9.2e18, 9.2e18); *t.data<int64_t>() = static_cast<int64_t>(value); break;
    case DType::kI32: fits(-2147483648.0, 2147483647.0); *t.data<int32_t>() = static_cast<int32_t>(value); break;
    case DType::kI8: fits(-128, 127); *t.data<int8_t>() = static_cast<int8_t>(value); break;
    case DType::kU8: fits(0, 255); *t.data<uint8_t>() = static_cast<uint8_t>(value); break;
    case DType::kBool: *t.data<bool>() = value != 0; break;
    case DType::kUndefined: throw Error(ErrorCode::kInternal, "ScalarOf(kUndefined)");
  }
  return t;
}

}  // namespace axon::formats::onnx_import
