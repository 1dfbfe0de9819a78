#include "runtime/executor.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "runtime/memory_planner.h"
#include "runtime/parallel.h"

namespace axon::runtime {

Executor::Executor(graph::Graph graph, ExecutorOptions options)
    : graph_(std::move(graph)), options_(std::move(options)) {
  std::unordered_map<std::string, int> slot;
  auto slot_of = [&](const std::string& name) {
    auto [it, inserted] = slot.emplace(name, static_cast<int>(slot.size()));
    if (inserted) slot_names_.push_back(name);
    return it->second;
  };
  for (const auto& in : graph_.inputs) input_slots_.push_back(slot_of(in.name));
  for (const auto& [name, t] : graph_.initializers) slot_of(name);
  for (std::size_t index : graph::TopologicalOrder(graph_)) {
    const graph::Node& node = graph_.nodes[index];
    CompiledStep step{index, &graph::SchemaFor(node), FindAdapter(node.op_type), {}, {}};
    if (!step.adapter)
      throw Error(ErrorCode::kUnsupported, node.Describe() + ": no kernel for op '" + node.op_type + "' in this runtime");
    for (const std::string& in : node.inputs) step.inputs.push_back(in.empty() ? -1 : slot_of(in));
    for (const std::string& out : node.outputs) step.outputs.push_back(slot_of(out));
    steps_.push_back(std::move(step));
  }
  for (const auto& out : graph_.outputs) output_slots_.push_back(slot_of(out.name));
  constants_.resize(slot.size());
  is_constant_.assign(slot.size(), false);
  is_parameter_.assign(slot.size(), false);
  constant_shapes_.resize(slot.size());
  constant_types_.assign(slot.size(), DType::kUndefined);
  for (const auto& [name, t] : graph_.initializers) {
    const int s = slot.at(name);
    constants_[s] = t;
    is_constant_[s] = true;
    is_parameter_[s] = options_.parameters.count(name) != 0;
    constant_shapes_[s] = t.shape();
    constant_types_[s] = t.dtype();
  }
  value_inputs_.assign(input_slots_.size(), false);
  free_arenas_.reserve(options_.max_idle_arenas);  // returning an arena to the pool must not allocate
}

Executor::~Executor() {
  for (Arena& a : free_arenas_) std::free(a.data);
}

const PreparedEntry* Executor::Prepare(std::size_t node, int key, std::vector<int> from_slots,
                                       std::function<std::shared_ptr<const void>()> make) {
  if (auto it = prepared_.find({node, key}); it != prepared_.end()) return it->second.get();
  for (int s : from_slots)
    if (s >= 0 && is_constant_[s] && !constants_[s].defined())
      throw Error(ErrorCode::kInternal, "an adapter asked for a new prepared form of a released constant ('" +
                                            slot_names_[s] + "'): its choice changed between plans");
  auto made = std::make_unique<PreparedEntry>();
  made->make = std::move(make);
  made->from_slots = std::move(from_slots);
  made->value = made->make();  // may throw: then nothing is recorded
  return prepared_.emplace(std::make_pair(node, key), std::move(made)).first->second.get();
}

bool Executor::Matches(const Plan& plan, std::span<const Tensor> inputs) const {
  if (inputs.size() != plan.input_shapes.size()) return false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (t.dtype() != plan.input_types[i] || t.shape() != plan.input_shapes[i]) return false;
    const std::vector<char>& bytes = plan.input_values[i];
    if (value_inputs_[i] && (bytes.size() != t.nbytes() || (t.nbytes() && std::memcmp(bytes.data(), t.raw_data(), t.nbytes()) != 0)))
      return false;
  }
  return true;
}

std::shared_ptr<const Plan> Executor::CachedPlan(std::span<const Tensor> inputs) const {
  std::lock_guard lock(plans_mutex_);
  for (auto it = plans_.begin(); it != plans_.end(); ++it) {
    if (!Matches(**it, inputs)) continue;
    std::rotate(plans_.begin(), it, it + 1);  // most recently used first; moves, never allocates
    return plans_.front();
  }
  return nullptr;
}

std::shared_ptr<const Plan> Executor::PlanFor(std::span<const Tensor> inputs) {
  if (auto plan = CachedPlan(inputs)) return plan;
  std::shared_ptr<const Plan> plan;
  std::vector<int> releasable;
  {
    std::shared_lock params(params_);
    std::lock_guard lock(plans_mutex_);
    for (const auto& cached : plans_)
      if (Matches(*cached, inputs)) return cached;
    plan = Build(inputs, releasable);
    if (plans_.size() >= options_.max_plans) plans_.pop_back();
    plans_.insert(plans_.begin(), plan);
    int64_t largest = 0;
    for (const auto& cached : plans_) largest = std::max(largest, cached->arena_bytes);
    largest_plan_arena_ = largest;
  }
  if (!releasable.empty()) {
    std::unique_lock params(params_);  // no run may be reading the Tensor handles meanwhile
    for (int s : releasable) {
      constants_[s] = Tensor();
      graph_.initializers[slot_names_[s]] = Tensor();
    }
  }
  return plan;
}

namespace {

std::string Described(const graph::Node& node, const std::string& message) {
  return message.rfind(node.Describe(), 0) == 0 ? message : node.Describe() + ": " + message;
}

std::string TypedShape(DType dtype, const std::vector<int64_t>& shape) {
  return std::string(DTypeName(dtype)) + ShapeToString(shape);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void RunRecorded(const StepFn& run, const StepArgs& args, StepRecord& record) {
  record.thread = ThreadIndex();
  record.start_ns = NowNs();
  run(args);
  record.end_ns = NowNs();
}

}  // namespace

std::shared_ptr<const Plan> Executor::Build(std::span<const Tensor> inputs, std::vector<int>& releasable) {
  auto plan = std::make_shared<Plan>();
  const std::size_t num_slots = slot_names_.size();
  std::vector<std::vector<int64_t>> shapes(num_slots);
  std::vector<DType> types(num_slots, DType::kUndefined);
  std::vector<const Tensor*> values(num_slots, nullptr);  // data known before the run
  for (std::size_t s = 0; s < num_slots; ++s)
    if (is_constant_[s]) {
      shapes[s] = constant_shapes_[s];
      types[s] = constant_types_[s];
      if (constants_[s].defined()) values[s] = &constants_[s];
    }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const int s = input_slots_[i];
    shapes[s] = inputs[i].shape();
    types[s] = inputs[i].dtype();
    values[s] = &inputs[i];
    plan->input_types.push_back(inputs[i].dtype());
    plan->input_shapes.push_back(inputs[i].shape());
  }

