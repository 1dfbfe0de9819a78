// axon::ConvertOnnx (include/axon/convert.h): ONNX in, a verified .axon file out, through the
// importer that libaxon_onnx registers.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "axon/axon.h"
#include "axon/convert.h"
#include "tests/tools/cli_test_util.h"

TEST_CASE("ConvertOnnx writes an .axon file that loads as the ONNX model does", "[formats][convert]") {
  const auto dir = axon::cli_test::TempDir("convert_onnx");
  const std::string onnx = std::string(AXON_ONNX_TESTDATA_DIR) + "/node/test_relu/model.onnx";
  const std::string out = (dir / "relu.axon").string();
  const axon::Conversion c = axon::ConvertOnnx(onnx, out);
  CHECK(c.nodes == 1);
  CHECK(c.inputs == 1);
  CHECK(c.outputs == 1);
  CHECK(c.initializers == 0);
  axon::Session from_onnx = axon::Session::Load(onnx), from_axon = axon::Session::Load(out);
  CHECK(from_axon.inputs()[0].ToString() == from_onnx.inputs()[0].ToString());
  CHECK(from_axon.outputs()[0].ToString() == from_onnx.outputs()[0].ToString());

  try {
    axon::ConvertOnnx(out, (dir / "again.axon").string());
    FAIL("an .axon input was converted");
  } catch (const axon::Error& e) {
    CHECK(std::string(e.what()) == out + ": is an .axon model already (convert reads ONNX models)");
  }
  CHECK_THROWS_WITH(axon::ConvertOnnx((dir / "nothere.onnx").string(), out), Catch::Contains("nothere.onnx"));
  CHECK_FALSE(std::filesystem::exists(dir / "again.axon"));
  std::filesystem::remove_all(dir);
}
