// Loading a model file of any format Axon reads: its own .axon, or a foreign format through an
// importer that a separate library registers when it is loaded (libaxon_onnx registers the ONNX
// importer). libaxon itself links no ONNX code, so an application that only runs .axon files
// carries none; one that did not link the importer gets one clear error for an ONNX file.
//
// The format is recognized by content (SniffModelFormat): both formats are protobuf messages whose
// field 1 is a varint, so the first fields that differ in wire type decide. The extension is only
// a tie-breaker for bytes that decide nothing (empty, garbage), so that such a file named .onnx is
// reported as a broken ONNX file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "axon/export.h"
#include "graph/ir.h"

namespace axon::formats {

enum class ModelFormat {
  kUnknown,  // the bytes decide nothing: empty, truncated before a deciding field, or garbage
  kAxon,
  kOnnx,
};

const char* ModelFormatName(ModelFormat format);  // "unknown", ".axon", "ONNX"

// Walks the top-level protobuf fields of a model's first bytes (no allocation, no full parse) and
// stops at the first one that only one format has in that shape:
//   .axon (proto/axon.proto): field 4 opset_version as a varint, field 5 graph as a message;
//   ONNX (onnx.proto ModelProto): field 4 domain as a string, field 5 model_version as a varint,
//   field 7 graph or field 8 opset_import as a message (before any .axon graph), or any field
//   numbered 8 or more (.axon has none).
// Fields 1-3 (a varint and two strings in both) and 6 decide nothing.
ModelFormat SniffModelFormat(const void* data, std::size_t size);
// Reads a few bytes of the file (kIo when it cannot be opened or is not a regular file).
ModelFormat SniffModelFile(const std::string& path);

// What a foreign-format library provides. Both functions throw axon::Error whose message starts
// with the path (or origin) and return an unverified graph::Model in Axon's op set.
struct ModelImporter {
  const char* library;  // the library that registered it, for messages: "libaxon_onnx"
  graph::Model (*read_file)(const std::string& path);
  graph::Model (*parse)(const void* data, std::size_t size, const std::string& origin);
};

// Called from a static initializer of the importer's library. Returns true (for that initializer).
// The one internal function libaxon.so exports (scripts/check-public-api allows it by name):
// libaxon_onnx.so calls it across the library boundary. Both must come from one build, since the
// graph::Model that the importer returns is built by libaxon_onnx's own copy of the graph layer.
AXON_API bool RegisterModelImporter(ModelFormat format, ModelImporter importer);
const ModelImporter* FindModelImporter(ModelFormat format);

// Reads or parses a model of any format: .axon through formats/axon_format.h, others through their
// registered importer; kUnsupported naming the file when none is registered. Unverified, like
// ReadModelFile (the verifier checks the graph).
graph::Model ReadAnyModelFile(const std::string& path);
graph::Model ParseAnyModel(const void* data, std::size_t size, const std::string& origin);

}  // namespace axon::formats
