#include "runtime/adapter.h"

#include <map>

namespace axon::runtime {
namespace {
std::map<std::string, AdapterFn, std::less<>>& Registry() {
  static auto* registry = new std::map<std::string, AdapterFn, std::less<>>();
  return *registry;
}
}  // namespace

int64_t BindContext::OutElements(std::size_t i) const {
  int64_t n = 1;
  for (int64_t d : OutShape(i)) n *= d;  // planned shapes are bounded by kMaxElementCount
  return n;
}

bool RegisterAdapter(std::string_view op_type, AdapterFn fn) {
  auto [it, inserted] = Registry().emplace(std::string(op_type), std::move(fn));
  if (!inserted) throw Error(ErrorCode::kInternal, "adapter for " + std::string(op_type) + " registered twice");
  return true;
}

const AdapterFn* FindAdapter(std::string_view op_type) {
  auto it = Registry().find(op_type);
  return it == Registry().end() ? nullptr : &it->second;
}

std::vector<std::string> RegisteredAdapters() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : Registry()) names.push_back(name);
  return names;
}

BoundStep AliasOf(int input) {
  BoundStep step;
  step.alias_input = input;
  return step;
}

}  // namespace axon::runtime