  // 1. Shapes: each op's own inference, once, on the concrete input shapes. An inference that
  // reads a value computed inside the graph (a shape that PyTorch's exporters compute with
  // Shape -> Gather -> Concat) gets it by running that value's producers now, on the values
  // known so far: constants, graph inputs, and what was evaluated before.
  std::vector<int> producer(num_slots, -1);  // step index
  for (std::size_t k = 0; k < steps_.size(); ++k)
    for (int out : steps_[k].outputs) producer[out] = static_cast<int>(k);
  std::vector<Tensor> evaluated(num_slots);
  // The graph inputs whose data a value was computed from: reading the value makes them key.
  std::vector<std::vector<bool>> deps(num_slots);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    deps[input_slots_[i]].assign(inputs.size(), false);
    deps[input_slots_[i]][i] = true;
  }
  std::vector<bool> reads_value(inputs.size(), false);
  const int threads = ArenaSlots();
  auto bind = [&](const CompiledStep& step) {
    const graph::Node& node = graph_.nodes[step.node];
    auto value = [&](int s) {
      BindContext::Value v;
      if (s < 0) return v;
      v.dtype = types[s], v.shape = &shapes[s], v.slot = s;
      v.is_constant = is_constant_[s];
      v.constant = constants_[s].defined() ? &constants_[s] : nullptr;
      return v;
    };
    std::vector<BindContext::Value> ins, outs;
    for (int s : step.inputs) ins.push_back(value(s));
    for (int s : step.outputs) outs.push_back(value(s));
    const BindContext ctx(node, step.node, *step.schema, std::move(ins), std::move(outs), threads, *this);
    try {
      return (*step.adapter)(ctx);
    } catch (const Error& e) {
      throw Error(e.code(), Described(node, e.what()));
    }
  };
  // Runs step k now, its inputs' values known (or not read by its kernel).
  auto run_now = [&](int k) {
    const CompiledStep& step = steps_[static_cast<std::size_t>(k)];
    const graph::Node& node = graph_.nodes[step.node];
    const BoundStep b = bind(step);
    for (int out : step.outputs) {
      constexpr int64_t kMaxEvaluated = int64_t{1} << 16;
      if (ElementCount(shapes[out]) > kMaxEvaluated)
        throw Error(ErrorCode::kUnsupported,
                    node.Describe() + ": a shape depends on its output '" + slot_names_[out] + "' " +
                        TypedShape(types[out], shapes[out]) + ", too large to compute while planning (at most " +
                        std::to_string(kMaxEvaluated) + " elements)");
    }
    std::vector<const void*> in_ptrs;
    for (std::size_t i = 0; i < step.inputs.size(); ++i) {
      const int s = step.inputs[i];
      const bool shape_only = i < 64 && (b.shape_only_inputs >> i & 1);
      in_ptrs.push_back(s < 0 || shape_only ? nullptr : values[s]->raw_data());
      if (s >= 0 && !shape_only && !deps[s].empty()) {
        for (int out : step.outputs) {
          deps[out].resize(inputs.size(), false);
          for (std::size_t g = 0; g < inputs.size(); ++g) deps[out][g] = deps[out][g] || deps[s][g];
        }
      }
    }
    if (b.alias_input >= 0) {
      const int from = step.inputs[static_cast<std::size_t>(b.alias_input)];
      evaluated[step.outputs[0]] = values[from]->Reshaped(shapes[step.outputs[0]]);
    } else {
      std::vector<void*> out_ptrs;
      for (int out : step.outputs) {
        evaluated[out] = Tensor::Uninitialized(types[out], shapes[out]);
        out_ptrs.push_back(evaluated[out].raw_data());
      }
      const Tensor workspace = b.workspace_bytes ? Tensor::Uninitialized(DType::kU8, {b.workspace_bytes}) : Tensor();
      const StepArgs args{in_ptrs.data(), out_ptrs.data(), const_cast<void*>(workspace.raw_data()), in_ptrs.size()};
      try {
        b.run(args);
      } catch (const Error& e) {
        throw Error(e.code(), Described(node, e.what()));
      }
    }
    for (int out : step.outputs) values[out] = &evaluated[out];
  };
  // Makes values[slot] known by running its producers, deepest first (an explicit stack: a long
  // chain cannot overflow the call stack).
  auto evaluate = [&](int slot) {
    std::vector<std::pair<int, bool>> stack = {{slot, false}};
    while (!stack.empty()) {
      auto [s, expanded] = stack.back();
      stack.pop_back();
      if (values[s]) continue;
      const int k = producer[s];
      if (k < 0) return false;  // a graph input or constant without data: cannot happen; be safe
      if (expanded) {
        run_now(k);
        continue;
      }
      stack.push_back({s, true});
      const CompiledStep& step = steps_[static_cast<std::size_t>(k)];
      const BoundStep b = bind(step);
      for (std::size_t i = 0; i < step.inputs.size(); ++i)
        if (step.inputs[i] >= 0 && !values[step.inputs[i]] && !(i < 64 && (b.shape_only_inputs >> i & 1)))
          stack.push_back({step.inputs[i], false});
    }
    return values[slot] != nullptr;
  };
  for (const CompiledStep& step : steps_) {
    const graph::Node& node = graph_.nodes[step.node];
    graph::InferContext ctx(node, *step.schema);
    for (std::size_t i = 0; i < step.inputs.size(); ++i) {
      const int s = step.inputs[i];
      ctx.inputs.push_back(s < 0 ? graph::ValueInfo{}
                                 : graph::ValueInfo{node.inputs[i], types[s], graph::Shape::FromValues(shapes[s])});
      ctx.input_values.push_back(s < 0 ? nullptr : values[s]);
    }
    step.schema->RunInference(ctx);
    // An input's value was wanted but not known: compute it and infer again.
    bool again = false;
    for (std::size_t i = 0; i < ctx.values_read.size() && i < step.inputs.size(); ++i) {
      const int s = step.inputs[i];
      if (ctx.values_read[i] && s >= 0 && !values[s] && evaluate(s)) {
        ctx.input_values[i] = values[s];
        again = true;
      }
    }
    if (again) {
      ctx.outputs.clear();
      step.schema->RunInference(ctx);
    }
    for (std::size_t i = 0; i < ctx.values_read.size() && i < step.inputs.size(); ++i) {
      const int s = step.inputs[i];
      if (!ctx.values_read[i] || s < 0 || deps[s].empty()) continue;
      for (std::size_t g = 0; g < inputs.size(); ++g) reads_value[g] = reads_value[g] || deps[s][g];
    }
    for (std::size_t o = 0; o < step.outputs.size(); ++o) {
      const graph::ValueInfo& info = ctx.outputs[o];
      auto shape = info.shape.values();
      if (!shape)
        throw Error(ErrorCode::kUnsupported,
                    node.Describe() + ": output '" + info.name + "' has shape " + info.shape.ToString() +
                        ", which depends on data computed during the run; such shapes are not supported yet" +
                        ctx.DescribeInputs());
      shapes[step.outputs[o]] = std::move(*shape);
      types[step.outputs[o]] = info.dtype;
    }
  }
  // Shape inference read these inputs' data: it is part of this plan's key (and of every plan's,
  // so plans made before this was known are dropped).
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (reads_value[i] && !value_inputs_[i]) {
      value_inputs_[i] = true;
      plans_.clear();
    }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    std::vector<char> data;
    if (value_inputs_[i] && inputs[i].nbytes()) {
      const char* p = static_cast<const char*>(inputs[i].raw_data());
      data.assign(p, p + inputs[i].nbytes());
    }
    plan->input_values.push_back(std::move(data));
  }

  // 2. Kernels: each op's adapter binds it to these shapes.
  std::vector<BoundStep> bound;
  for (const CompiledStep& step : steps_) bound.push_back(bind(step));
  // Inter-op: the steps whose results each step reads; run as a graph when two steps worth a task
  // each may run at once (runtime/inter_op.h).
  std::vector<std::vector<int>> preds(steps_.size());
  for (std::size_t k = 0; k < steps_.size(); ++k) {
    for (int in : steps_[k].inputs)
      if (in >= 0 && producer[in] >= 0) preds[k].push_back(producer[in]);
    std::sort(preds[k].begin(), preds[k].end());
    preds[k].erase(std::unique(preds[k].begin(), preds[k].end()), preds[k].end());
  }
  std::unique_ptr<Ancestry> order;
  std::vector<bool> heavy;
  if (options_.inter_op && steps_.size() <= kInterOpMaxSteps) {
    heavy = Heavy(shapes, types, bound);
    order = std::make_unique<Ancestry>(preds);
    if (!order->AnyUnordered(heavy)) order.reset();
  }

  // 3. Buffers. Every value lives in a buffer: a graph input's, a constant's, or one a step
  // writes. An alias step's output joins its input's buffer; an in-place step's output joins the
  // buffer of an input whose last reader it is.
  constexpr int kNever = -1;
  const int end_step = static_cast<int>(steps_.size());  // "read after the last step": outputs
  // A step that reads only an input's shape (Shape, SumTo's Like) does not keep its bytes alive:
  // the backward pass asks for many forward values' shapes, long after their data is done with.
  std::vector<int> last_reader(num_slots, kNever);
  for (int s = 0; s < end_step; ++s) {
    for (int out : steps_[s].outputs) last_reader[out] = std::max(last_reader[out], s);
    const uint64_t shape_only = bound[static_cast<std::size_t>(s)].shape_only_inputs;
    for (std::size_t i = 0; i < steps_[s].inputs.size(); ++i) {
      const int in = steps_[s].inputs[i];
      if (in >= 0 && !(i < 64 && (shape_only >> i & 1))) last_reader[in] = std::max(last_reader[in], s);
    }
  }
  for (int out : output_slots_) last_reader[out] = end_step;

  struct Buffer {
    Plan::Place place;
    int32_t index;  // input index or constant slot
    int64_t bytes;
    int first, last;
    int node_step;  // the step that allocated it (for error messages); -1 for inputs and constants
    int32_t output = -1;
  };
  std::vector<Buffer> buffers;
  std::vector<std::vector<int>> touchers;  // per buffer, with a step graph: the steps that write or read it
  std::vector<int> buffer_of(num_slots, -1);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    buffer_of[input_slots_[i]] = static_cast<int>(buffers.size());
    buffers.push_back({Plan::Place::kInput, static_cast<int32_t>(i), 0, -1, end_step, -1});
  }
  for (std::size_t s = 0; s < num_slots; ++s)
    if (is_constant_[s]) {
      buffer_of[s] = static_cast<int>(buffers.size());
      buffers.push_back({Plan::Place::kConstant, static_cast<int32_t>(s), 0, -1, end_step, -1});
    }
  auto bytes_of = [&](int s) {  // inference bounded the element count, so this fits in int64
    return ElementCount(shapes[s]) * static_cast<int64_t>(DTypeSize(types[s]));
  };

  touchers.resize(buffers.size());

  // Concats that copy nothing (BoundStep::joins_inputs): each input's producer writes straight into
  // its slice of the output. Only inputs that this Concat alone reads, made by a step that runs
  // (no alias, no such Concat itself: no slices of slices), at 64-byte offsets (kernels may count
  // on the arena's alignment). The output's bytes are taken when its first producer runs; with a
  // step graph, whose producers may run at once, from bytes free at the latest step that every
  // producer descends from (PlanConcurrentArena checks a buffer's first step only), or, with no
  // such step, from bytes that no step touches before.
  std::vector<int> reads(num_slots, 0);  // steps that read a value's bytes, a step once per input
  for (int s = 0; s < end_step; ++s)
    for (std::size_t i = 0; i < steps_[s].inputs.size(); ++i)
      if (steps_[s].inputs[i] >= 0 && !(i < 64 && (bound[s].shape_only_inputs >> i & 1))) ++reads[steps_[s].inputs[i]];
  for (int out : output_slots_) ++reads[out];  // a graph output is never a slice
  std::vector<int> slice_of(num_slots, -1);        // the joining Concat's output slot
  std::vector<int64_t> slice_offset(num_slots, 0);  // bytes into it
  std::vector<int> joined_at(num_slots, -1);       // per joined output: the Concat's step
  std::vector<int> join_first(num_slots, -1);      // per joined output: the step its bytes are taken at
  for (int k = 0; k < end_step; ++k) {
    const CompiledStep& step = steps_[k];
    if (!bound[k].joins_inputs || !bound[k].run || step.inputs.size() < 2) continue;
    const int whole = step.outputs[0];
    std::vector<int> makers;
    int64_t at = 0;
    for (int in : step.inputs) {
      const int p = in >= 0 ? producer[in] : -1;
      if (p < 0 || !bound[p].run || joined_at[steps_[p].outputs[0]] >= 0 || reads[in] != 1 || at % 64 != 0) break;
      makers.push_back(p);
      at += bytes_of(in);
    }
    if (makers.size() != step.inputs.size() || at != bytes_of(whole)) continue;
    int first = *std::min_element(makers.begin(), makers.end());
    if (order) {
      auto precedes_all = [&](int w) {
        return std::all_of(makers.begin(), makers.end(), [&](int p) { return p == w || order->Before(w, p); });
      };
      while (first >= 0 && !precedes_all(first)) --first;
      first = std::max(first, 0);  // no common ancestor (graph inputs): bytes no step has touched
    }
    at = 0;
    for (int in : step.inputs) {
      slice_of[in] = whole;
      slice_offset[in] = at;
      at += bytes_of(in);
    }
    joined_at[whole] = k;
    join_first[whole] = first;
  }
  auto copies_nothing = [&](int s) { return !steps_[s].outputs.empty() && joined_at[steps_[s].outputs[0]] == s; };

  // The memory limit is checked as the steps would hold memory: each new buffer on top of the
  // live ones, each freed after its last reader, plus the step's scratch while it runs.
  const int64_t limit = options_.memory_limit_bytes;
  int64_t live = 0;
  std::vector<std::vector<int>> dying(static_cast<std::size_t>(end_step) + 1);
  for (int s = 0; s < end_step; ++s) {
    const CompiledStep& step = steps_[s];
    const BoundStep& b = bound[s];
    const graph::Node& node = graph_.nodes[step.node];
    auto describe_inputs = [&] {
      std::string text;
      for (std::size_t i = 0; i < step.inputs.size(); ++i)
        if (step.inputs[i] >= 0)
          text += (text.empty() ? " (inputs: " : ", ") + node.inputs[i] + ": " +
                  TypedShape(types[step.inputs[i]], shapes[step.inputs[i]]);
      return text.empty() ? text : text + ")";
    };
    if (order) {
      for (std::size_t i = 0; i < step.inputs.size(); ++i) {
        const int in = step.inputs[i];
        if (in < 0 || buffer_of[in] < 0 || (i < 64 && (b.shape_only_inputs >> i & 1))) continue;
        std::vector<int>& t = touchers[static_cast<std::size_t>(buffer_of[in])];
        if (t.empty() || t.back() != s) t.push_back(s);
      }
    }
    for (std::size_t o = 0; o < step.outputs.size(); ++o) {
      const int out = step.outputs[o];
      if (slice_of[out] >= 0 || joined_at[out] == s) {
        const int whole = slice_of[out] >= 0 ? slice_of[out] : out;
        if (buffer_of[whole] < 0) {  // the first producer of a joined Concat's inputs
          const int64_t bytes = bytes_of(whole);
          if (bytes > limit - live)
            throw Error(ErrorCode::kMemoryLimit,
                        node.Describe() + ": output '" + node.outputs[o] + "' is part of a Concat of " +
                            std::to_string(bytes) + " bytes; with the " + std::to_string(live) +
                            " bytes of intermediates already held that exceeds the memory limit of " +
                            std::to_string(limit) + " bytes" + describe_inputs());
          live += bytes;
          const int last = std::max(joined_at[whole], last_reader[whole]);
          buffer_of[whole] = static_cast<int>(buffers.size());
          dying[static_cast<std::size_t>(last)].push_back(static_cast<int>(buffers.size()));
          buffers.push_back({Plan::Place::kArena, -1, bytes, join_first[whole], last, s});
          touchers.resize(buffers.size());
        }
        buffer_of[out] = buffer_of[whole];
        std::vector<int>& t = touchers[static_cast<std::size_t>(buffer_of[whole])];
        if (order && (t.empty() || t.back() != s)) t.push_back(s);
        continue;
      }
      int joined = -1;
      if (o == 0 && b.alias_input >= 0) {
        joined = buffer_of[step.inputs[static_cast<std::size_t>(b.alias_input)]];
      } else if (o == 0 && b.in_place_input >= 0) {
        const int in = step.inputs[static_cast<std::size_t>(b.in_place_input)];
        const int candidate = in >= 0 ? buffer_of[in] : -1;
        // With a step graph, only over bytes that every other reader is done with when this step runs.
        auto others_done = [&] {
          const std::vector<int>& t = touchers[static_cast<std::size_t>(candidate)];
          return std::all_of(t.begin(), t.end(), [&](int r) { return r == s || order->Before(r, s); });
        };
        if (candidate >= 0 && buffers[candidate].place == Plan::Place::kArena && buffers[candidate].last == s &&
            buffers[candidate].bytes == bytes_of(out) && (!order || others_done()))
          joined = candidate;
      }
      if (joined >= 0) {
        buffer_of[out] = joined;
        if (order) {
          std::vector<int>& t = touchers[static_cast<std::size_t>(joined)];
          if (t.empty() || t.back() != s) t.push_back(s);
        }
        Buffer& buf = buffers[joined];
        if (buf.place == Plan::Place::kArena) {
          dying[static_cast<std::size_t>(buf.last)].erase(
              std::remove(dying[static_cast<std::size_t>(buf.last)].begin(), dying[static_cast<std::size_t>(buf.last)].end(), joined),
              dying[static_cast<std::size_t>(buf.last)].end());
          buf.last = std::max(buf.last, std::max(s, last_reader[out]));
          dying[static_cast<std::size_t>(buf.last)].push_back(joined);
        }
        continue;
      }
      const int64_t bytes = bytes_of(out);
      if (bytes > limit - live)
        throw Error(ErrorCode::kMemoryLimit,
                    node.Describe() + ": output '" + node.outputs[o] + "' " + TypedShape(types[out], shapes[out]) +
                        " needs " + std::to_string(bytes) + " bytes; with the " + std::to_string(live) +
                        " bytes of intermediates already held that exceeds the memory limit of " +
                        std::to_string(limit) + " bytes" + describe_inputs());
      live += bytes;
      buffer_of[out] = static_cast<int>(buffers.size());
      const int last = std::max(s, last_reader[out]);
      dying[static_cast<std::size_t>(last)].push_back(static_cast<int>(buffers.size()));
      buffers.push_back({Plan::Place::kArena, -1, bytes, s, last, s});
      touchers.resize(buffers.size());
      touchers.back() = {s};
    }
    if (b.workspace_bytes > limit - live)
      throw Error(ErrorCode::kMemoryLimit,
                  node.Describe() + ": needs " + std::to_string(b.workspace_bytes) + " bytes of scratch; with the " +
                      std::to_string(live) + " bytes of intermediates already held that exceeds the memory limit of " +
                      std::to_string(limit) + " bytes" + describe_inputs());
    for (int dead : dying[static_cast<std::size_t>(s)]) live -= buffers[dead].bytes;
  }

  // 4. Outputs. A buffer a step writes becomes the output's own memory (the caller's, or a
  // tensor the run returns); an output whose bytes are an input's, a weight's or another
  // output's is copied there after the steps, so outputs never share storage with anything.
  for (std::size_t o = 0; o < output_slots_.size(); ++o) {
    const int s = output_slots_[o];
    Plan::Output out{s, types[s], shapes[s], bytes_of(s)};
    for (std::size_t p = 0; p < o && out.same_as < 0; ++p)
      if (output_slots_[p] == s) out.same_as = static_cast<int32_t>(p);
    Buffer& buf = buffers[buffer_of[s]];
    if (out.same_as < 0) {
      if (buf.place == Plan::Place::kArena) {
        buf.place = Plan::Place::kOutput;
        buf.output = static_cast<int32_t>(o);
      } else {
        out.copy_from = s;
        if (out.bytes > limit - live)
          throw Error(ErrorCode::kMemoryLimit,
                      "graph output '" + graph_.outputs[o].name + "' " + TypedShape(types[s], shapes[s]) +
                          " needs a copy of " + std::to_string(out.bytes) + " bytes; with the " +
                          std::to_string(live) + " bytes already held that exceeds the memory limit of " +
                          std::to_string(limit) + " bytes");
        live += out.bytes;
      }
      plan->output_bytes += out.bytes;
    }
    plan->outputs.push_back(std::move(out));
  }

  // Outputs a caller may bind over a graph input: written by a step that reads the input after
  // every other step that reads it, in any order the plan may run them (serially: earlier steps;
  // with a step graph: its ancestors, such as a fused SGD step ordered after the other readers of
  // its weight). A step that relabels the input (an alias) or an output that is the input itself
  // would read it afterwards: then never.
  std::vector<std::vector<int>> readers(num_slots);
  for (int s = 0; s < end_step; ++s)
    for (std::size_t i = 0; i < steps_[s].inputs.size(); ++i) {
      const int in = steps_[s].inputs[i];
      if (in >= 0 && !(i < 64 && (bound[s].shape_only_inputs >> i & 1)) && (readers[in].empty() || readers[in].back() != s))
        readers[in].push_back(s);
    }
  auto reads_last = [&](int in, int k) {
    if (std::find(output_slots_.begin(), output_slots_.end(), in) != output_slots_.end()) return false;
    return std::find(readers[in].begin(), readers[in].end(), k) != readers[in].end() &&
           std::all_of(readers[in].begin(), readers[in].end(), [&](int r) {
             return r == k || (bound[r].alias_input < 0 && r < k && (!order || order->Before(r, k)));
           });
  };
  for (std::size_t o = 0; o < output_slots_.size(); ++o) {
    const int s = output_slots_[o];
    const int k = producer[s];
    if (k < 0 || !bound[k].elementwise_in_place || plan->outputs[o].same_as >= 0) continue;
    const Buffer& buf = buffers[buffer_of[s]];
    if (buf.place != Plan::Place::kOutput || buf.node_step != k) continue;  // not the producer's own write
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const int in = input_slots_[i];
      if (reads_last(in, k) && bytes_of(in) == plan->outputs[o].bytes)
        plan->in_place_outputs.emplace_back(static_cast<int32_t>(o), static_cast<int32_t>(i));
    }
  }

  // Constants every reader takes in prepared form only: their own bytes can go.
  std::vector<bool> read_raw(num_slots, false);
  for (int s = 0; s < end_step; ++s)
    for (std::size_t i = 0; i < steps_[s].inputs.size(); ++i)
      if (steps_[s].inputs[i] >= 0 && !(i < 64 && (bound[s].prepared_only >> i & 1))) read_raw[steps_[s].inputs[i]] = true;
  for (int out : output_slots_) read_raw[out] = true;
  // What is prepared from a parameter is re-made when it changes, from all its slots again.
  for (const auto& [key, entry] : prepared_)
    if (std::any_of(entry->from_slots.begin(), entry->from_slots.end(), [&](int s) { return s >= 0 && is_parameter_[s]; }))
      for (int s : entry->from_slots)
        if (s >= 0) read_raw[s] = true;
  for (std::size_t s = 0; s < num_slots; ++s)
    if (is_constant_[s] && !is_parameter_[s] && !read_raw[s] && constants_[s].defined()) releasable.push_back(static_cast<int>(s));

  // 5. Arena offsets for the buffers that are neither caller memory nor outputs. Serially every
  // step's scratch is one region after them; with a step graph each step's is a buffer of its own.
  std::vector<BufferLifetime> lifetimes;
  std::vector<std::vector<int>> arena_touchers;
  std::vector<int> arena_buffers;
  for (std::size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].place == Plan::Place::kArena) {
      arena_buffers.push_back(static_cast<int>(i));
      lifetimes.push_back({buffers[i].bytes, buffers[i].first, buffers[i].last});
      if (order) arena_touchers.push_back(std::move(touchers[i]));
    }
  std::vector<int> scratch_buffer(static_cast<std::size_t>(end_step), -1);  // index into lifetimes
  int64_t workspace = 0;
  for (int s = 0; s < end_step; ++s) {
    const int64_t scratch = bound[s].run && !copies_nothing(s) ? bound[s].workspace_bytes : 0;
    if (!order) {
      workspace = std::max(workspace, (scratch + 63) / 64 * 64);
    } else if (scratch > 0) {
      scratch_buffer[s] = static_cast<int>(lifetimes.size());
      lifetimes.push_back({scratch, s, s});
      arena_touchers.push_back({s});
    }
  }
  const ArenaLayout layout = order ? PlanConcurrentArena(lifetimes, arena_touchers, *order) : PlanArena(lifetimes);

  std::vector<int> plan_step(static_cast<std::size_t>(end_step), -1);
  for (int s = 0; s < end_step; ++s) {
    if (!bound[s].run || copies_nothing(s)) continue;
    const CompiledStep& step = steps_[s];
    plan_step[s] = static_cast<int>(plan->steps.size());
    const int64_t scratch_at = scratch_buffer[s] >= 0 ? layout.offsets[scratch_buffer[s]] : 0;  // made absolute below
    plan->steps.push_back({bound[s].run, step.node, static_cast<uint32_t>(plan->args.size()),
                           static_cast<uint32_t>(step.inputs.size()), static_cast<uint32_t>(step.outputs.size()), scratch_at});
    plan->args.insert(plan->args.end(), step.inputs.begin(), step.inputs.end());
    plan->args.insert(plan->args.end(), step.outputs.begin(), step.outputs.end());
  }
  if (order) plan->graph = MakeStepGraph(preds, plan_step, heavy);
  const int64_t table = static_cast<int64_t>((num_slots + plan->args.size()) * sizeof(void*) + 63) / 64 * 64;
  plan->buffers_offset = table;
  plan->workspace_offset = table + layout.bytes;
  plan->counters_offset = plan->workspace_offset + workspace;
  plan->arena_bytes = plan->counters_offset + static_cast<int64_t>(plan->graph.size() * sizeof(int32_t));
  for (std::size_t k = 0; k < plan->steps.size(); ++k)
    plan->steps[k].workspace = order ? plan->steps[k].workspace + plan->buffers_offset : plan->workspace_offset;
  // Node by node it fitted; laid out in one arena with the plan's pointer tables it may not.
  if (plan->arena_bytes + plan->output_bytes > limit)
    throw Error(ErrorCode::kMemoryLimit,
                "a run needs " + std::to_string(plan->arena_bytes + plan->output_bytes) + " bytes in all (" +
                    std::to_string(layout.bytes) + " of intermediates laid out in one arena, " +
                    std::to_string(workspace) + " of kernel scratch, " + std::to_string(table) +
                    " of the plan's pointer tables, " + std::to_string(plan->output_bytes) +
                    " of outputs): more than the memory limit of " + std::to_string(limit) + " bytes");

  plan->slots.assign(num_slots, {});
  std::vector<int64_t> arena_offset(buffers.size(), 0);
  for (std::size_t i = 0; i < arena_buffers.size(); ++i) arena_offset[arena_buffers[i]] = layout.offsets[i];
  for (std::size_t s = 0; s < num_slots; ++s) {
    if (buffer_of[s] < 0) continue;
    const Buffer& buf = buffers[buffer_of[s]];
    Plan::Where& w = plan->slots[s];
    w.place = buf.place;
    if (buf.place == Plan::Place::kInput || buf.place == Plan::Place::kConstant) w.index = buf.index;
    if (buf.place == Plan::Place::kOutput) w.index = buf.output;
    if (buf.place == Plan::Place::kArena) w.offset = plan->buffers_offset + arena_offset[buffer_of[s]];
    if (buf.place == Plan::Place::kArena || buf.place == Plan::Place::kOutput) w.offset += slice_offset[s];
  }
  plan->slot_shapes = std::move(shapes);
  plan->slot_types = std::move(types);
  return plan;
}

