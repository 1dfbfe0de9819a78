// The glue from an op to its kernel. An op's adapter runs when a plan is made (once per binding
// of the input shapes): it reads the node's attributes, looks at the planned shapes, chooses the
// kernel variant, prepares constants, and returns the bound step that every run calls with
// pointers only. Kernels (runtime/kernels/) never see the IR; adapters are the only code that
// sees both.
//
//   AXON_ADAPTER(Relu, [](const BindContext& b) {
//     const int64_t n = b.OutElements(0);
//     return BoundStep{.run = [n](const StepArgs& a) { kernels::Relu(a.In<float>(0), a.Out<float>(0), n); },
//                      .in_place_input = 0};
//   });
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "axon/tensor.h"
#include "graph/op_schema.h"

namespace axon::runtime {

// What a bound step gets on every run: the node's buffers, already placed by the plan.
struct StepArgs {
  const void* const* in;  // one per node input; nullptr for an omitted optional input
  void* const* out;       // one per node output
  void* workspace;        // BoundStep::workspace_bytes of scratch, 64-byte aligned
  std::size_t num_in;     // the node's inputs, which may be fewer than its schema's

  // Null for an omitted optional input, trailing ones included: `in` and `out` are one array in
  // the plan, so in[i] past the node's inputs would be an output's buffer.
  template <class T> const T* In(std::size_t i) const { return i < num_in ? static_cast<const T*>(in[i]) : nullptr; }
  template <class T> T* Out(std::size_t i) const { return static_cast<T*>(out[i]); }
};

using StepFn = std::function<void(const StepArgs&)>;

struct BoundStep {
  StepFn run;                  // empty only for an alias step
  // >= 0: no run; output 0 is this input's storage relabelled with the output's shape (Reshape).
  int alias_input = -1;
  // >= 0: run may write output 0 over this input (same byte size), so the planner reuses the
  // input's buffer when the input dies at this step.
  int in_place_input = -1;
  int64_t workspace_bytes = 0;  // scratch this step needs while it runs
  // Bit i set: run never reads input i's own bytes, only what was prepared from it (a packed
  // weight). Set it only when every plan of this node would (the choice must not depend on the
  // shapes being planned): a constant whose every reader says so is released after planning.
  uint64_t prepared_only = 0;
  // Bit i set: run reads only input i's planned shape, never its bytes (Shape): a plan may run the
  // step while planning without knowing that input's value, and the value it makes does not
  // depend on that input's data.
  uint64_t shape_only_inputs = 0;
  // run reads each element of its inputs before it writes that element of any output (an
  // optimizer update): a caller may bind an output to the very buffer of a graph input that no
  // other step reads, and have the step update it in place (Plan::in_place_outputs).
  bool elementwise_in_place = false;
  // Output 0 is the inputs' bytes laid end to end, in order (a Concat whose outer dims are all 1):
  // the planner may have each input's producer write straight into its slice of output 0, and
  // then never calls run.
  bool joins_inputs = false;
};

// Something an adapter made from a constant or parameter input (packed weights). Shared by every
// plan of a session; re-made when a parameter it was made from changes, so a step reads it
// through this handle on every run rather than capturing the object.
struct PreparedEntry {
  std::function<std::shared_ptr<const void>()> make;
  std::vector<int> from_slots;  // the parameter/constant slots make() reads
  std::shared_ptr<const void> value;
};
template <class T>
class Prepared {
 public:
  explicit Prepared(const PreparedEntry* entry = nullptr) : entry_(entry) {}
  const T* get() const { return entry_ ? static_cast<const T*>(entry_->value.get()) : nullptr; }

