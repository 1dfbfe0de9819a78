// The importer's table covers issue 8's op list (and the training issue's losses), and its entries
// are consistent.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "formats/onnx/onnx_import.h"
#include "formats/onnx/op_table.h"

using namespace axon::formats::onnx_import;

TEST_CASE("the ONNX import table has an entry for every op of the import list", "[onnx][table]") {
  const std::set<std::string> listed = {
      "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Exp", "Log", "Neg", "Abs", "Erf", "Reciprocal",
      "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Softplus", "HardSigmoid", "HardSwish", "Clip",
      "Softmax", "LogSoftmax", "ReduceMean", "ReduceSum", "ReduceMax", "LayerNormalization", "BatchNormalization",
      "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "Pad", "Resize", "Reshape", "Flatten",
      "Transpose", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Gather", "Shape", "Constant",
      "ConstantOfShape", "Identity", "Dropout", "Cast", "Expand", "Where", "Equal", "Less", "Greater", "Not", "Range",
      "Upsample",
      // the training issue's losses
      "SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss",
      // Beyond the list: what real models need (torchvision's Swin Transformer).
      "Mod", "ScatterND",
      // ONNX opset 20.
      "Gelu"};
  std::set<std::string> in_table;
  for (const OpEntry& e : OpTable()) {
    INFO(e.op_type);
    in_table.insert(std::string(e.op_type));
    CHECK(e.first_opset >= 1);
    CHECK(e.first_opset <= e.axon_form_since);
    // Older versions than the 1:1 one need a translator, and only they.
    CHECK((e.translate != nullptr) == (e.first_opset < e.axon_form_since));
    CHECK((e.last_opset == kAnyLaterOpset || (e.last_opset >= 17 && e.last_opset < kMaxOpset)));
    CHECK(FindOpEntry(e.op_type) == &e);
  }
  CHECK(in_table == listed);
  CHECK(FindOpEntry("NoSuchOp") == nullptr);
}

TEST_CASE("an op is importable once Axon has every op its translation emits", "[onnx][table]") {
  CHECK_FALSE(WhyUnsupported("", "Relu", 13));
  CHECK(WhyUnsupported("", "Relu", 13 + 100) == std::nullopt);  // the model-level check caps opsets
  CHECK(*WhyUnsupported("com.microsoft", "Gelu", 1) == "domain com.microsoft");
  CHECK(*WhyUnsupported("", "Erf", 8) == "imported from opset 9");
  CHECK(*WhyUnsupported("", "NoSuchOp", 13) == "not in the importer's table");
  // Changed after 17 beyond its types: up to 17 only; changed in its types only: up to 20.
  CHECK_FALSE(WhyUnsupported("", "ReduceMean", 17));
  CHECK(*WhyUnsupported("", "ReduceMean", 18) == "imported up to opset 17 (its newer version is not translated yet)");
  CHECK_FALSE(WhyUnsupported("", "Reshape", 20));
  CHECK_FALSE(WhyUnsupported("", "Gelu", 20));
  CHECK(*WhyUnsupported("", "Gelu", 17) == "imported from opset 20");
}
