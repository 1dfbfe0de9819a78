#include "runtime/kernel_registry.h"

#include <map>

namespace axon::runtime {
namespace {
std::map<std::string, KernelFn, std::less<>>& Registry() {
  static auto* registry = new std::map<std::string, KernelFn, std::less<>>();
  return *registry;
}
}  // namespace

bool RegisterKernel(std::string_view op_type, KernelFn fn) {
  auto [it, inserted] = Registry().emplace(std::string(op_type), std::move(fn));
  if (!inserted) throw Error(ErrorCode::kInternal, "kernel for " + std::string(op_type) + " registered twice");
  return true;
}

const KernelFn* FindKernel(std::string_view op_type) {
  auto it = Registry().find(op_type);
  return it == Registry().end() ? nullptr : &it->second;
}

}  // namespace axon::runtime
