// The ONNX importer's driver: file -> checked ModelProto -> graph::Model. In order: size and parse
// cost (before protobuf allocates), the model's header and opsets, the graph's structure (names,
// edges, cycles), every node's op against the table (one error listing all that cannot be
// imported), then inputs, initializers and nodes through the translators.
#include "formats/onnx/onnx_import.h"

#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <map>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "formats/axon_format.h"
#include "formats/onnx/import_graph.h"
#include "formats/onnx/onnx_tensor.h"
#include "formats/onnx/op_table.h"
#include "formats/protobuf_util.h"
#include "graph/verifier.h"

namespace axon::formats::onnx_import {
namespace {

using ::onnx::AttributeProto;
using ::onnx::GraphProto;
using ::onnx::ModelProto;
using ::onnx::NodeProto;

// Most distinct unsupported (op, opset) pairs one error lists: a hostile file may hold millions.
constexpr std::size_t kMaxListedOps = 40;

std::string NodeWhat(const NodeProto& n, int index) {
  return n.name().empty() ? "node #" + std::to_string(index) + " (" + internal::Printable(n.op_type()) + ")"
                          : "node " + Quote(n.name()) + " (" + internal::Printable(n.op_type()) + ")";
}

std::string NormalDomain(const std::string& domain) { return domain == "ai.onnx" ? std::string() : domain; }

// ---------------------------------------------------------------------------------------------
// The model's header.

struct Opsets {
  int64_t default_version = 0;
  std::map<std::string, int64_t> versions;  // by normalized domain