std::vector<bool> Executor::Heavy(const std::vector<std::vector<int64_t>>& shapes, const std::vector<DType>& types,
                                  const std::vector<BoundStep>& bound) const {
  std::vector<bool> heavy;
  for (std::size_t k = 0; k < steps_.size(); ++k) {
    const CompiledStep& step = steps_[k];
    if (!bound[k].run) {
      heavy.push_back(false);
      continue;
    }
    std::vector<std::vector<int64_t>> ins, outs;
    double work = 0;
    for (int s : step.inputs) ins.push_back(s < 0 ? std::vector<int64_t>{} : shapes[static_cast<std::size_t>(s)]);
    for (int s : step.outputs) outs.push_back(shapes[static_cast<std::size_t>(s)]);
    for (int s : step.inputs)
      if (s >= 0) work += static_cast<double>(ElementCount(shapes[s]) * DTypeSize(types[s]));
    for (int s : step.outputs) work += static_cast<double>(ElementCount(shapes[s]) * DTypeSize(types[s]));
    const graph::Node& node = graph_.nodes[step.node];
    work += step.schema->EstimateFlops({ins, outs, graph::AttrReader(node, *step.schema)});
    heavy.push_back(work >= kInterOpMinWork);
  }
  return heavy;
}

Executor::Arena Executor::Acquire(int64_t arena_bytes, int64_t extra_bytes) {
  std::lock_guard lock(pool_mutex_);
  // Idle arenas are kept by index: removal swaps the last one into the gap.
  std::ptrdiff_t best = -1;  // the smallest idle arena that is large enough
  const auto count = [&] { return static_cast<std::ptrdiff_t>(free_arenas_.size()); };
  for (std::ptrdiff_t i = 0; i < count(); ++i)
    if (free_arenas_[i].bytes >= arena_bytes && (best < 0 || free_arenas_[i].bytes < free_arenas_[best].bytes)) best = i;
  const int64_t fresh = best < 0 ? arena_bytes : 0;
  // Idle arenas are only a cache: they go, largest first, before a run is refused.
  const int64_t limit = options_.memory_limit_bytes;
  while (fresh + extra_bytes > limit - held_bytes_) {
    std::ptrdiff_t victim = -1;
    for (std::ptrdiff_t i = 0; i < count(); ++i)
      if (i != best && (victim < 0 || free_arenas_[i].bytes > free_arenas_[victim].bytes)) victim = i;
    if (victim < 0) break;
    held_bytes_ -= free_arenas_[victim].bytes;
    std::free(free_arenas_[victim].data);
    if (best == count() - 1) best = victim;
    free_arenas_[victim] = free_arenas_.back();
    free_arenas_.pop_back();
  }
  if (fresh + extra_bytes > limit - held_bytes_) {
    int64_t idle = 0;
    for (const Arena& a : free_arenas_) idle += a.bytes;
    throw Error(ErrorCode::kTryAgain,
                "this run needs " + std::to_string(fresh + extra_bytes) + " more bytes; the session's " +
                    std::to_string(runs_in_flight_) + " other run(s) in progress hold " +
                    std::to_string(held_bytes_ - idle) + " bytes, which leaves less than that under the memory limit of " +
                    std::to_string(limit) + " bytes (it fits on its own: try again when they finish)");
  }
  Arena arena;
  if (best >= 0) {
    arena = free_arenas_[best];
    free_arenas_[best] = free_arenas_.back();
    free_arenas_.pop_back();
  } else {
    arena = {static_cast<char*>(std::aligned_alloc(64, static_cast<std::size_t>((std::max<int64_t>(arena_bytes, 64) + 63) / 64 * 64))),
             arena_bytes};
    if (!arena.data)
      throw Error(ErrorCode::kMemoryLimit, "out of memory for " + std::to_string(arena_bytes) + " bytes of intermediates");
    held_bytes_ += arena_bytes;
  }
  held_bytes_ += extra_bytes;
  ++runs_in_flight_;
  return arena;
}

