// Loading libaxon_onnx registers the ONNX importer with formats/model_file.h, which libaxon's
// Session::Load consults for files that are ONNX by content.
#include <cstdio>

#include "formats/model_file.h"
#include "formats/onnx/onnx_import.h"

namespace axon::formats::onnx_import {
namespace {

// Session::Load has no channel for warnings but stderr (as ONNX Runtime's default logger).
graph::Model Warned(ImportResult result) {
  for (const std::string& w : result.warnings) std::fprintf(stderr, "axon: warning: %s\n", w.c_str());
  return std::move(result.model);
}

graph::Model ReadFile(const std::string& path) { return Warned(ImportFile(path)); }
graph::Model Parse(const void* data, std::size_t size, const std::string& origin) {
  return Warned(Import(data, size, origin));
}

[[maybe_unused]] const bool kRegistered = RegisterModelImporter(ModelFormat::kOnnx, {"libaxon_onnx", ReadFile, Parse});

}  // namespace
}  // namespace axon::formats::onnx_import
