// Loading libaxon_onnx registers the ONNX importer with formats/model_file.h, which libaxon's
// Session::Load consults for files that are ONNX by content.
#include "formats/model_file.h"
#include "formats/onnx/onnx_import.h"

namespace axon::formats::onnx_import {
namespace {

graph::Model ReadFile(const std::string& path) { return ImportFile(path).model; }
graph::Model Parse(const void* data, std::size_t size, const std::string& origin) {
  return Import(data, size, origin).model;
}

[[maybe_unused]] const bool kRegistered = RegisterModelImporter(ModelFormat::kOnnx, {"libaxon_onnx", ReadFile, Parse});

}  // namespace
}  // namespace axon::formats::onnx_import
