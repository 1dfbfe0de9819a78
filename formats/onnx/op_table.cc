#include "formats/onnx/op_table.h"

#include <algorithm>

#include "graph/op_schema.h"

namespace axon::formats::onnx_import {

// Versions from ONNX's operator changelog (Operators.md / Changelog.md, ONNX 1.12). "since" is the
// first opset whose version of the op equals opset 17's up to type constraints or additions whose
// defaults keep the old behaviour (e.g. AveragePool's count_include_pad, MaxPool's ceil_mode).
// Opsets 18 to 20 changed, of these ops, only the types of Cast, Constant, ConstantOfShape, Equal,
// Identity, Reshape and Shape (1:1 still); AveragePool (19: dilations), Pad (18: axes input; 19:
// wrap), ReduceMax and ReduceMean (18: axes as an input; 20: bool), Resize (18, 19: new attributes
// and modes), ScatterND (18: max, min) and Split (18: num_outputs) are imported up to opset 17
// (last_opset). Opset 20 added Gelu with Axon's form.
const std::vector<OpEntry>& OpTable() {
  static const std::vector<OpEntry> table = [] {
    std::vector<OpEntry> t = {
        // op                  first  1:1 since          translator for older versions
        {"Abs",                    1,  6,                 DropConsumedInputs,        {"Abs"}},
        {"Add",                    1,  7,                 LegacyBroadcast,           {"Add"}},
        {"AveragePool",            1,  1,                 nullptr,                   {"AveragePool"}, 17},
        {"BatchNormalization",     1,  kAlwaysTranslated, TranslateBatchNormalization, {"BatchNormalization"}},
        {"Cast",                   1,  6,                 CastBefore6,               {"Cast"}},
        {"Clip",                   1,  11,                ClipBefore11,              {"Clip"}},
        {"Concat",                 1,  4,                 ConcatBefore4,             {"Concat"}},
        {"Constant",               1,  kAlwaysTranslated, ConstantToInitializer,     {}},
        {"ConstantOfShape",        9,  kAlwaysTranslated, ConstantOfShapeToExpand,   {"Expand"}},
        {"Conv",                   1,  1,                 nullptr,                   {"Conv"}},
        {"ConvTranspose",          1,  1,                 nullptr,                   {"ConvTranspose"}},
        {"Div",                    1,  7,                 LegacyBroadcast,           {"Div"}},
        {"Dropout",                1,  kAlwaysTranslated, DropoutToIdentity,         {"Identity"}},
        {"Elu",                    1,  6,                 DropConsumedInputs,        {"Elu"}},
        {"Equal",                  1,  7,                 LegacyBroadcast,           {"Equal"}},
        {"Erf",                    9,  9,                 nullptr,                   {"Erf"}},
        {"Exp",                    1,  6,                 DropConsumedInputs,        {"Exp"}},
        {"Expand",                 8,  8,                 nullptr,                   {"Expand"}},
        {"Flatten",                1,  1,                 nullptr,                   {"Flatten"}},
        {"Gather",                 1,  1,                 nullptr,                   {"Gather"}},
        {"Gelu",                  20,  20,                nullptr,                   {"Gelu"}},
        {"Gemm",                   1,  7,                 GemmBefore7,               {"Gemm"}},
        {"GlobalAveragePool",      1,  1,                 nullptr,                   {"GlobalAveragePool"}},
        {"Greater",                1,  7,                 LegacyBroadcast,           {"Greater"}},
        {"HardSigmoid",            1,  6,                 DropConsumedInputs,        {"HardSigmoid"}},
        {"HardSwish",             14,  14,                nullptr,                   {"HardSwish"}},
        {"Identity",               1,  1,                 nullptr,                   {"Identity"}},
        {"LayerNormalization",    17,  17,                nullptr,                   {"LayerNormalization"}},
        {"LeakyRelu",              1,  6,                 DropConsumedInputs,        {"LeakyRelu"}},
        {"Less",                   1,  7,                 LegacyBroadcast,           {"Less"}},
        {"Log",                    1,  6,                 DropConsumedInputs,        {"Log"}},
        {"LogSoftmax",             1,  13,                SoftmaxBefore13,           {"LogSoftmax", "Flatten", "Reshape"}},
        {"MatMul",                 1,  1,                 nullptr,                   {"MatMul"}},
        {"MaxPool",                1,  1,                 nullptr,                   {"MaxPool"}},
        {"Mod",                   10,  10,                nullptr,                   {"Mod"}},
        {"Mul",                    1,  7,                 LegacyBroadcast,           {"Mul"}},
        {"Neg",                    1,  6,                 DropConsumedInputs,        {"Neg"}},
        {"NegativeLogLikelihoodLoss", 12, 12,             nullptr,                   {"NegativeLogLikelihoodLoss"}},
        {"Not",                    1,  1,                 nullptr,                   {"Not"}},
        {"Pad",                    1,  11,                PadBefore11,               {"Pad"}, 17},
        {"Pow",                    1,  7,                 LegacyBroadcast,           {"Pow"}},
        {"PRelu",                  1,  7,                 PReluBefore7,              {"PRelu"}},
        {"Range",                 11,  11,                nullptr,                   {"Range"}},
        {"Reciprocal",             1,  6,                 DropConsumedInputs,        {"Reciprocal"}},
        // ReduceMean and ReduceMax keep axes as an attribute up to opset 17 (an input from 18).
        {"ReduceMax",              1,  1,                 nullptr,                   {"ReduceMax"}, 17},
        {"ReduceMean",             1,  1,                 nullptr,                   {"ReduceMean"}, 17},
        {"ReduceSum",              1,  13,                ReduceSumBefore13,         {"ReduceSum"}},
        {"Relu",                   1,  6,                 DropConsumedInputs,        {"Relu"}},
        {"Reshape",                1,  5,                 ReshapeBefore5,            {"Reshape"}},
        {"Resize",                10,  13,                ResizeBefore13,            {"Resize"}, 17},
        // reduction (opset 16) defaults to none, ScatterND-11's behaviour; 18's max and min are past 17.
        {"ScatterND",             11,  11,                nullptr,                   {"ScatterND"}, 17},
        {"Selu",                   1,  6,                 DropConsumedInputs,        {"Selu"}},
        {"Shape",                  1,  1,                 nullptr,                   {"Shape"}},
        {"Sigmoid",                1,  6,                 DropConsumedInputs,        {"Sigmoid"}},
        {"Slice",                  1,  10,                SliceBefore10,             {"Slice"}},
        {"SoftmaxCrossEntropyLoss", 12, 12,               nullptr,                   {"SoftmaxCrossEntropyLoss"}},
        {"Softmax",                1,  13,                SoftmaxBefore13,           {"Softmax", "Flatten", "Reshape"}},
        {"Softplus",               1,  1,                 nullptr,                   {"Softplus"}},
        {"Split",                  1,  13,                SplitBefore13,             {"Split"}, 17},
        {"Sqrt",                   1,  6,                 DropConsumedInputs,        {"Sqrt"}},
        {"Squeeze",                1,  13,                AxesAttributeToInput,      {"Squeeze"}},
        {"Sub",                    1,  7,                 LegacyBroadcast,           {"Sub"}},
        {"Tanh",                   1,  6,                 DropConsumedInputs,        {"Tanh"}},
        {"Transpose",              1,  1,                 nullptr,                   {"Transpose"}},
        {"Unsqueeze",              1,  13,                AxesAttributeToInput,      {"Unsqueeze"}},
        {"Upsample",               7,  kAlwaysTranslated, UpsampleToResize,          {"Resize"}},
        {"Where",                  9,  9,                 nullptr,                   {"Where"}},
    };
    std::sort(t.begin(), t.end(), [](const OpEntry& a, const OpEntry& b) { return a.op_type < b.op_type; });
    return t;
  }();
  return table;
}

const OpEntry* FindOpEntry(std::string_view op_type) {
  const auto& t = OpTable();
  auto it = std::lower_bound(t.begin(), t.end(), op_type,
                             [](const OpEntry& e, std::string_view name) { return e.op_type < name; });
  return it != t.end() && it->op_type == op_type ? &*it : nullptr;
}

std::optional<std::string> WhyUnsupported(const std::string& domain, const std::string& op_type, int64_t opset,
                                          bool require_schemas) {
  if (!domain.empty()) return "domain " + domain;
  const OpEntry* e = FindOpEntry(op_type);
  if (!e) return "not in the importer's table";
  if (opset < e->first_opset) return "imported from opset " + std::to_string(e->first_opset);
  if (opset < e->axon_form_since && !e->translate) return "imported from opset " + std::to_string(e->axon_form_since);
  if (opset > e->last_opset)
    return "imported up to opset " + std::to_string(e->last_opset) + " (its newer version is not translated yet)";
  if (!require_schemas) return std::nullopt;
  if (opset >= e->axon_form_since) {
    if (!graph::FindOpSchema(op_type)) return "no Axon op " + op_type + " yet";
    return std::nullopt;
  }
  for (std::string_view op : e->emits)
    if (!graph::FindOpSchema(op)) return "no Axon op " + std::string(op) + " yet";
  return std::nullopt;
}

void TranslateNode(Translation& t) {
  const OpEntry* e = FindOpEntry(t.node().op_type);
  if (!e) throw Error(ErrorCode::kInternal, "ONNX import: no table entry for " + t.node().op_type);
  if (t.opset() >= e->axon_form_since) return t.Emit(t.node().op_type, t.node().inputs);
  e->translate(t);
}

}  // namespace axon::formats::onnx_import
