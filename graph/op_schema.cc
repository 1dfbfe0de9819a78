#include "graph/op_schema.h"

#include <algorithm>
#include <memory>
#include <mutex>

namespace axon::graph {
namespace {

std::map<std::string, std::unique_ptr<OpSchema>, std::less<>>& Registry() {
  static auto* registry = new std::map<std::string, std::unique_ptr<OpSchema>, std::less<>>();
  return *registry;
}

template <typename T>
const T& As(const Attribute& a) { return std::get<T>(a); }

}  // namespace

OpSchema& RegisterOpSchema(std::string_view name) {
  auto& reg = Registry();
  auto [it, inserted] = reg.emplace(std::string(name), nullptr);
  if (!inserted) throw Error(ErrorCode::kInternal, "op " + std::string(name) + " registered twice");
  it->second = std::make_unique<OpSchema>(std::string(name));
  return *it->second;
}

const OpSchema* FindOpSchema(std::string_view name) {
  auto& reg = Registry();
  auto it = reg.find(name);
  return it == reg.end() ? nullptr : it->second.get();
}

const OpSchema& SchemaFor(const Node& node) {
  const OpSchema* s = FindOpSchema(node.op_type);
  if (!s) throw Error(ErrorCode::kUnsupported, node.Describe() + ": unknown op type '" + node.op_type + "'");
  return *s;
}

std::vector<std::string> RegisteredOps() {
  std::vector<std::string> names;
  for (const auto& [name, schema] : Registry()) names.push_back(name);
  return names;
}

OpSchema& OpSchema::Inputs(std::vector<std::string> names, int min_count) {
  inputs_ = std::move(names);
  min_inputs_ = min_count < 0 ? inputs_.size() : static_cast<std::size_t>(min_count);
  return *this;
}

OpSchema& OpSchema::Outputs(std::vector<std::string> names, int min_count) {
  outputs_ = std::move(names);
  min_outputs_ = min_count < 0 ? outputs_.size() : static_cast<std::size_t>(min_count);
  return *this;
}

OpSchema& OpSchema::VariadicInputs(int min_count) {
  variadic_inputs_ = true;
  min_inputs_ = static_cast<std::size_t>(std::max(min_count, 0));
  return *this;
}

OpSchema& OpSchema::VariadicOutputs(int min_count) {
  variadic_outputs_ = true;
  min_outputs_ = static_cast<std::size_t>(std::max(min_count, 0));
  return *this;
}

OpSchema& OpSchema::Attr(std::string name, AttrType type, std::optional<Attribute> default_value) {
  attrs_[std::move(name)] = AttrSpec{type, std::move(default_value)};
  return *this;
}

OpSchema& OpSchema::Since(int64_t version) {
  if (version < 1 || version > kOpsetVersion)
    throw Error(ErrorCode::kInternal, "op " + name_ + ": Since(" + std::to_string(version) + ") is outside op-set versions 1.." +
                                          std::to_string(kOpsetVersion));
  since_version_ = version;
  return *this;
}

void OpSchema::RunInference(InferContext& ctx) const {
  const Node& node = ctx.node;
  if (variadic_inputs_) {
    if (node.inputs.size() < min_inputs_)
      ctx.Fail("expects at least " + std::to_string(min_inputs_) + " inputs, got " + std::to_string(node.inputs.size()));
  } else if (node.inputs.size() < min_inputs_ || node.inputs.size() > inputs_.size()) {
    ctx.Fail("expects " + (min_inputs_ == inputs_.size() ? std::to_string(inputs_.size())
                                                       : std::to_string(min_inputs_) + " to " + std::to_string(inputs_.size())) +
             " inputs, got " + std::to_string(node.inputs.size()));
  }
  // A variadic input's repetitions are all required.
  const std::size_t required = variadic_inputs_ ? node.inputs.size() : min_inputs_;
  for (std::size_t i = 0; i < required; ++i)
    if (node.inputs[i].empty()) ctx.Fail("required input " + InputName(i) + " is missing");
  if (variadic_outputs_) {
    if (node.outputs.size() < min_outputs_)
      ctx.Fail("expects at least " + std::to_string(min_outputs_) + " outputs, got " + std::to_string(node.outputs.size()));
  } else if (node.outputs.size() < min_outputs_ || node.outputs.size() > outputs_.size()) {
    ctx.Fail("expects " + (min_outputs_ == outputs_.size() ? std::to_string(outputs_.size())
                                                         : std::to_string(min_outputs_) + " to " + std::to_string(outputs_.size())) +
             " outputs, got " + std::to_string(node.outputs.size()));
  }
  for (const auto& [name, value] : node.attrs) {
    auto it = attrs_.find(name);
    if (it == attrs_.end()) ctx.Fail("unknown attribute '" + name + "'");
    if (TypeOf(value) != it->second.type)
      ctx.Fail("attribute '" + name + "' must be " + AttrTypeName(it->second.type) + ", got " + AttrTypeName(TypeOf(value)));
  }
  ctx.outputs.assign(node.outputs.size(), ValueInfo{});
  for (std::size_t i = 0; i < node.outputs.size(); ++i) ctx.outputs[i].name = node.outputs[i];
  if (infer_) infer_(ctx);
  // Checked here, once for every op, both when a model is verified and on the concrete shapes of
  // each run: the executor allocates outputs from these shapes, and kernels compute strides as
  // partial products of their dims.
  for (const ValueInfo& out : ctx.outputs) {
    if (out.shape.rank() > kMaxRank)
      ctx.Fail("output '" + out.name + "' would have " + std::to_string(out.shape.rank()) + " dims; at most " +
               std::to_string(kMaxRank) + " are supported");
    if (MultiplyDims(out.shape.dims()).too_large)
      ctx.Fail("output '" + out.name + "' would have shape " + out.shape.ToString() + ", more than " +
               std::to_string(kMaxElementCount) + " elements");
  }
}

void InferContext::SetOutput(std::size_t i, DType dtype, Shape shape) {
  outputs.at(i).dtype = dtype;
  outputs.at(i).shape = std::move(shape);
}

void InferContext::Fail(const std::string& message) const {
  throw Error(ErrorCode::kInvalidModel, node.Describe() + ": " + message + DescribeInputs());
}

std::string InferContext::DescribeInputs() const {
  // A node from a file may list any number of inputs (the arity check is one of the failures
  // reported here), so only the first few are named, keeping the message one readable line.
  constexpr std::size_t kMaxListed = 8;
  std::string shapes;
  std::size_t listed = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!HasInput(i)) continue;
    if (listed++ == kMaxListed) {
      shapes += ", ... " + std::to_string(inputs.size() - i) + " more";
      break;
    }
    shapes += shapes.empty() ? " (inputs: " : ", ";
    shapes += inputs[i].ToString();
  }
  if (!shapes.empty()) shapes += ")";
  return shapes;
}

