// axon::ConvertOnnx (include/axon/convert.h): what `axon convert` does, for applications and the
// bindings. The ONNX file is read through the registered importer (formats/model_file.h), so that
// libaxon itself links no ONNX code.
#include "axon/convert.h"

#include "axon/error.h"
#include "formats/axon_format.h"
#include "formats/model_file.h"
#include "graph/verifier.h"

namespace axon {

Conversion ConvertOnnx(const std::string& onnx_path, const std::string& axon_path) {
  if (formats::SniffModelFile(onnx_path) == formats::ModelFormat::kAxon)
    throw Error(ErrorCode::kInvalidArgument, onnx_path + ": is an .axon model already (convert reads ONNX models)");
  graph::Model model = formats::ReadAnyModelFile(onnx_path);
  try {
    graph::Verify(model.graph);
  } catch (const Error& e) {
    throw Error(e.code(), onnx_path + ": " + e.what());
  }
  formats::WriteModelFile(model, axon_path);
  const graph::Graph& g = model.graph;
  return {model.opset_version, g.nodes.size(), g.initializers.size(), g.inputs.size(), g.outputs.size()};
}

}  // namespace axon
