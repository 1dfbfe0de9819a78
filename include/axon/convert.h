// Converting an ONNX model into an .axon file, as `axon convert` does, from an application.
// In libaxon; it reads ONNX through the importer that libaxon_onnx registers when it is loaded,
// so an application that converts links libaxon_onnx as well (as one whose Session::Load reads
// ONNX files does); without it, an error says so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "axon/export.h"

namespace axon {

// The .axon model written.
struct Conversion {
  int64_t opset = 0;  // Axon's op set version
  std::size_t nodes = 0, initializers = 0, inputs = 0, outputs = 0;
};

// Imports the ONNX model at onnx_path, checks it as loading would (graph verifier, shape and
// dtype inference) and writes it to axon_path atomically. Throws axon::Error naming the file: an
// .axon input, an unsupported op (all of them listed), a hostile file, an I/O failure, no
// importer loaded.
AXON_API Conversion ConvertOnnx(const std::string& onnx_path, const std::string& axon_path);

}  // namespace axon
