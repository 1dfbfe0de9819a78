#include "formats/axon_format.h"

#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>

#include "formats/checksum.h"
#include "formats/file_util.h"
#include "formats/protobuf_util.h"
#include "proto/axon.pb.h"

namespace axon::formats {
namespace {

using internal::CopyLittleEndian;
using internal::IsValidUtf8;
using internal::kMaxRank;
using internal::Printable;

static_assert(static_cast<int>(DType::kUndefined) == pb::UNDEFINED);
static_assert(static_cast<int>(DType::kF32) == pb::FLOAT32);
static_assert(static_cast<int>(DType::kI64) == pb::INT64);
static_assert(static_cast<int>(DType::kBool) == pb::BOOL);
static_assert(static_cast<int>(DType::kI32) == pb::INT32);
static_assert(static_cast<int>(DType::kI8) == pb::INT8);
static_assert(static_cast<int>(DType::kU8) == pb::UINT8);

std::string Quote(const std::string& s) { return "'" + Printable(s) + "'"; }

// Where errors go: reading a file reports kInvalidFile (kUnsupported for a newer file) with
// messages starting "model.axon: "; writing reports kInvalidArgument, since the caller's model
// is at fault, with messages starting "out.axon: cannot write model: ".
class Reporter {
 public:
  Reporter(std::string prefix, bool writing) : prefix_(std::move(prefix)), writing_(writing) {}

  [[noreturn]] void Invalid(const std::string& message) const {
    throw Error(writing_ ? ErrorCode::kInvalidArgument : ErrorCode::kInvalidFile, prefix_ + message);
  }
  [[noreturn]] void Unsupported(const std::string& message) const {
    throw Error(writing_ ? ErrorCode::kInvalidArgument : ErrorCode::kUnsupported, prefix_ + message);
  }
  // Every string must be UTF-8: protobuf refuses anything else on load, so the writer must not
  // produce it. CheckName also refuses an empty name.
  void CheckText(const std::string& text, const std::string& what) const {
    if (!IsValidUtf8(text)) Invalid(what + " is not valid UTF-8: '" + Printable(text) + "'");
  }
  void CheckName(const std::string& name, const std::string& what) const {
    if (name.empty()) Invalid(what + " has an empty name");
    CheckText(name, what + " name");
  }