  int64_t Of(const std::string& domain) const {
    auto it = versions.find(domain);
    return it == versions.end() ? 0 : it->second;
  }
};

Opsets ReadOpsets(const Reporter& r, const ModelProto& m) {
  Opsets o;
  for (int i = 0; i < m.opset_import_size(); ++i) {
    const ::onnx::OperatorSetIdProto& op = m.opset_import(i);
    r.CheckText(op.domain(), "opset_import #" + std::to_string(i) + " domain");
    const std::string domain = NormalDomain(op.domain());
    const std::string what = "opset_import of domain " + (domain.empty() ? std::string("\"\"") : Quote(domain));
    if (op.version() <= 0) r.Invalid(what + " has invalid version " + std::to_string(op.version()));
    if (!o.versions.emplace(domain, op.version()).second) r.Invalid(what + " appears twice");
  }
  // IR versions before 3 had no opset_import: their ops are opset 1's.
  if (m.opset_import_size() == 0 && m.ir_version() < 3) o.versions[""] = 1;
  o.default_version = o.Of("");
  if (o.default_version > kMaxOpset)
    r.Unsupported("uses ONNX opset " + std::to_string(o.default_version) + "; this build of Axon imports opsets up to " +
                  std::to_string(kMaxOpset) + " (convert the model to opset " + std::to_string(kMaxOpset) + ")");
  return o;
}

// ---------------------------------------------------------------------------------------------
// Structure: every name checked, every value defined once, every edge defined, no cycle. Returns
// the node indices in an order where producers come first (file order when the file is sorted,
// as ONNX requires; a file that is not is sorted here rather than refused).

struct Structure {
  std::vector<int> order;
  std::unordered_set<std::string> initializer_names;
  std::unordered_set<std::string> names;  // every value and node name: generated names avoid them
  std::unordered_set<std::string> used;   // values read by a node or listed as graph outputs
  std::vector<bool> unique_node_name;     // per node: its name can be the Axon node's
};

Structure CheckStructure(const Reporter& r, const GraphProto& g) {
  Structure s;
  // value -> -1 graph input / initializer, or the index of the node defining it
  std::unordered_map<std::string, int> defined;
  for (int i = 0; i < g.initializer_size(); ++i) {
    const std::string& name = g.initializer(i).name();
    r.CheckName(name, "initializer #" + std::to_string(i));
    if (!defined.emplace(name, -1).second) r.Invalid("initializer " + Quote(name) + " appears twice");
    s.initializer_names.insert(name);
  }
  if (g.sparse_initializer_size() > 0) r.Unsupported("has sparse initializers, which Axon does not import");
  std::unordered_set<std::string> inputs;
  for (int i = 0; i < g.input_size(); ++i) {
    const std::string& name = g.input(i).name();
    r.CheckName(name, "graph input #" + std::to_string(i));
    if (!inputs.insert(name).second) r.Invalid("graph input " + Quote(name) + " appears twice");
    defined.emplace(name, -1);  // an initializer of the same name is that input's value
  }
  for (int i = 0; i < g.node_size(); ++i) {
    const NodeProto& n = g.node(i);
    r.CheckText(n.name(), "node #" + std::to_string(i) + " name");
    r.CheckText(n.op_type(), "node #" + std::to_string(i) + " op_type");
    r.CheckText(n.domain(), "node #" + std::to_string(i) + " domain");
    const std::string what = NodeWhat(n, i);
    if (n.op_type().empty()) r.Invalid(what + " has no op_type");
    for (int k = 0; k < n.input_size(); ++k) r.CheckText(n.input(k), what + " input " + std::to_string(k));
    for (int k = 0; k < n.output_size(); ++k) {
      const std::string& out = n.output(k);
      r.CheckText(out, what + " output " + std::to_string(k));
      if (out.empty()) continue;  // an optional output left out
      auto [it, fresh] = defined.emplace(out, i);
      if (!fresh)
        r.Invalid(what + " defines " + Quote(out) + ", which " +
                  (it->second < 0 ? std::string("a graph input or initializer") : NodeWhat(g.node(it->second), it->second)) +
                  " defines already");
    }
  }
  for (int i = 0; i < g.output_size(); ++i) {
    const std::string& name = g.output(i).name();
    r.CheckName(name, "graph output #" + std::to_string(i));
    if (!defined.count(name)) r.Invalid("graph output " + Quote(name) + " is not defined by any node, graph input or initializer");
    s.used.insert(name);
  }

  // Kahn's algorithm, taking ready nodes in file order.
  const int n = g.node_size();
  std::vector<int> pending(static_cast<std::size_t>(n), 0);
  std::vector<std::vector<int>> readers(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const NodeProto& node = g.node(i);
    for (int k = 0; k < node.input_size(); ++k) {
      const std::string& in = node.input(k);
      if (in.empty()) continue;
      s.used.insert(in);
      auto it = defined.find(in);
      if (it == defined.end())
        r.Invalid(NodeWhat(node, i) + ": input " + std::to_string(k) + " " + Quote(in) +
                  " is not defined by any node, graph input or initializer");
      if (it->second >= 0) {
        ++pending[static_cast<std::size_t>(i)];
        readers[static_cast<std::size_t>(it->second)].push_back(i);
      }
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int i = 0; i < n; ++i)
    if (pending[static_cast<std::size_t>(i)] == 0) ready.push(i);
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    s.order.push_back(i);
    for (int reader : readers[static_cast<std::size_t>(i)])
      if (--pending[static_cast<std::size_t>(reader)] == 0) ready.push(reader);
  }
  if (static_cast<int>(s.order.size()) != n)
    for (int i = 0; i < n; ++i)
      if (pending[static_cast<std::size_t>(i)] > 0) r.Invalid("the graph has a cycle through " + NodeWhat(g.node(i), i));

  for (const auto& [name, by] : defined) s.names.insert(name);
  std::unordered_map<std::string, int> node_names;
  for (const NodeProto& node : g.node()) {
    if (node.name().empty()) continue;
    ++node_names[node.name()];
    s.names.insert(node.name());
  }
  // Node and value names are separate namespaces in ONNX (and in Axon's verifier): a node named like a
  // value, often its own output, keeps its name so that errors and profiles name the user's node.
  s.unique_node_name.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const std::string& name = g.node(i).name();
    s.unique_node_name[static_cast<std::size_t>(i)] = !name.empty() && node_names[name] == 1;
  }
  return s;
}

// One error for every node whose op cannot be imported, grouped by (op, opset).
void CheckOpsSupported(const Reporter& r, const GraphProto& g, const Opsets& opsets, bool require_schemas) {
  struct Unsupported {
    int nodes = 0;
    std::string why;
  };
  std::map<std::pair<std::string, int64_t>, Unsupported> found;
  int bad_nodes = 0;
  for (int i = 0; i < g.node_size(); ++i) {
    const NodeProto& n = g.node(i);
    const std::string domain = NormalDomain(n.domain());
    if (!domain.empty() && !opsets.versions.count(domain))
      r.Invalid(NodeWhat(n, i) + " is of domain " + Quote(domain) + ", which opset_import does not list");
    if (domain.empty() && opsets.default_version == 0)
      r.Invalid("has nodes of the default ONNX domain but no opset_import for it");
    const int64_t opset = opsets.Of(domain);
    std::optional<std::string> why = WhyUnsupported(domain, n.op_type(), opset, require_schemas);
    if (!why) continue;
    ++bad_nodes;
    Unsupported& u = found[{internal::Printable(domain.empty() ? n.op_type() : domain + "." + n.op_type()), opset}];
    ++u.nodes;
    u.why = *why;
  }
  if (found.empty()) return;
  std::string list;
  std::size_t listed = 0;
  for (const auto& [key, u] : found) {
    if (listed++ == kMaxListedOps) {
      list += "; ... and " + std::to_string(found.size() - kMaxListedOps) + " more";
      break;
    }
    list += (list.empty() ? "" : "; ") + key.first + " (opset " + std::to_string(key.second) + "): " +
            std::to_string(u.nodes) + (u.nodes == 1 ? " node, " : " nodes, ") + internal::Printable(u.why);
  }
  r.Unsupported("cannot import " + std::to_string(bad_nodes) + " of " + std::to_string(g.node_size()) +
                " nodes; unsupported ONNX ops: " + list);
}

// ---------------------------------------------------------------------------------------------
// Nodes.

// The field an attribute's value is in, for files (IR version 1) that leave `type` out.
AttributeProto::AttributeType TypeOfAttribute(const AttributeProto& a) {
  if (a.type() != AttributeProto::UNDEFINED) return a.type();
  if (a.has_f()) return AttributeProto::FLOAT;
  if (a.has_i()) return AttributeProto::INT;
  if (a.has_s()) return AttributeProto::STRING;
  if (a.has_t()) return AttributeProto::TENSOR;
  if (a.has_g()) return AttributeProto::GRAPH;
  if (a.floats_size()) return AttributeProto::FLOATS;
  if (a.ints_size()) return AttributeProto::INTS;
  if (a.strings_size()) return AttributeProto::STRINGS;
  if (a.tensors_size()) return AttributeProto::TENSORS;
  if (a.graphs_size()) return AttributeProto::GRAPHS;
  return AttributeProto::UNDEFINED;
}

OnnxNode ReadNode(const Reporter& r, NodeProto& n, const std::string& what) {
  OnnxNode node;
  node.name = n.name();
  node.domain = NormalDomain(n.domain());
  node.op_type = n.op_type();
  node.inputs.assign(n.input().begin(), n.input().end());
  node.outputs.assign(n.output().begin(), n.output().end());
  for (int i = 0; i < n.attribute_size(); ++i) {
    AttributeProto& a = *n.mutable_attribute(i);
    r.CheckName(a.name(), what + " attribute #" + std::to_string(i));
    const std::string attr = what + " attribute " + Quote(a.name());
    if (node.attrs.count(a.name()) || node.tensor_attrs.count(a.name())) r.Invalid(what + " has attribute " + Quote(a.name()) + " twice");
    if (!a.ref_attr_name().empty()) r.Invalid(attr + " refers to a function's attribute, which only a function body may");
    const AttributeProto::AttributeType type = TypeOfAttribute(a);
    switch (type) {
      case AttributeProto::FLOAT: node.attrs.emplace(a.name(), a.f()); break;
      case AttributeProto::INT: node.attrs.emplace(a.name(), static_cast<int64_t>(a.i())); break;
      case AttributeProto::STRING:
        r.CheckText(a.s(), attr + " value");
        node.attrs.emplace(a.name(), a.s());
        break;
      case AttributeProto::FLOATS:
        node.attrs.emplace(a.name(), std::vector<float>(a.floats().begin(), a.floats().end()));
        break;
      case AttributeProto::INTS:
        node.attrs.emplace(a.name(), std::vector<int64_t>(a.ints().begin(), a.ints().end()));
        break;
      case AttributeProto::STRINGS:
        for (int k = 0; k < a.strings_size(); ++k) r.CheckText(a.strings(k), attr + " value " + std::to_string(k));
        node.attrs.emplace(a.name(), std::vector<std::string>(a.strings().begin(), a.strings().end()));
        break;
      case AttributeProto::TENSOR:
        node.tensor_attrs.emplace(a.name(), TensorFromOnnx(r, *a.mutable_t(), attr));
        break;
      case AttributeProto::UNDEFINED: r.Invalid(attr + " has no value");
      default:
        r.Unsupported(attr + " is a " + AttributeProto::AttributeType_Name(type) +
                      ", which Axon does not import (no subgraphs, sparse tensors, type or tensor lists)");
    }
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Graph outputs.

// Most warnings one import lists: a hostile file may declare millions of stale outputs.
constexpr std::size_t kMaxWarnings = 40;

void Warn(const Reporter& r, ImportResult& result, std::size_t& count, const std::string& message) {
  if (++count <= kMaxWarnings) result.warnings.push_back(r.prefix() + message);
  else if (count == kMaxWarnings + 1) result.warnings.push_back(r.prefix() + "further warnings left out");
}

// A node output's declared type against the one its op infers. Exporters write declarations from
// their own shape inference, which may not be the op's: ONNX's own for MaxPool/AveragePool with
// ceil_mode counted a last window that starts in the right padding (1 + ceil((in + pads - k) /
// stride)), where PyTorch, ONNX Runtime and Axon drop it (the rule the pooling spec spells out
// from opset 19), so torch.onnx.export declares 5x5 for a 4x4 result. Like ONNX Runtime, which
// warns and keeps its inferred shape, the computed dims win over stale declared ones, with a
// warning. A declared dtype or rank that differs is no stale dim but a different tensor: refused.
graph::ValueInfo FitDeclaredOutput(const Reporter& r, graph::ValueInfo declared, const graph::ValueInfo* computed,
                                   const std::string& producer, ImportResult& result, std::size_t& warnings) {
  if (!computed || !computed->shape.has_rank()) return declared;
  const std::string what = "graph output " + Quote(declared.name) + " of " + producer + " is declared ";
  if (declared.dtype != DType::kUndefined && declared.dtype != computed->dtype)
    r.Invalid(what + std::string(DTypeName(declared.dtype)) + " but computed as " + std::string(DTypeName(computed->dtype)));
  if (declared.shape.has_rank() && declared.shape.rank() != computed->shape.rank())
    r.Invalid(what + declared.shape.ToString() + " but computed as " + computed->shape.ToString() + " (ranks differ)");
  if (graph::Compatible(declared.shape, computed->shape)) return declared;
  Warn(r, result, warnings,
       what + declared.shape.ToString() + " but computed as " + computed->shape.ToString() +
           "; using the computed shape (the declaration is stale)");
  declared.shape = computed->shape;
  return declared;
}

// ---------------------------------------------------------------------------------------------

ImportResult FromProto(const Reporter& r, ModelProto& m, const ImportOptions& options) {
  if (m.ir_version() <= 0) r.Invalid("has no ir_version: not an ONNX model");
  if (!m.has_graph()) r.Invalid("has no graph");
  r.CheckText(m.producer_name(), "producer_name");
  r.CheckText(m.producer_version(), "producer_version");
  const Opsets opsets = ReadOpsets(r, m);
  GraphProto& g = *m.mutable_graph();
  r.CheckText(g.name(), "graph name");
  const Structure s = CheckStructure(r, g);
  CheckOpsSupported(r, g, opsets, !options.allow_missing_schemas);

  ImportResult result;
  result.ir_version = m.ir_version();
  result.opset = opsets.default_version;
  result.onnx_nodes = static_cast<std::size_t>(g.node_size());
  graph::Model& model = result.model;
  model.producer_name = m.producer_name();
  model.producer_version = m.producer_version();
  for (int i = 0; i < m.metadata_props_size(); ++i) {
    const ::onnx::StringStringEntryProto& e = m.metadata_props(i);
    r.CheckText(e.key(), "metadata_props key #" + std::to_string(i));
    r.CheckText(e.value(), "metadata_props value #" + std::to_string(i));
    if (e.key().empty()) r.Invalid("metadata_props entry #" + std::to_string(i) + " has an empty key");
    if (!model.metadata.emplace(e.key(), e.value()).second) r.Invalid("metadata_props key " + Quote(e.key()) + " appears twice");
  }
  model.metadata.emplace("onnx_ir_version", std::to_string(m.ir_version()));
  model.metadata.emplace("onnx_opset", std::to_string(opsets.default_version));

  graph::Graph& graph = model.graph;
  graph.name = g.name();
  // Inputs that are initializers (as IR < 4 exporters list every weight) are the initializers:
  // constants, which the caller does not feed. From IR 4 such an input is an overridable default;
  // Axon keeps the default (overriding a weight per run is not supported).
  for (const ::onnx::ValueInfoProto& v : g.input())
    if (!s.initializer_names.count(v.name())) {
      graph::ValueInfo in = ValueInfoFromOnnx(r, v, "graph input " + Quote(v.name()), /*type_required=*/true);
      // As the verifier would: no value may be declared with a shape no tensor could have, and the
      // translators infer shapes before it runs.
      if (graph::MultiplyDims(in.shape.dims()).too_large)
        r.Invalid("graph input " + in.ToString() + " has more than " + std::to_string(kMaxElementCount) + " elements");
      graph.inputs.push_back(std::move(in));
    }
  ImportGraph ig(r, graph, s.names, s.used, options.allow_missing_schemas);
  std::map<std::string, const ::onnx::ValueInfoProto*> listed_inputs;
  for (const ::onnx::ValueInfoProto& v : g.input()) listed_inputs.emplace(v.name(), &v);
  for (::onnx::TensorProto& t : *g.mutable_initializer()) {
    const std::string name = t.name();
    Tensor value = TensorFromOnnx(r, t, "initializer " + Quote(name));
    // Listed as an input too: the declaration must describe the value it defaults to.
    if (auto it = listed_inputs.find(name); it != listed_inputs.end()) {
      const graph::ValueInfo declared =
          ValueInfoFromOnnx(r, *it->second, "graph input " + Quote(name), /*type_required=*/false);
      bool fits = declared.dtype == DType::kUndefined || declared.dtype == value.dtype();
      if (declared.shape.has_rank()) {
        fits = fits && declared.shape.rank() == value.rank();
        for (int64_t d = 0; fits && d < declared.shape.rank(); ++d)
          fits = !declared.shape[d].known() || declared.shape[d].value() == value.shape()[d];
      }
      if (!fits)
        r.Invalid("graph input " + declared.ToString() + " is also an initializer of " +
                  std::string(DTypeName(value.dtype())) + ShapeToString(value.shape()) + ": they must agree");
    }
    ig.AddInitializer(name, std::move(value));
  }
  std::unordered_map<std::string, std::string> output_producers;  // graph output -> its node, for messages
  for (const ::onnx::ValueInfoProto& v : g.output()) output_producers.emplace(v.name(), std::string());
  for (int index : s.order) {
    NodeProto& n = *g.mutable_node(index);
    const std::string what = NodeWhat(n, index);
    for (const std::string& out : n.output())
      if (auto it = output_producers.find(out); it != output_producers.end()) it->second = what;
    OnnxNode node = ReadNode(r, n, what);
    node.name_is_unique = s.unique_node_name[static_cast<std::size_t>(index)];
    Translation t(ig, node, opsets.Of(node.domain));
    if (node.op_type == "Constant") ++result.constants;
    try {
      TranslateNode(t);
    } catch (const Error& e) {
      // Shape inference and the rewrite API name the node but not the file.
      const std::string message = e.what();
      if (message.rfind(r.prefix(), 0) == 0) throw;
      throw Error(e.code(), r.prefix() + message);
    }
    n.Clear();  // its tensors are copied: give them back
  }
  // A graph output that is a graph input or initializer keeps its declaration: the verifier checks
  // it against the value's own.
  std::vector<graph::ValueInfo> outputs;
  std::size_t warnings = 0;
  for (const ::onnx::ValueInfoProto& v : g.output()) {
    graph::ValueInfo declared = ValueInfoFromOnnx(r, v, "graph output " + Quote(v.name()), /*type_required=*/false);
    const std::string& producer = output_producers.at(v.name());
    outputs.push_back(producer.empty() ? std::move(declared)
                                       : FitDeclaredOutput(r, std::move(declared), ig.Info(v.name()), producer, result, warnings));
  }
  ig.SetOutputs(std::move(outputs));
  return result;
}

void CheckSize(const Reporter& r, std::size_t size) {
  if (size == 0) r.Invalid("file is empty: not an ONNX model");
  if (size > static_cast<std::size_t>(kMaxModelFileBytes))
    r.Invalid("file is " + std::to_string(size) + " bytes; protobuf reads at most " + std::to_string(kMaxModelFileBytes) +
              " (larger ONNX models keep their weights as external data, which Axon does not read)");
}

void CheckCost(const Reporter& r, const void* data, std::size_t size, const google::protobuf::Descriptor* d) {
  if (!internal::ParseCostWithinLimit(data, size, d))
    r.Invalid("has too many nodes, values, attributes or list entries: parsing it would take more than " +
              std::to_string(internal::kMaxStructureCost >> 20) + " MiB beyond the file's own " + std::to_string(size) +
              " bytes");
}

void Parsed(const Reporter& r, bool ok, const char* what) {
  if (!ok) r.Invalid(std::string("not a valid ") + what + " (protobuf parse failed: truncated, corrupted or not ONNX)");
}

}  // namespace

ImportResult Import(const void* data, std::size_t size, const std::string& origin, const ImportOptions& options) {
  const Reporter r(origin);
  if (!data && size > 0) throw Error(ErrorCode::kInvalidArgument, origin + ": ONNX import of a null pointer");
  CheckSize(r, size);
  CheckCost(r, data, size, ModelProto::descriptor());
  ModelProto m;
  {
    google::protobuf::LogSilencer quiet;
    Parsed(r, m.ParseFromArray(data, static_cast<int>(size)), "ONNX model");
  }
  return FromProto(r, m, options);
}

// Read once into memory of its own, priced, then parsed while its pages are given back (as the
// .axon loader does): a file changed meanwhile cannot fault the process.
ImportResult ImportFile(const std::string& path) {
  const Reporter r(path);
  internal::InputFile file(path);
  CheckSize(r, file.size());
  internal::FileBytes bytes(file, file.size());
  CheckCost(r, bytes.data(), bytes.size(), ModelProto::descriptor());
  ModelProto m;
  {
    google::protobuf::LogSilencer quiet;
    internal::ConsumingStream stream(bytes);
    Parsed(r, m.ParseFromZeroCopyStream(&stream), "ONNX model");
  }
  bytes.Release(bytes.size());
  return FromProto(r, m, {});
}

Tensor ReadTensorFile(const std::string& path, std::string* name) {
  const Reporter r(path);
  internal::InputFile file(path);
  if (file.size() > static_cast<std::size_t>(kMaxModelFileBytes))
    r.Invalid("file is " + std::to_string(file.size()) + " bytes; protobuf reads at most " +
              std::to_string(kMaxModelFileBytes));
  ::onnx::TensorProto t;
  if (file.size() > 0) {
    internal::FileBytes bytes(file, file.size());
    CheckCost(r, bytes.data(), bytes.size(), ::onnx::TensorProto::descriptor());
    google::protobuf::LogSilencer quiet;
    Parsed(r, t.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())), "ONNX tensor");
  }
  r.CheckText(t.name(), "tensor name");
  if (name) *name = t.name();
  return TensorFromOnnx(r, t, t.name().empty() ? std::string("tensor") : "tensor " + Quote(t.name()));
}

}  // namespace axon::formats::onnx_import
