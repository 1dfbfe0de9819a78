#include "runtime/kernel_registry.h"

#include <map>

namespace axon::runtime {
namespace {
std::map<std::string, Kernel, std::less<>>& Registry() {
  static auto* registry = new std::map<std::string, Kernel, std::less<>>();
  return *registry;
}
}  // namespace

bool RegisterKernel(std::string_view op_type, KernelFn fn, PrepareFn prepare) {
  auto [it, inserted] = Registry().emplace(std::string(op_type), Kernel{std::move(fn), std::move(prepare)});
  if (!inserted) throw Error(ErrorCode::kInternal, "kernel for " + std::string(op_type) + " registered twice");
  return true;
}

bool RegisterAliasKernel(std::string_view op_type, int input) {
  auto [it, inserted] = Registry().emplace(std::string(op_type), Kernel{nullptr, nullptr, input});
  if (!inserted) throw Error(ErrorCode::kInternal, "kernel for " + std::string(op_type) + " registered twice");
  return true;
}

const Kernel* FindKernel(std::string_view op_type) {
  auto it = Registry().find(op_type);
  return it == Registry().end() ? nullptr : &it->second;
}

}  // namespace axon::runtime
