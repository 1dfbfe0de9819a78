// Converting ONNX models to .axon files, as `axon convert` does. Lives in libaxon_onnx (the
// importer), so an application that only runs .axon files links no ONNX code; linking
// libaxon_onnx also lets Session::Load read ONNX files directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

// Exported when the library is built with hidden visibility.
#if defined(__GNUC__) || defined(__clang__)
#define AXON_ONNX_API __attribute__((visibility("default")))
#else
#define AXON_ONNX_API
#endif

namespace axon {

struct OnnxConversion {
  int64_t ir_version = 0;       // the ONNX file's IR version
  int64_t onnx_opset = 0;       // its default domain's opset
  std::size_t onnx_nodes = 0;   // nodes in the ONNX graph, Constant nodes included
  std::size_t constants = 0;    // Constant nodes that became initializers
  int64_t axon_opset = 0;       // Axon's op set version written
  std::size_t nodes = 0, initializers = 0, inputs = 0, outputs = 0;  // of the .axon graph written
};

// Imports the ONNX model at onnx_path, checks it as loading would (graph verifier, shape and
// dtype inference) and writes it to axon_path atomically. Throws axon::Error naming the file: an
// .axon input, an unsupported op (all of them listed), a hostile file, an I/O failure.
AXON_ONNX_API OnnxConversion ConvertOnnx(const std::string& onnx_path, const std::string& axon_path);

}  // namespace axon
