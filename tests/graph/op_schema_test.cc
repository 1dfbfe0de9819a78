#include <catch2/catch.hpp>

#include "graph/op_schema.h"

using namespace axon;
using namespace axon::graph;

TEST_CASE("every registered op belongs to an op-set version this build knows", "[graph][op_schema]") {
  STATIC_REQUIRE(Model::kOpsetVersion == kOpsetVersion);
  for (const std::string& op : RegisteredOps()) {
    INFO(op);
    const int64_t since = FindOpSchema(op)->since_version();
    CHECK(since >= 1);
    CHECK(since <= kOpsetVersion);
  }
}

TEST_CASE("Since refuses versions outside the op set", "[graph][op_schema]") {
  OpSchema s("Test");
  CHECK(s.since_version() == 1);
  CHECK(s.Since(kOpsetVersion).since_version() == kOpsetVersion);
  CHECK_THROWS_WITH(s.Since(0), Catch::Contains("op Test: Since(0)"));
  CHECK_THROWS_WITH(s.Since(kOpsetVersion + 1), Catch::Contains("outside op-set versions"));
}

TEST_CASE("a schema holds a gradient rule when given one", "[graph][op_schema]") {
  OpSchema s("Test");
  CHECK_FALSE(s.has_grad());
  s.Grad([](GradContext&) {});
  CHECK(s.has_grad());
  CHECK(static_cast<bool>(s.grad()));
}

TEST_CASE("outputs past the required count are optional", "[graph][op_schema]") {
  OpSchema s("AxonTestTwoOutputs");
  s.Inputs({"X"}).Outputs({"Y", "Extra"}, 1);
  CHECK(s.min_outputs() == 1);
  CHECK(s.output_names().size() == 2);
  auto infer = [&](std::vector<std::string> outputs) {
    Node node{"n", "AxonTestTwoOutputs", {"x"}, std::move(outputs), {}};
    InferContext ctx(node, s);
    ctx.inputs = {ValueInfo{"x", DType::kF32, Shape({2})}};
    ctx.input_values = {nullptr};
    s.RunInference(ctx);
  };
  CHECK_NOTHROW(infer({"y"}));
  CHECK_NOTHROW(infer({"y", "e"}));
  CHECK_THROWS_WITH(infer({}), Catch::Contains("expects 1 to 2 outputs, got 0"));
  CHECK_THROWS_WITH(infer({"y", "e", "f"}), Catch::Contains("expects 1 to 2 outputs, got 3"));
  OpSchema exact("AxonTestOneOutput");
  CHECK(exact.Outputs({"Y"}).min_outputs() == 1);
}
