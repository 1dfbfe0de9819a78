// Kernels are registered by op name (AXON_KERNEL in runtime/kernels/). A kernel sees buffers,
// shapes and attribute values through KernelContext, never the graph IR.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "axon/tensor.h"
#include "graph/op_schema.h"

namespace axon::runtime {

class KernelContext {
 public:
  KernelContext(std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs, const graph::AttrReader& attrs,
                const void* prepared = nullptr)
      : inputs_(std::move(inputs)), outputs_(std::move(outputs)), attrs_(attrs), prepared_(prepared) {}

  std::size_t num_inputs() const { return inputs_.size(); }
  bool HasIn(std::size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr && inputs_[i]->defined(); }
  const Tensor& In(std::size_t i) const { return *inputs_.at(i); }
  // Allocated by the executor with the inferred shape and dtype. A kernel whose output shares
  // its input's storage (Reshape, Identity) may assign a view of the input instead.
  Tensor& Out(std::size_t i) { return *outputs_.at(i); }
  const graph::AttrReader& attrs() const { return attrs_; }
  // For kernels whose output has their input's shape: throws kInternal naming `op` otherwise.
  void RequireSameShape(const char* op, std::size_t in = 0, std::size_t out = 0) const;
  // What the kernel's prepare step made when the session was compiled (nullptr if nothing).
  template <typename T> const T* Prepared() const { return static_cast<const T*>(prepared_); }

 private:
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor*> outputs_;
  const graph::AttrReader& attrs_;
  const void* prepared_;
};

// Work a kernel does once, when a session is compiled, on its constant inputs (e.g. packing
// weights for GEMM). constants[i] is the i-th input's value when it is an initializer, else
// nullptr. What it returns is handed to every run of that node through Prepared<T>().
struct PrepareContext {
  std::vector<const Tensor*> constants;
  const graph::AttrReader& attrs;
};

using KernelFn = std::function<void(KernelContext&)>;
using PrepareFn = std::function<std::shared_ptr<const void>(const PrepareContext&)>;

struct Kernel {
  KernelFn run;
  PrepareFn prepare;     // may be empty
  int alias_input = -1;  // >= 0: no run; output 0 is this input's storage with the inferred shape
};

bool RegisterKernel(std::string_view op_type, KernelFn fn, PrepareFn prepare = nullptr);
// An op whose output is its input relabelled (Identity, Reshape, Flatten): the executor hands
// out input `input`'s storage under the output's inferred shape, allocating and copying nothing.
bool RegisterAliasKernel(std::string_view op_type, int input);
const Kernel* FindKernel(std::string_view op_type);

#define AXON_KERNEL_CONCAT_(a, b) a##b
#define AXON_KERNEL_CONCAT(a, b) AXON_KERNEL_CONCAT_(a, b)
#define AXON_ALIAS_KERNEL(op_name, input)                                                  \
  [[maybe_unused]] static const bool AXON_KERNEL_CONCAT(axon_kernel_, __COUNTER__) = \
      ::axon::runtime::RegisterAliasKernel(#op_name, input)

// AXON_KERNEL(Op, run) or AXON_KERNEL(Op, run, prepare)
#define AXON_KERNEL(op_name, ...)                                                        \
  [[maybe_unused]] static const bool AXON_KERNEL_CONCAT(axon_kernel_, __COUNTER__) = \
      ::axon::runtime::RegisterKernel(#op_name, __VA_ARGS__)

}  // namespace axon::runtime