 private:
  const PreparedEntry* entry_;
};

// The executor's side of binding: where prepared entries live and which inputs are constants.
class BindHost {
 public:
  virtual ~BindHost() = default;
  // The entry for (node, key), made by `make` only the first time it is asked for.
  virtual const PreparedEntry* Prepare(std::size_t node, int key, std::vector<int> from_slots,
                                       std::function<std::shared_ptr<const void>()> make) = 0;
};

class BindContext {
 public:
  struct Value {
    DType dtype = DType::kUndefined;    // kUndefined: an omitted optional input
    const std::vector<int64_t>* shape = nullptr;
    bool is_constant = false;           // a constant or a parameter: fixed while this plan runs
    const Tensor* constant = nullptr;   // its value; null once released (see prepared_only)
    int slot = -1;
  };

  BindContext(const graph::Node& node, std::size_t node_index, const graph::OpSchema& schema, std::vector<Value> inputs,
              std::vector<Value> outputs, int threads, BindHost& host)
      : node_(node), node_index_(node_index), attrs_(node, schema), inputs_(std::move(inputs)),
        outputs_(std::move(outputs)), threads_(threads), host_(host) {}

  const graph::AttrReader& attrs() const { return attrs_; }
  std::size_t NumInputs() const { return inputs_.size(); }
  bool HasIn(std::size_t i) const { return i < inputs_.size() && inputs_[i].dtype != DType::kUndefined; }
  const std::vector<int64_t>& InShape(std::size_t i) const { return *inputs_.at(i).shape; }
  const std::vector<int64_t>& OutShape(std::size_t i) const { return *outputs_.at(i).shape; }
  DType InType(std::size_t i) const { return inputs_.at(i).dtype; }
  DType OutType(std::size_t i) const { return outputs_.at(i).dtype; }
  int64_t OutElements(std::size_t i) const;
  // Whether input i is a constant or a parameter (fixed while this plan runs).
  bool IsConstant(std::size_t i) const { return HasIn(i) && inputs_[i].is_constant; }
  // Its value, or null when it is not one, or when it was released because every reader uses
  // only what was prepared from it (then Prepare finds that already made).
  const Tensor* Constant(std::size_t i) const { return HasIn(i) ? inputs_[i].constant : nullptr; }
  // Threads that may run this step at once (per-thread scratch is sized for this many).
  int threads() const { return threads_; }
  // Memoizes make() across plans under `key` (distinct per use within one node). make() may read
  // the inputs listed in from_inputs (constants or parameters) and is run again when one of them
  // is a parameter that changes.
  template <class T>
  Prepared<T> Prepare(int key, const std::vector<std::size_t>& from_inputs,
                      std::function<std::shared_ptr<const T>()> make) const {
    std::vector<int> slots;
    for (std::size_t i : from_inputs) slots.push_back(inputs_.at(i).slot);
    return Prepared<T>(host_.Prepare(node_index_, key, std::move(slots), [make = std::move(make)] {
      return std::static_pointer_cast<const void>(make());
    }));
  }
  const graph::Node& node() const { return node_; }

 private:
  const graph::Node& node_;
  std::size_t node_index_;
  graph::AttrReader attrs_;
  std::vector<Value> inputs_, outputs_;
  int threads_;
  BindHost& host_;
};

using AdapterFn = std::function<BoundStep(const BindContext&)>;

bool RegisterAdapter(std::string_view op_type, AdapterFn fn);
const AdapterFn* FindAdapter(std::string_view op_type);
std::vector<std::string> RegisteredAdapters();

// An op whose output is input `input` relabelled (Identity, Reshape, Flatten).
BoundStep AliasOf(int input);

#define AXON_ADAPTER_CONCAT_(a, b) a##b
#define AXON_ADAPTER_CONCAT(a, b) AXON_ADAPTER_CONCAT_(a, b)
#define AXON_ADAPTER(op_name, ...)                                                          \
  [[maybe_unused]] static const bool AXON_ADAPTER_CONCAT(axon_adapter_, __COUNTER__) = \
      ::axon::runtime::RegisterAdapter(#op_name, __VA_ARGS__)

}  // namespace axon::runtime