 private:
  std::string prefix_;
  bool writing_;
};

// "f32", "i64", or "dtype 7" for a value no build of Axon knows.
bool KnownDataType(int dtype) { return pb::DataType_IsValid(dtype); }

std::string DataTypeName(int dtype) {
  if (KnownDataType(dtype)) return std::string(DTypeName(static_cast<DType>(dtype)));
  return "dtype " + std::to_string(dtype);
}

// ---------------------------------------------------------------------------------------------
// Validation of a parsed (or about to be written) proto. Allocates nothing in proportion to
// what the file claims: only in proportion to what it holds.

// Checks a tensor's dtype, dims and byte length; `what` is e.g. "initializer 'fc1.weight'".
void CheckTensor(const Reporter& r, const pb::Tensor& t, const std::string& what) {
  const int dtype = t.dtype();
  if (dtype == pb::UNDEFINED) r.Invalid(what + " has no dtype (UNDEFINED)");
  if (!KnownDataType(dtype)) r.Invalid(what + " has unknown " + DataTypeName(dtype));
  if (static_cast<std::size_t>(t.dims_size()) > kMaxRank)
    r.Invalid(what + " has " + std::to_string(t.dims_size()) + " dims; at most " + std::to_string(kMaxRank) +
              " are supported");
  const std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  const std::string typed = what + " " + DataTypeName(dtype) + ShapeToString(dims);
  for (std::size_t i = 0; i < dims.size(); ++i)
    if (dims[i] < 0) r.Invalid(typed + " has negative dim " + std::to_string(i));
  // axon::ElementCount's rule, so that a tensor this accepts can be made.
  int64_t count = 0;
  try {
    count = ElementCount(dims);
  } catch (const Error&) {
    r.Invalid(typed + " has too many elements");
  }
  const auto needed = static_cast<uint64_t>(count) * DTypeSize(static_cast<DType>(dtype));
  if (t.raw_data().size() != needed)
    r.Invalid(typed + " needs " + std::to_string(needed) + " bytes, file has " + std::to_string(t.raw_data().size()));
  if (dtype == pb::BOOL)
    if (const int64_t bad = internal::FirstInvalidBool(t.raw_data().data(), t.raw_data().size()); bad >= 0)
      r.Invalid(typed + " has element " + std::to_string(bad) + " = " +
                std::to_string(static_cast<unsigned char>(t.raw_data()[static_cast<std::size_t>(bad)])) +
                ": a bool must be 0 or 1");
}

// `what` is e.g. "graph input #0" before the name is known to be good.
void CheckValueInfo(const Reporter& r, const pb::ValueInfo& v, const std::string& role, int index) {
  r.CheckName(v.name(), role + " #" + std::to_string(index));
  const std::string what = role + " " + Quote(v.name());
  if (!KnownDataType(v.dtype())) r.Invalid(what + " has unknown " + DataTypeName(v.dtype()));
  if (!v.has_shape() && v.dims_size() != 0)
    r.Invalid(what + " has " + std::to_string(v.dims_size()) + " dims but has_shape is false");
  if (static_cast<std::size_t>(v.dims_size()) > kMaxRank)
    r.Invalid(what + " has " + std::to_string(v.dims_size()) + " dims; at most " + std::to_string(kMaxRank) +
              " are supported");
  for (int i = 0; i < v.dims_size(); ++i) {
    const pb::Dim& d = v.dims(i);
    const std::string dim = what + " dim " + std::to_string(i);
    if (d.kind_case() == pb::Dim::kValue && d.value() < 0)
      r.Invalid(dim + " is " + std::to_string(d.value()) + "; a known dim must be >= 0");
    if (d.kind_case() == pb::Dim::kSymbol) r.CheckName(d.symbol(), dim + " symbol");
  }
}

void CheckNode(const Reporter& r, const pb::Node& n, int index) {
  r.CheckText(n.name(), "node #" + std::to_string(index) + " name");
  std::string what = n.name().empty() ? "node #" + std::to_string(index) : "node " + Quote(n.name());
  if (n.op_type().empty()) r.Invalid(what + " has no op_type");
  r.CheckText(n.op_type(), what + " op_type");
  what += " (" + Printable(n.op_type()) + ")";
  for (int i = 0; i < n.inputs_size(); ++i) r.CheckText(n.inputs(i), what + " input " + std::to_string(i));
  for (int i = 0; i < n.outputs_size(); ++i) r.CheckText(n.outputs(i), what + " output " + std::to_string(i));
  std::set<std::string_view> names;
  for (int i = 0; i < n.attributes_size(); ++i) {
    const pb::Attribute& a = n.attributes(i);
    r.CheckName(a.name(), what + " attribute #" + std::to_string(i));
    const std::string attr = what + " attribute " + Quote(a.name());
    if (!names.insert(a.name()).second) r.Invalid(what + " has attribute " + Quote(a.name()) + " twice");
    switch (a.value_case()) {
      case pb::Attribute::VALUE_NOT_SET: r.Invalid(attr + " has no value");
      case pb::Attribute::kS: r.CheckText(a.s(), attr + " value"); break;
      case pb::Attribute::kStrings:
        for (int j = 0; j < a.strings().values_size(); ++j)
          r.CheckText(a.strings().values(j), attr + " value " + std::to_string(j));
        break;
      default: break;
    }
  }
}

void CheckTraining(const Reporter& r, const pb::TrainingState& t,
                   const std::map<std::string_view, const pb::Tensor*>& initializers) {
  if (t.step() < 0) r.Invalid("training state has negative step " + std::to_string(t.step()));
  if (t.epoch() < 0) r.Invalid("training state has negative epoch " + std::to_string(t.epoch()));
  if (t.data_samples() < 0) r.Invalid("training state has negative data_samples " + std::to_string(t.data_samples()));
  r.CheckText(t.optimizer(), "training optimizer");
  r.CheckText(t.loss(), "training loss");
  std::set<std::string_view> hyper;
  for (int i = 0; i < t.hyper_parameters_size(); ++i) {
    const pb::HyperParameter& h = t.hyper_parameters(i);
    r.CheckName(h.name(), "training hyper-parameter #" + std::to_string(i));
    if (!hyper.insert(h.name()).second) r.Invalid("training hyper-parameter " + Quote(h.name()) + " appears twice");
  }
  std::set<std::string_view> params;
  for (int i = 0; i < t.parameters_size(); ++i) {
    const pb::ParameterState& p = t.parameters(i);
    r.CheckName(p.parameter(), "training parameter state #" + std::to_string(i));
    const std::string what = "training state of parameter " + Quote(p.parameter());
    if (!params.insert(p.parameter()).second) r.Invalid(what + " appears twice");
    auto init = initializers.find(p.parameter());
    if (init == initializers.end()) r.Invalid(what + ": the graph has no initializer of that name");
    const pb::Tensor& param = *init->second;
    const std::vector<int64_t> param_dims(param.dims().begin(), param.dims().end());
    std::set<std::string_view> slots;
    for (int j = 0; j < p.slots_size(); ++j) {
      const pb::Tensor& s = p.slots(j);
      r.CheckName(s.name(), what + " slot #" + std::to_string(j));
      const std::string slot = what + " slot " + Quote(s.name());
      if (!slots.insert(s.name()).second) r.Invalid(slot + " appears twice");
      CheckTensor(r, s, slot);
      const std::vector<int64_t> dims(s.dims().begin(), s.dims().end());
      if (s.dtype() != param.dtype() || dims != param_dims)
        r.Invalid(slot + " is " + DataTypeName(s.dtype()) + ShapeToString(dims) + " but the parameter is " +
                  DataTypeName(param.dtype()) + ShapeToString(param_dims));
    }
  }
}

void CheckModel(const Reporter& r, const pb::Model& m) {
  if (m.format_version() == 0) r.Invalid("has no format_version: not an .axon model file");
  if (m.format_version() < 0) r.Invalid("has invalid format_version " + std::to_string(m.format_version()));
  if (m.format_version() > graph::Model::kFormatVersion)
    r.Unsupported("format version " + std::to_string(m.format_version()) +
                  " is newer than this build of Axon reads (up to " + std::to_string(graph::Model::kFormatVersion) +
                  "); update Axon");
  if (m.opset_version() <= 0) r.Invalid("has invalid opset_version " + std::to_string(m.opset_version()));
  if (m.opset_version() > graph::Model::kOpsetVersion)
    r.Unsupported("opset version " + std::to_string(m.opset_version()) + " is newer than this build of Axon supports (up to " +
                  std::to_string(graph::Model::kOpsetVersion) + "); update Axon");
  r.CheckText(m.producer_name(), "producer_name");
  r.CheckText(m.producer_version(), "producer_version");
  if (!m.has_graph()) r.Invalid("has no graph");

  std::set<std::string_view> keys;
  for (int i = 0; i < m.metadata_size(); ++i) {
    const pb::MetadataEntry& e = m.metadata(i);
    if (e.key().empty()) r.Invalid("metadata entry #" + std::to_string(i) + " has an empty key");
    r.CheckText(e.key(), "metadata key #" + std::to_string(i));
    if (!keys.insert(e.key()).second) r.Invalid("metadata key " + Quote(e.key()) + " appears twice");
    r.CheckText(e.value(), "metadata value " + Quote(e.key()));
  }

  const pb::Graph& g = m.graph();
  r.CheckText(g.name(), "graph name");
  for (int i = 0; i < g.inputs_size(); ++i) CheckValueInfo(r, g.inputs(i), "graph input", i);
  for (int i = 0; i < g.outputs_size(); ++i) CheckValueInfo(r, g.outputs(i), "graph output", i);
  std::set<std::string_view> infos;
  for (int i = 0; i < g.value_info_size(); ++i) {
    CheckValueInfo(r, g.value_info(i), "value_info", i);
    if (!infos.insert(g.value_info(i).name()).second)
      r.Invalid("value_info " + Quote(g.value_info(i).name()) + " appears twice");
  }
  std::map<std::string_view, const pb::Tensor*> initializers;
  for (int i = 0; i < g.initializers_size(); ++i) {
    const pb::Tensor& t = g.initializers(i);
    r.CheckName(t.name(), "initializer #" + std::to_string(i));
    if (!initializers.emplace(t.name(), &t).second) r.Invalid("initializer " + Quote(t.name()) + " appears twice");
    CheckTensor(r, t, "initializer " + Quote(t.name()));
  }
  for (int i = 0; i < g.nodes_size(); ++i) CheckNode(r, g.nodes(i), i);
  if (m.has_training()) CheckTraining(r, m.training(), initializers);
}

// ---------------------------------------------------------------------------------------------
// proto -> IR, on a checked proto.

Tensor TensorFromProto(const pb::Tensor& t) {
  Tensor out = Tensor::Uninitialized(static_cast<DType>(t.dtype()), std::vector<int64_t>(t.dims().begin(), t.dims().end()));
  CopyLittleEndian(out.raw_data(), t.raw_data().data(), t.raw_data().size(), DTypeSize(out.dtype()));
  return out;
}

graph::ValueInfo ValueInfoFromProto(const pb::ValueInfo& v) {
  graph::ValueInfo out;
  out.name = v.name();
  out.dtype = static_cast<DType>(v.dtype());
  if (v.has_shape()) {
    std::vector<graph::Dim> dims;
    dims.reserve(v.dims_size());
    for (const pb::Dim& d : v.dims()) {
      switch (d.kind_case()) {
        case pb::Dim::kValue: dims.emplace_back(d.value()); break;
        case pb::Dim::kSymbol: dims.push_back(graph::Dim::Symbol(d.symbol())); break;
        case pb::Dim::KIND_NOT_SET: dims.emplace_back(); break;
      }
    }
    out.shape = graph::Shape(std::move(dims));
  }
  return out;
}

graph::Attribute AttributeFromProto(const pb::Attribute& a) {
  switch (a.value_case()) {
    case pb::Attribute::kI: return a.i();
    case pb::Attribute::kF: return a.f();
    case pb::Attribute::kS: return a.s();
    case pb::Attribute::kInts: return std::vector<int64_t>(a.ints().values().begin(), a.ints().values().end());
    case pb::Attribute::kFloats: return std::vector<float>(a.floats().values().begin(), a.floats().values().end());
    case pb::Attribute::kStrings:
      return std::vector<std::string>(a.strings().values().begin(), a.strings().values().end());
    case pb::Attribute::VALUE_NOT_SET: break;
  }
  throw Error(ErrorCode::kInternal, "attribute " + Quote(a.name()) + " was not checked before conversion");
}

// Converts a checked proto, giving back each tensor's bytes in m as soon as they are copied, so
// that the proto and the tensors together never hold much more than the weights once.
Checkpoint FromProto(pb::Model& m, bool want_training) {
  Checkpoint out;
  graph::Model& model = out.model;
  model.format_version = m.format_version();
  model.producer_name = m.producer_name();
  model.producer_version = m.producer_version();
  model.opset_version = m.opset_version();
  for (const pb::MetadataEntry& e : m.metadata()) model.metadata.emplace(e.key(), e.value());

  pb::Graph& g = *m.mutable_graph();
  graph::Graph& graph = model.graph;
  graph.name = g.name();
  graph.nodes.reserve(g.nodes_size());
  for (const pb::Node& n : g.nodes()) {
    graph::Node node;
    node.name = n.name();
    node.op_type = n.op_type();
    node.inputs.assign(n.inputs().begin(), n.inputs().end());
    node.outputs.assign(n.outputs().begin(), n.outputs().end());
    for (const pb::Attribute& a : n.attributes()) node.attrs.emplace(a.name(), AttributeFromProto(a));
    graph.nodes.push_back(std::move(node));
  }
  for (const pb::ValueInfo& v : g.inputs()) graph.inputs.push_back(ValueInfoFromProto(v));
  for (const pb::ValueInfo& v : g.outputs()) graph.outputs.push_back(ValueInfoFromProto(v));
  for (const pb::ValueInfo& v : g.value_info()) graph.value_info.emplace(v.name(), ValueInfoFromProto(v));
  for (pb::Tensor& t : *g.mutable_initializers()) {
    graph.initializers.emplace(t.name(), TensorFromProto(t));
    std::string().swap(*t.mutable_raw_data());
  }

  if (want_training && m.has_training()) {
    const pb::TrainingState& t = m.training();
    TrainingState& state = out.training.emplace();
    state.step = t.step();
    state.optimizer = t.optimizer();
    state.epoch = t.epoch();
    state.shuffle_seed = t.shuffle_seed();
    state.data_samples = t.data_samples();
    state.data_fingerprint = t.data_fingerprint();
    state.rng_seed = t.rng_seed();
    state.rng_counter = t.rng_counter();
    state.loss = t.loss();
    for (const pb::HyperParameter& h : t.hyper_parameters()) state.hyper_parameters.emplace(h.name(), h.value());
    for (pb::ParameterState& p : *m.mutable_training()->mutable_parameters()) {
      auto& slots = state.slots[p.parameter()];
      for (pb::Tensor& s : *p.mutable_slots()) {
        slots.emplace(s.name(), TensorFromProto(s));
        std::string().swap(*s.mutable_raw_data());
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// IR -> proto. Only what the proto cannot express is checked here; CheckModel does the rest.

void TensorToProto(const Reporter& r, const Tensor& t, const std::string& name, const std::string& what,
                   pb::Tensor* out) {
  if (!t.defined()) r.Invalid(what + " is an undefined tensor");
  out->set_name(name);
  out->set_dtype(static_cast<pb::DataType>(t.dtype()));
  for (int64_t d : t.shape()) out->add_dims(d);
  std::string* raw = out->mutable_raw_data();
  raw->resize(t.nbytes());
  CopyLittleEndian(raw->data(), t.raw_data(), t.nbytes(), DTypeSize(t.dtype()));
}

void ValueInfoToProto(const Reporter& r, const graph::ValueInfo& v, pb::ValueInfo* out) {
  out->set_name(v.name);
  out->set_dtype(static_cast<pb::DataType>(v.dtype));
  out->set_has_shape(v.shape.has_rank());
  for (std::size_t i = 0; i < v.shape.dims().size(); ++i) {
    const graph::Dim& d = v.shape.dims()[i];
    pb::Dim* dim = out->add_dims();
    if (d.known()) {
      dim->set_value(d.value());
    } else if (!d.symbol().empty()) {
      dim->set_symbol(d.symbol());
    } else if (d.value() != -1) {
      // Dim(-5): unknown, but not the anonymous Dim() it would read back as.
      r.Invalid("value " + Quote(v.name) + " dim " + std::to_string(i) + " is " + std::to_string(d.value()) +
                "; a known dim must be >= 0");
    }
  }
}

pb::Model ToProto(const Reporter& r, const graph::Model& model, const TrainingState* training) {
  pb::Model m;
  m.set_format_version(graph::Model::kFormatVersion);
  m.set_producer_name(model.producer_name);
  m.set_producer_version(model.producer_version);
  m.set_opset_version(model.opset_version);
  for (const auto& [key, value] : model.metadata) {
    pb::MetadataEntry* e = m.add_metadata();
    e->set_key(key);
    e->set_value(value);
  }
  const graph::Graph& graph = model.graph;
  pb::Graph* g = m.mutable_graph();
  g->set_name(graph.name);
  for (const graph::Node& node : graph.nodes) {
    pb::Node* n = g->add_nodes();
    n->set_name(node.name);
    n->set_op_type(node.op_type);
    for (const std::string& in : node.inputs) n->add_inputs(in);
    for (const std::string& out : node.outputs) n->add_outputs(out);
    for (const auto& [name, value] : node.attrs) {
      pb::Attribute* a = n->add_attributes();
      a->set_name(name);
      std::visit(
          [a, &r, &node, &name](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            // Tensor attributes (ConstantOfShape's value) have no field in the format yet.
            if constexpr (std::is_same_v<T, graph::TensorAttr>)
              r.Unsupported(node.Describe() + " attribute " + Quote(name) + " is a tensor; the .axon format cannot store tensor attributes yet");
            else if constexpr (std::is_same_v<T, int64_t>) a->set_i(v);
            else if constexpr (std::is_same_v<T, float>) a->set_f(v);
            else if constexpr (std::is_same_v<T, std::string>) a->set_s(v);
            else if constexpr (std::is_same_v<T, std::vector<int64_t>>) a->mutable_ints()->mutable_values()->Add(v.begin(), v.end());
            else if constexpr (std::is_same_v<T, std::vector<float>>) a->mutable_floats()->mutable_values()->Add(v.begin(), v.end());
            else {
              pb::Strings* list = a->mutable_strings();  // sets the oneof even for an empty list
              for (const std::string& s : v) list->add_values(s);
            }
          },
          value);
    }
  }
  for (const graph::ValueInfo& v : graph.inputs) ValueInfoToProto(r, v, g->add_inputs());
  for (const graph::ValueInfo& v : graph.outputs) ValueInfoToProto(r, v, g->add_outputs());
  for (const auto& [name, v] : graph.value_info) {
    if (v.name != name)
      r.Invalid("value_info entry " + Quote(name) + " holds a ValueInfo named " + Quote(v.name));
    ValueInfoToProto(r, v, g->add_value_info());
  }
  for (const auto& [name, t] : graph.initializers)
    TensorToProto(r, t, name, "initializer " + Quote(name), g->add_initializers());

  if (training) {
    const TrainingState& state = *training;
    pb::TrainingState* t = m.mutable_training();
    t->set_step(state.step);
    t->set_optimizer(state.optimizer);
    t->set_epoch(state.epoch);
    t->set_shuffle_seed(state.shuffle_seed);
    t->set_data_samples(state.data_samples);
    t->set_data_fingerprint(state.data_fingerprint);
    t->set_rng_seed(state.rng_seed);
    t->set_rng_counter(state.rng_counter);
    t->set_loss(state.loss);
    for (const auto& [name, value] : state.hyper_parameters) {
      pb::HyperParameter* h = t->add_hyper_parameters();
      h->set_name(name);
      h->set_value(value);
    }
    for (const auto& [param, slots] : state.slots) {
      pb::ParameterState* p = t->add_parameters();
      p->set_parameter(param);
      for (const auto& [slot, tensor] : slots)
        TensorToProto(r, tensor, slot, "training state of parameter " + Quote(param) + " slot " + Quote(slot),
                      p->add_slots());
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// What parsing would cost (formats/protobuf_util.h): priced before protobuf allocates anything.

void CheckParseCost(const Reporter& r, const void* data, std::size_t size) {
  if (!internal::ParseCostWithinLimit(data, size, pb::Model::descriptor()))
    r.Invalid("has too many nodes, values, attributes or list entries: parsing it would take more than " +
              std::to_string(internal::kMaxStructureCost >> 20) + " MiB beyond the file's own " + std::to_string(size) +
              " bytes");
}

// A checkpoint's checksum field: its tag (field 13, wire type 5: fixed32) and 4 value bytes, the
// last 5 bytes of the file (TrainingState is Model's last field, checksum TrainingState's).
constexpr unsigned char kChecksumTag = (13 << 3) | 5;
constexpr std::size_t kChecksumField = 5;

// The CRC of bytes up to the checksum's value when they end as a checksum field does, else none.
std::optional<uint32_t> TrailingChecksumInput(const char* data, std::size_t size) {
  if (size < kChecksumField || static_cast<unsigned char>(data[size - kChecksumField]) != kChecksumTag) return std::nullopt;
  return internal::Crc32c(data, size - 4);
}

// A checkpoint written since checksums exist must end with one that matches its bytes.
void CheckChecksum(const Reporter& r, const pb::Model& m, const char* data, std::size_t size,
                   std::optional<uint32_t> computed) {
  if (!m.has_training()) return;
  const pb::TrainingState& t = m.training();
  if (!t.checksummed() && !t.has_checksum()) return;  // written before checksums: loads unchecked
  if (!t.has_checksum() || !computed)
    r.Invalid("the checkpoint's checksum is missing or not at the end of the file: it was cut short or damaged after "
              "it was written; it cannot be trusted (train again, or from an earlier copy)");
  uint32_t stored = 0;
  internal::CopyLittleEndian(&stored, data + size - 4, 4, 4);
  if (stored != t.checksum() || stored != *computed) {
    char text[64];
    std::snprintf(text, sizeof text, "stored CRC-32C %08x, computed %08x", t.checksum(), *computed);
    r.Invalid(std::string("checksum mismatch (") + text +
              "): the checkpoint was damaged or changed after it was written (a flipped bit, a partial copy); "
              "it cannot be trusted (train again, or from an earlier copy)");
  }
}

std::string Serialize(const graph::Model& model, const TrainingState* training, const std::string& prefix) {
  const Reporter r(prefix, /*writing=*/true);
  pb::Model m = ToProto(r, model, training);
  if (training) {  // filled in below, once the bytes it covers exist
    m.mutable_training()->set_checksummed(true);
    m.mutable_training()->set_checksum(0);
  }
  CheckModel(r, m);
  const std::size_t bytes = m.ByteSizeLong();
  if (bytes > static_cast<std::size_t>(kMaxModelFileBytes))
    r.Invalid("the model is " + std::to_string(bytes) + " bytes serialized; .axon files are limited to " +
              std::to_string(kMaxModelFileBytes) + " bytes");
  std::string out;
  if (!m.SerializeToString(&out)) r.Invalid("protobuf serialization failed");
  CheckParseCost(r, out.data(), out.size());  // never write a file the reader would refuse
  if (training) {
    if (!TrailingChecksumInput(out.data(), out.size()))
      r.Invalid("internal error: the checksum field is not the end of the serialized checkpoint");
    const uint32_t crc = internal::Crc32c(out.data(), out.size() - 4);
    internal::CopyLittleEndian(out.data() + out.size() - 4, &crc, 4, 4);
  }
  return out;
}

void CheckFileSize(const Reporter& r, std::size_t size) {
  if (size == 0) r.Invalid("file is empty: not an .axon model file");
  if (size > static_cast<std::size_t>(kMaxModelFileBytes))
    r.Invalid("file is " + std::to_string(size) + " bytes; .axon files are limited to " +
              std::to_string(kMaxModelFileBytes) + " bytes");
}

// On hostile bytes protobuf may log (e.g. invalid UTF-8) before failing; the error after it is
// the one report, so keep its log quiet meanwhile.
void ParsedOrInvalid(const Reporter& r, bool parsed) {
  if (!parsed)
    r.Invalid("not a valid .axon model file (protobuf parse failed: truncated, corrupted, not an .axon "
              "file, or a name that is not UTF-8)");
}

Checkpoint Parse(const void* data, std::size_t size, const std::string& origin, bool want_training) {
  const Reporter r(origin + ": ", /*writing=*/false);
  CheckFileSize(r, size);
  CheckParseCost(r, data, size);
  const std::optional<uint32_t> crc = TrailingChecksumInput(static_cast<const char*>(data), size);
  pb::Model m;
  {
    google::protobuf::LogSilencer quiet;
    ParsedOrInvalid(r, m.ParseFromArray(data, static_cast<int>(size)));
  }
  CheckChecksum(r, m, static_cast<const char*>(data), size, crc);
  CheckModel(r, m);
  return FromProto(m, want_training);
}

// From a file: read once into memory of its own (so the bytes parsed are the bytes priced, and a
// file changed meanwhile cannot fault the process), priced, then parsed while its pages are given
// back, and each weight's protobuf bytes freed as its tensor is made. Loading so peaks at about
// the weights once plus one tensor, not file + protobuf + tensors.
Checkpoint ReadFile(const std::string& path, bool want_training) {
  const Reporter r(path + ": ", /*writing=*/false);
  internal::InputFile file(path);
  CheckFileSize(r, file.size());
  internal::FileBytes bytes(file, file.size());
  CheckParseCost(r, bytes.data(), bytes.size());
  // Before the parse gives the pages back; the last 5 bytes are kept for the check after it.
  const std::optional<uint32_t> crc = TrailingChecksumInput(bytes.data(), bytes.size());
  char tail[kChecksumField] = {};
  const std::size_t kept = std::min(bytes.size(), kChecksumField);
  std::memcpy(tail + kChecksumField - kept, bytes.data() + bytes.size() - kept, kept);
  pb::Model m;
  {
    google::protobuf::LogSilencer quiet;
    internal::ConsumingStream stream(bytes);
    ParsedOrInvalid(r, m.ParseFromZeroCopyStream(&stream));
  }
  bytes.Release(bytes.size());
  CheckChecksum(r, m, tail, kChecksumField, crc);
  CheckModel(r, m);
  return FromProto(m, want_training);
}

void WriteBytes(const std::string& bytes, const std::string& path) {
  const std::string_view chunks[] = {bytes};
  internal::WriteFileAtomically(path, chunks);
}

}  // namespace

graph::Model ParseModel(const void* data, std::size_t size, const std::string& origin) {
  return Parse(data, size, origin, /*want_training=*/false).model;
}

graph::Model ReadModelFile(const std::string& path) {
  return ReadFile(path, /*want_training=*/false).model;
}

std::string SerializeModel(const graph::Model& model) {
  return Serialize(model, nullptr, "cannot serialize model: ");
}

void WriteModelFile(const graph::Model& model, const std::string& path) {
  WriteBytes(Serialize(model, nullptr, path + ": cannot write model: "), path);
}

void StageModelFile(FileBatch& batch, const graph::Model& model, const std::string& path) {
  const std::string bytes = Serialize(model, nullptr, path + ": cannot write model: ");
  const std::string_view chunks[] = {bytes};
  batch.Add(path, chunks);
}

Checkpoint ParseCheckpoint(const void* data, std::size_t size, const std::string& origin) {
  return Parse(data, size, origin, /*want_training=*/true);
}

Checkpoint ReadCheckpointFile(const std::string& path) {
  return ReadFile(path, /*want_training=*/true);
}

std::string SerializeCheckpoint(const Checkpoint& checkpoint) {
  return Serialize(checkpoint.model, checkpoint.training ? &*checkpoint.training : nullptr, "cannot serialize model: ");
}

void WriteCheckpointFile(const Checkpoint& checkpoint, const std::string& path) {
  WriteBytes(Serialize(checkpoint.model, checkpoint.training ? &*checkpoint.training : nullptr,
                       path + ": cannot write model: "),
             path);
}

}  // namespace axon::formats
