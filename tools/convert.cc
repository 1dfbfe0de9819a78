// axon convert: an ONNX model into an .axon file.
#include <cstdio>
#include <string>

#include "formats/axon_format.h"
#include "formats/model_file.h"
#include "formats/onnx/onnx_import.h"
#include "graph/verifier.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/output_names.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon convert IN.onnx OUT.axon

Imports the ONNX model IN into Axon's op set (ONNX opset 17's ops; older opsets are translated
where an op allows, see README), checks it as loading would (the graph verifier, shape and dtype
inference) and writes OUT as an .axon file. OUT is written atomically: it appears complete or
not at all, and nothing is left behind when anything fails. Prints the nodes read and written.

A model whose ops Axon cannot import fails with one line listing every unsupported
(op, opset) pair and how many nodes use it. ONNX files that keep their weights in external data
files are refused. A graph output declared with dims that its node does not compute (a stale
declaration, e.g. torch.onnx.export's for ceil_mode pooling) gets the computed dims and a
warning on stderr.
)";

int ConvertMain(const std::vector<std::string>& argv) {
  Args args("convert", argv, {});
  const std::string in = args.Positional(0, "IN");
  const std::string out = args.Positional(1, "OUT");
  args.MaxPositional(2);
  if (formats::SniffModelFile(in) == formats::ModelFormat::kAxon)
    throw Error(ErrorCode::kInvalidArgument, in + ": is an .axon model already (convert reads ONNX models)");
  formats::onnx_import::ImportResult imported = formats::onnx_import::ImportFile(in);
  for (const std::string& w : imported.warnings) std::fprintf(stderr, "warning: %s\n", Escaped(w).c_str());
  graph::Graph& g = imported.model.graph;
  try {
    graph::Verify(g);
  } catch (const Error& e) {
    throw Error(e.code(), in + ": " + e.what());
  }
  formats::WriteModelFile(imported.model, out);
  std::printf("%s: ONNX IR %lld, opset %lld, %zu nodes (%zu Constant nodes became initializers)\n", Escaped(in).c_str(),
              static_cast<long long>(imported.ir_version), static_cast<long long>(imported.opset), imported.onnx_nodes,
              imported.constants);
  std::printf("%s: Axon op set %lld, %zu nodes, %zu initializers, %zu inputs, %zu outputs\n", Escaped(out).c_str(),
              static_cast<long long>(imported.model.opset_version), g.nodes.size(), g.initializers.size(), g.inputs.size(),
              g.outputs.size());
  return 0;
}

}  // namespace

AXON_COMMAND("convert", "import an ONNX model and save it as an .axon file", kUsage, ConvertMain);

}  // namespace axon::cli