int64_t Executor::held_bytes() const {
  std::lock_guard lock(pool_mutex_);
  return held_bytes_;
}

void Executor::Release(Arena arena, int64_t extra_bytes) {
  // An idle arena is kept only while a cached plan could use it, and at most one per thread that
  // can run at once: memory a session holds between runs stays near what its plans need.
  const int64_t needed = largest_plan_arena_;  // not plans_mutex_: a plan being made holds it long
  std::lock_guard lock(pool_mutex_);
  held_bytes_ -= extra_bytes;
  --runs_in_flight_;
  if (arena.bytes <= needed && free_arenas_.size() < options_.max_idle_arenas) {
    free_arenas_.push_back(arena);
    return;
  }
  held_bytes_ -= arena.bytes;
  std::free(arena.data);
}

void Executor::ExecuteScheduled(const Plan& plan, char* arena, void** argv, StepRecord* records) const {
  auto run_step = [&](std::size_t k) {
    const Plan::Step& step = plan.steps[k];
    const StepArgs args{argv + step.args, argv + step.args + step.num_in, arena + step.workspace, step.num_in};
    try {
      if (records) {
        RunRecorded(step.run, args, records[k]);
      } else {
        step.run(args);
      }
    } catch (const Error& e) {
      throw Error(e.code(), Described(graph_.nodes[step.node], e.what()));
    }
  };
  if (plan.graph.empty()) {
    for (std::size_t k = 0; k < plan.steps.size(); ++k) run_step(k);
  } else {
    RunStepGraph(plan.graph, reinterpret_cast<int32_t*>(arena + plan.counters_offset), run_step);
  }
}

