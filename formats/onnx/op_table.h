// The importer's table: one entry per ONNX op of the default domain that Axon imports, saying from
// which opset the ONNX op already has Axon's form (opset 17's: the node then maps 1:1) and which
// translator rewrites older versions (or every version, for ops Axon expresses otherwise). An entry
// may exist before Axon has the op: a node is importable when Axon has a schema for every op its
// translation emits (graph::FindOpSchema), so ops that land later need no change here.
// Internal to formats/onnx/.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/onnx/translation.h"

namespace axon::formats::onnx_import {

// axon_form_since for ops that are always translated.
inline constexpr int64_t kAlwaysTranslated = std::numeric_limits<int64_t>::max();
// last_opset for ops unchanged since (or new in) the opsets the importer reads.
inline constexpr int64_t kAnyLaterOpset = std::numeric_limits<int64_t>::max();

struct OpEntry {
  std::string_view op_type;
  int64_t first_opset;        // the oldest opset imported: older versions are unsupported
  int64_t axon_form_since;    // from this opset on the node maps 1:1 onto the Axon op of its name
  Translator translate;       // for opsets in [first_opset, axon_form_since); null when none
  std::vector<std::string_view> emits;  // Axon ops the translator always emits (1:1: the op itself)
  // The newest opset imported: ops that ONNX changed after 17 in more than their types (new
  // inputs, attributes or values: ReduceMean's axes as an input from 18, ...) stop at 17 until a
  // translator reads their new form; for the others the model-level check caps the opset
  // (onnx_import.h's kMaxOpset).
  int64_t last_opset = kAnyLaterOpset;
};

const std::vector<OpEntry>& OpTable();
const OpEntry* FindOpEntry(std::string_view op_type);

// Why a node of this (domain, op_type) in a model of this opset cannot be imported, or nullopt
// when it can: "no Axon op Conv yet", "imported from opset 7 on", "imported up to opset 17",
// "domain com.microsoft".
// With require_schemas false, only the table decides (ImportOptions::allow_missing_schemas).
std::optional<std::string> WhyUnsupported(const std::string& domain, const std::string& op_type, int64_t opset,
                                          bool require_schemas = true);

// Translates one node: 1:1 from axon_form_since on, else through the entry's translator. The node
// must be importable (WhyUnsupported gave nullopt).
void TranslateNode(Translation& t);

// The translators of op_table.cc, one family a file (translate_*.cc).
void DropConsumedInputs(Translation& t);      // opset < 6 unary ops: a legacy hint, no semantics
void LegacyBroadcast(Translation& t);         // binary ops < 7: broadcast/axis attributes
void PReluBefore7(Translation& t);            // slope per channel
void ClipBefore11(Translation& t);            // min/max attributes -> inputs
void GemmBefore7(Translation& t);             // broadcast attribute
void SoftmaxBefore13(Translation& t);         // coerced-to-2-D semantics (Softmax, LogSoftmax)
void ReduceSumBefore13(Translation& t);       // axes attribute -> input
void ReshapeBefore5(Translation& t);          // shape attribute -> input
void AxesAttributeToInput(Translation& t);    // Squeeze, Unsqueeze < 13
void SplitBefore13(Translation& t);           // split attribute -> input
void SliceBefore10(Translation& t);           // starts/ends/axes attributes -> inputs
void PadBefore11(Translation& t);             // pads/value attributes -> inputs
void ConcatBefore4(Translation& t);           // axis defaulted to 1
void CastBefore6(Translation& t);             // `to` as a type name
void TranslateBatchNormalization(Translation& t);  // spatial, is_test, training-mode exports
void DropoutToIdentity(Translation& t);       // inference: the identity
void ResizeBefore13(Translation& t);          // Resize-10 and -11 attributes and inputs
void UpsampleToResize(Translation& t);        // Upsample-7/9 as Resize
void ConstantToInitializer(Translation& t);   // every value kind
void ConstantOfShapeToExpand(Translation& t); // a tensor attribute, which Axon attributes cannot hold

}  // namespace axon::formats::onnx_import
