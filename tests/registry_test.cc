// Every op is complete: a schema (graph/ops/), an adapter binding it to a kernel
// (runtime/adapters/), shape-inference tests (tagged [infer:Op]) and kernel tests through its
// adapter (tagged [kernel:Op]). Adding an op without one of them fails here.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "graph/op_schema.h"
#include "runtime/adapter.h"

namespace {

// Ops the test binary itself registers to exercise the registries (prefix "AxonTest"): they are
// fixtures, not part of Axon's op set, and some deliberately lack an adapter.
bool IsTestFixture(const std::string& op) { return op.rfind("AxonTest", 0) == 0; }

std::set<std::string> TaggedOps(const std::string& prefix) {
  std::set<std::string> ops;
  for (const Catch::TestCase& test : Catch::getAllTestCasesSorted(*Catch::getCurrentContext().getConfig()))
    for (const std::string& tag : test.tags)
      if (tag.rfind(prefix, 0) == 0) ops.insert(tag.substr(prefix.size()));
  return ops;
}

}  // namespace

TEST_CASE("every op has a schema, an adapter, shape-inference tests and kernel tests", "[registry]") {
  const std::set<std::string> inferred = TaggedOps("infer:"), kernels = TaggedOps("kernel:");
  int ops = 0;
  for (const std::string& op : axon::graph::RegisteredOps()) {
    if (IsTestFixture(op)) continue;
    ++ops;
    INFO("op " << op);
    CHECK(axon::runtime::FindAdapter(op) != nullptr);
    CHECK(inferred.count(op) == 1);
    CHECK(kernels.count(op) == 1);
  }
  CHECK(ops >= 15);
  // And nothing is tagged, or bound, for an op that does not exist.
  for (const std::string& op : axon::runtime::RegisteredAdapters()) {
    INFO("adapter " << op);
    CHECK(axon::graph::FindOpSchema(op) != nullptr);
  }
  for (const std::set<std::string>* tagged : {&inferred, &kernels})
    for (const std::string& op : *tagged) {
      INFO("tag for " << op);
      CHECK(axon::graph::FindOpSchema(op) != nullptr);
    }
}
