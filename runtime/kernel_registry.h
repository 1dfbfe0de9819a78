// Kernels are registered by op name (AXON_KERNEL in runtime/kernels/). A kernel sees buffers,
// shapes and attribute values through KernelContext, never the graph IR.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "axon/tensor.h"
#include "graph/op_schema.h"

namespace axon::runtime {

class KernelContext {
 public:
  KernelContext(std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs, const graph::AttrReader& attrs)
      : inputs_(std::move(inputs)), outputs_(std::move(outputs)), attrs_(attrs) {}

  std::size_t num_inputs() const { return inputs_.size(); }
  bool HasIn(std::size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr && inputs_[i]->defined(); }
  const Tensor& In(std::size_t i) const { return *inputs_.at(i); }
  // Allocated by the executor with the inferred shape and dtype. A kernel whose output shares
  // its input's storage (Reshape, Identity) may assign a view of the input instead.
  Tensor& Out(std::size_t i) { return *outputs_.at(i); }
  const graph::AttrReader& attrs() const { return attrs_; }

 private:
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor*> outputs_;
  const graph::AttrReader& attrs_;
};

using KernelFn = std::function<void(KernelContext&)>;

bool RegisterKernel(std::string_view op_type, KernelFn fn);
const KernelFn* FindKernel(std::string_view op_type);

#define AXON_KERNEL_CONCAT_(a, b) a##b
#define AXON_KERNEL_CONCAT(a, b) AXON_KERNEL_CONCAT_(a, b)
#define AXON_KERNEL(op_name, ...)                                                        \
  [[maybe_unused]] static const bool AXON_KERNEL_CONCAT(axon_kernel_, __COUNTER__) = \
      ::axon::runtime::RegisterKernel(#op_name, __VA_ARGS__)

}  // namespace axon::runtime
