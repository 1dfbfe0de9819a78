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
