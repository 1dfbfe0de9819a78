// The ONNX importer (libaxon_onnx): reads an ONNX ModelProto (Debian's onnx_proto, never a vendored
// onnx.proto) and translates it at the border into a graph::Model in Axon's one op set, whose ops
// have ONNX opset 17's names, inputs, attributes and defaults (and opset 20's Gelu; opsets 18 to
// 20 are read, see op_table.cc for the ops they changed). Nodes of older opsets (7..16, and
// older where an op allows) are rewritten into their opset-17 form by one translator per op family
// (formats/onnx/op_table.cc); an op is importable when its table entry covers the model's opset and
// Axon has a schema for every op the translation emits.
//
// Loading this library registers the importer with formats/model_file.h, so Session::Load and the
// CLI read .onnx files by content. libaxon itself links no ONNX code.
//
// Like the .axon loader, the importer trusts nothing: the file's size and parse cost are checked
// before protobuf allocates, every dim, count and byte length before a tensor is allocated, names
// must be UTF-8, edges must be defined and acyclic. Errors are axon::Error with a one-line message
// starting with the file name: kInvalidFile for a broken file, kUnsupported for a valid one that
// uses what Axon does not import (then one error lists every unsupported (op, opset) pair and how
// many nodes use it), kIo for the OS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "axon/tensor.h"
#include "graph/ir.h"

namespace axon::formats::onnx_import {

// The newest ONNX opset of the default domain the importer reads. Axon's op set is opset 17's
// (plus opset 20's Gelu); the few ops that changed after 17 beyond their types are imported up
// to 17 (op_table.cc).
inline constexpr int64_t kMaxOpset = 20;

struct ImportResult {
  graph::Model model;            // unverified, like formats::ReadModelFile's
  int64_t ir_version = 0;        // the file's ONNX IR version
  int64_t opset = 0;             // the default domain's opset version
  std::size_t onnx_nodes = 0;    // nodes in the ONNX graph, Constant nodes included
  std::size_t constants = 0;     // Constant nodes that became initializers
  // What the import took on itself, one line each starting with the origin: a graph output whose
  // declared dims disagree with the ones its node computes gets the computed ones (the
  // declaration is stale, e.g. torch.onnx.export's for ceil_mode pooling). Loading prints them on
  // stderr; `axon convert` too.
  std::vector<std::string> warnings;
};

struct ImportOptions {
  // Emits ops Axon has no schema for yet (their outputs' types stay unknown) instead of refusing
  // them, so that tests can check the translations into ops that land later. The result cannot
  // be verified or run; loading never sets this.
  bool allow_missing_schemas = false;
};

ImportResult ImportFile(const std::string& path);
// `origin` names the bytes in error messages (a path, or e.g. "<memory>").
ImportResult Import(const void* data, std::size_t size, const std::string& origin, const ImportOptions& options = {});

// A serialized ONNX TensorProto, e.g. the input_0.pb files of ONNX's conformance data, with the
// same checks and dtype mapping as an initializer. `name` receives the tensor's name (may be "").
Tensor ReadTensorFile(const std::string& path, std::string* name = nullptr);

}  // namespace axon::formats::onnx_import