void Executor::Execute(const Plan& plan, std::span<const Tensor> inputs, void* const* output_data, Arena& arena,
                       StepRecord* records) const {
  const std::size_t num_slots = plan.slots.size();
  auto** ptrs = reinterpret_cast<void**>(arena.data);
  void** argv = ptrs + num_slots;
  for (std::size_t s = 0; s < num_slots; ++s) {
    const Plan::Where& w = plan.slots[s];
    switch (w.place) {
      case Plan::Place::kNone: ptrs[s] = nullptr; break;
      case Plan::Place::kConstant: ptrs[s] = const_cast<void*>(constants_[static_cast<std::size_t>(w.index)].raw_data()); break;
      case Plan::Place::kInput: ptrs[s] = const_cast<void*>(inputs[static_cast<std::size_t>(w.index)].raw_data()); break;
      case Plan::Place::kArena: ptrs[s] = arena.data + w.offset; break;
      case Plan::Place::kOutput: ptrs[s] = static_cast<char*>(output_data[w.index]) + w.offset; break;
    }
  }
  for (std::size_t a = 0; a < plan.args.size(); ++a) argv[a] = plan.args[a] < 0 ? nullptr : ptrs[plan.args[a]];
  if (records || !plan.graph.empty()) [[unlikely]] {
    ExecuteScheduled(plan, arena.data, argv, records);
  } else {
    char* workspace = arena.data + plan.workspace_offset;
    // The serial loop, untouched by profiling and inter-op scheduling: it costs what it always did.
    for (const Plan::Step& step : plan.steps) {
      const StepArgs args{argv + step.args, argv + step.args + step.num_in, workspace, step.num_in};
      try {
        step.run(args);
      } catch (const Error& e) {
        throw Error(e.code(), Described(graph_.nodes[step.node], e.what()));
      }
    }
  }
  for (std::size_t o = 0; o < plan.outputs.size(); ++o) {
    const Plan::Output& out = plan.outputs[o];
    const void* from = out.same_as >= 0 ? output_data[out.same_as] : out.copy_from >= 0 ? ptrs[out.copy_from] : nullptr;
    if (from && out.bytes) std::memcpy(output_data[o], from, static_cast<std::size_t>(out.bytes));
  }
}