void InferContext::RequireFloat(std::size_t i) const {
  if (inputs[i].dtype != DType::kF32)
    Fail("input " + schema.InputName(i) + " must be f32, got " + std::string(DTypeName(inputs[i].dtype)));
}

const Tensor* InferContext::InputValue(std::size_t i) const {
  if (values_read.size() <= i) values_read.resize(i + 1, false);
  values_read[i] = true;
  return i < input_values.size() ? input_values[i] : nullptr;
}

int64_t InferContext::Axis(int64_t axis, int64_t rank, const char* what) const {
  const std::optional<int64_t> normalized = NormalizeAxis(axis, rank);
  if (!normalized)
    Fail(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return *normalized;
}

Dim InferContext::Product(std::span<const Dim> dims) const {
  const DimProduct p = MultiplyDims(dims);
  if (p.too_large)
    Fail("dims " + Shape(std::vector<Dim>(dims.begin(), dims.end())).ToString() + " multiply to more than " +
         std::to_string(kMaxElementCount) + " elements");
  return p.ToDim();
}

bool AttrReader::Has(const std::string& name) const {
  if (node_.attrs.count(name)) return true;
  auto it = schema_.attrs().find(name);
  return it != schema_.attrs().end() && it->second.default_value.has_value();
}

const Attribute& AttrReader::Get(const std::string& name, AttrType type) const {
  if (auto it = node_.attrs.find(name); it != node_.attrs.end()) {
    if (TypeOf(it->second) != type)
      throw Error(ErrorCode::kInvalidModel, node_.Describe() + ": attribute '" + name + "' must be " + AttrTypeName(type));
    return it->second;
  }
  auto spec = schema_.attrs().find(name);
  if (spec == schema_.attrs().end() || !spec->second.default_value)
    throw Error(ErrorCode::kInvalidModel, node_.Describe() + ": missing required attribute '" + name + "'");
  return *spec->second.default_value;
}

int64_t AttrReader::Int(const std::string& name) const { return As<int64_t>(Get(name, AttrType::kInt)); }
float AttrReader::Float(const std::string& name) const { return As<float>(Get(name, AttrType::kFloat)); }
const std::string& AttrReader::String(const std::string& name) const { return As<std::string>(Get(name, AttrType::kString)); }
const std::vector<int64_t>& AttrReader::Ints(const std::string& name) const {
  return As<std::vector<int64_t>>(Get(name, AttrType::kInts));
}
const std::vector<float>& AttrReader::Floats(const std::string& name) const {
  return As<std::vector<float>>(Get(name, AttrType::kFloats));
}
const std::vector<std::string>& AttrReader::Strings(const std::string& name) const {
  return As<std::vector<std::string>>(Get(name, AttrType::kStrings));
}
const Tensor& AttrReader::TensorValue(const std::string& name) const {
  return As<TensorAttr>(Get(name, AttrType::kTensor)).value;
}

}  // namespace axon::graph
