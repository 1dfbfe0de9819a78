#include "runtime/kernel_registry.h"

#include <map>

namespace axon::runtime {
namespace {
std::map<std::string, Kernel, std::less<>>& Registry() {
  static auto* registry = new std::map<std::string, Kernel, std::less<>>();
  return *registry;
}
}  // namespace

void KernelContext::RequireSameShape(const char* op, std::size_t in, std::size_t out) const {
  const Tensor& x = In(in);
  const Tensor& y = *outputs_.at(out);
  if (x.shape() != y.shape())
    throw Error(ErrorCode::kInternal, std::string(op) + ": output shape " + ShapeToString(y.shape()) +
                                          " differs from input shape " + ShapeToString(x.shape()));
}

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