void Executor::Run(const Plan& plan, std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  if (outputs.size() != plan.outputs.size())
    throw Error(ErrorCode::kInvalidArgument, "expected " + std::to_string(plan.outputs.size()) +
                                                 " output buffers, got " + std::to_string(outputs.size()));
  // Output pointers live in a fixed array when there are few outputs, so that a run allocates nothing.
  constexpr std::size_t kInline = 16;
  void* inline_data[kInline];
  std::vector<void*> many(outputs.size() > kInline ? outputs.size() : 0);
  void** data = outputs.size() > kInline ? many.data() : inline_data;
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    const Plan::Output& want = plan.outputs[o];
    Tensor& t = outputs[o];
    if (t.dtype() != want.dtype || t.shape() != want.shape)
      throw Error(ErrorCode::kInvalidArgument, "output buffer for '" + graph_.outputs[o].name + "' is " +
                                                   TypedShape(t.dtype(), t.shape()) + "; this run makes " +
                                                   TypedShape(want.dtype, want.shape));
    if (t.read_only()) throw Error(ErrorCode::kInvalidArgument, "output buffer for '" + graph_.outputs[o].name + "' is read-only");
    data[o] = t.raw_data();
    // Kernels write outputs while still reading inputs (and other outputs): no overlap allowed,
    // but for an update in place that the plan allows (exactly the input's buffer).
    auto overlaps = [&](const Tensor& other) {
      const auto* a = static_cast<const char*>(std::as_const(t).raw_data());
      const auto* b = static_cast<const char*>(other.raw_data());
      return t.nbytes() && other.nbytes() && a < b + other.nbytes() && b < a + t.nbytes();
    };
    auto in_place = [&](std::size_t i) {
      const auto pair = std::make_pair(static_cast<int32_t>(o), static_cast<int32_t>(i));
      return std::as_const(t).raw_data() == inputs[i].raw_data() && t.nbytes() == inputs[i].nbytes() &&
             std::find(plan.in_place_outputs.begin(), plan.in_place_outputs.end(), pair) != plan.in_place_outputs.end();
    };
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (overlaps(inputs[i]) && !in_place(i))
        throw Error(ErrorCode::kInvalidArgument, "output buffer for '" + graph_.outputs[o].name +
                                                     "' overlaps input '" + graph_.inputs[i].name + "'");
    for (std::size_t p = 0; p < o; ++p)
      if (overlaps(outputs[p]))
        throw Error(ErrorCode::kInvalidArgument, "output buffers for '" + graph_.outputs[p].name + "' and '" +
                                                     graph_.outputs[o].name + "' overlap");
  }
  std::shared_lock params(params_);
  Arena arena = Acquire(plan.arena_bytes, 0);
  try {
    Execute(plan, inputs, data, arena, nullptr);
  } catch (...) {
    Release(arena, 0);
    throw;
  }
  Release(arena, 0);
}

