// Tensor attributes (ConstantOfShape's value) exist in the IR but not yet in the .axon format:
// writing one is refused with a message naming the node and attribute, never written lossily.
#include <catch2/catch.hpp>

#include "formats/axon_format.h"

using namespace axon;

TEST_CASE("writing a tensor attribute is refused until the format can store one", "[formats]") {
  graph::Model m;
  m.graph.name = "g";
  m.graph.inputs = {{"shape", DType::kI64, graph::Shape({2})}};
  m.graph.nodes = {graph::Node{"fill", "ConstantOfShape", {"shape"}, {"y"},
                               {{"value", graph::TensorAttr{Tensor::FromVector(std::vector<float>{1.5f}, {1})}}}}};
  m.graph.outputs = {{"y", DType::kF32, graph::Shape::UnknownRank()}};
  try {
    formats::SerializeModel(m);
    FAIL("a tensor attribute was written");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kInvalidArgument);
    CHECK_THAT(e.what(), Catch::Contains("node 'fill' (ConstantOfShape) attribute 'value' is a tensor"));
  }
}
