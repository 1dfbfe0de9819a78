#include "runtime/kernels/target.h"

#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "tests/runtime/kernels/for_each_target.h"

namespace axon::kernels {
namespace {

TEST_CASE("ForEachTarget really switches the dispatched target", "[kernels][target]") {
  const std::vector<std::string> compiled = CompiledTargetNames();
  REQUIRE(!compiled.empty());
  // Without a mock, dispatch picks the best target, and CompiledTargetNames lists it first.
  CHECK(std::string(DispatchedTargetName()) == compiled.front());

  std::set<std::string> seen;
  std::size_t runs = 0;
  test::ForEachTarget([&](const char* target) {
    CHECK(std::string(DispatchedTargetName()) == target);
    seen.insert(DispatchedTargetName());
    ++runs;
  });
  CHECK(runs == compiled.size());
  CHECK(seen == std::set<std::string>(compiled.begin(), compiled.end()));
  // The mock is gone again: back to the best target.
  CHECK(std::string(DispatchedTargetName()) == compiled.front());
}

}  // namespace
}  // namespace axon::kernels