std::vector<Tensor> Executor::Run(const Plan& plan, std::span<const Tensor> inputs, StepRecord* records) {
  std::shared_lock params(params_);
  Arena arena = Acquire(plan.arena_bytes, plan.output_bytes);
  try {
    std::vector<Tensor> outputs;
    std::vector<void*> data;
    outputs.reserve(plan.outputs.size());
    for (const Plan::Output& out : plan.outputs) {
      outputs.push_back(out.same_as >= 0 ? outputs[static_cast<std::size_t>(out.same_as)]
                                         : Tensor::Uninitialized(out.dtype, out.shape));  // written whole
      data.push_back(outputs.back().raw_data());
    }
    Execute(plan, inputs, data.data(), arena, records);
    Release(arena, plan.output_bytes);
    return outputs;
  } catch (...) {
    Release(arena, plan.output_bytes);
    throw;
  }
}

void Executor::SetParameter(const std::string& name, const Tensor& value) {
  std::unique_lock params(params_);
  std::lock_guard lock(plans_mutex_);
  const auto it = std::find(slot_names_.begin(), slot_names_.end(), name);
  const auto slot = static_cast<std::size_t>(it - slot_names_.begin());
  if (it == slot_names_.end() || !is_parameter_[slot])
    throw Error(ErrorCode::kInvalidArgument, "'" + name + "' is not a parameter of this model");
  const Tensor& old = constants_[slot];
  if (value.dtype() != old.dtype() || value.shape() != old.shape())
    throw Error(ErrorCode::kInvalidArgument, "parameter '" + name + "' is " + TypedShape(old.dtype(), old.shape()) +
                                                 ", got " + TypedShape(value.dtype(), value.shape()));
  constants_[slot] = value.is_view() ? value.Clone() : value;  // an owning tensor is shared, not copied
  graph_.initializers[name] = constants_[slot];
  for (auto& [key, entry] : prepared_)
    if (std::find(entry->from_slots.begin(), entry->from_slots.end(), static_cast<int>(slot)) != entry->from_slots.end())
      entry->value = entry->make();
}

}  // namespace axon::runtime
