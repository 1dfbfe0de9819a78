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

TEST_CASE("outputs past the schema's minimum are optional and may be left off the end", "[graph][op_schema]") {
  OpSchema s("Test");
  s.Inputs({"X"}).Outputs({"Y", "Extra"}, 1).Infer([](InferContext& ctx) {
    for (std::size_t i = 0; i < ctx.outputs.size(); ++i) ctx.SetOutput(i, DType::kF32, ctx.InShape(0));
  });
  CHECK(s.min_outputs() == 1);
  auto infer = [&](std::vector<std::string> outputs) {
    Node node{"n", "Test", {"x"}, std::move(outputs), {}};
    InferContext ctx(node, s);
    ctx.inputs = {ValueInfo{"x", DType::kF32, Shape({2})}};
    s.RunInference(ctx);
    return ctx.outputs.size();
  };
  CHECK(infer({"y"}) == 1);
  CHECK(infer({"y", "extra"}) == 2);
  CHECK_THROWS_WITH(infer({"y", "extra", "more"}), Catch::Contains("expects 1 to 2 outputs, got 3"));
  CHECK_THROWS_WITH(infer({}), Catch::Contains("expects 1 to 2 outputs, got 0"));
  CHECK(OpSchema("Plain").Outputs({"Y"}).min_outputs() == 1);
}
