// axon::ConvertOnnx (include/axon/onnx.h): the import-verify-write that `axon convert` and the
// bindings share.
#include "axon/onnx.h"

#include "axon/error.h"
#include "formats/axon_format.h"
#include "formats/model_file.h"
#include "formats/onnx/onnx_import.h"
#include "graph/verifier.h"

namespace axon {

OnnxConversion ConvertOnnx(const std::string& onnx_path, const std::string& axon_path) {
  if (formats::SniffModelFile(onnx_path) == formats::ModelFormat::kAxon)
    throw Error(ErrorCode::kInvalidArgument, onnx_path + ": is an .axon model already (convert reads ONNX models)");
  formats::onnx_import::ImportResult imported = formats::onnx_import::ImportFile(onnx_path);
  graph::Graph& g = imported.model.graph;
  try {
    graph::Verify(g);
  } catch (const Error& e) {
    throw Error(e.code(), onnx_path + ": " + e.what());
  }
  formats::WriteModelFile(imported.model, axon_path);
  return {imported.ir_version, imported.opset, imported.onnx_nodes, imported.constants, imported.model.opset_version,
          g.nodes.size(), g.initializers.size(), g.inputs.size(), g.outputs.size()};
}

}  // namespace axon
