// The C API (axon/axon_c.h) over the public C++ API: every entry point runs inside Guard, which
// turns any exception into a status and this thread's error message, so none crosses into C.
#include "axon/axon_c.h"

#include <axon/axon.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

static_assert(AXON_F32 == static_cast<int>(axon::DType::kF32) && AXON_I64 == static_cast<int>(axon::DType::kI64) &&
              AXON_BOOL == static_cast<int>(axon::DType::kBool) && AXON_I32 == static_cast<int>(axon::DType::kI32) &&
              AXON_I8 == static_cast<int>(axon::DType::kI8) && AXON_U8 == static_cast<int>(axon::DType::kU8));
static_assert(AXON_INVALID_ARGUMENT == 1 + static_cast<int>(axon::ErrorCode::kInvalidArgument) &&
              AXON_TRY_AGAIN == 1 + static_cast<int>(axon::ErrorCode::kTryAgain));

namespace {

// A model's input or output with the pointer arrays axon_tensor_info hands out.
struct CInfo {
  explicit CInfo(const axon::TensorInfo& info) : info(&info) {
    for (const std::string& s : info.symbols) symbols.push_back(s.c_str());
  }
  const axon::TensorInfo* info;
  std::vector<const char*> symbols;
};

std::vector<CInfo> CInfos(const std::vector<axon::TensorInfo>& infos) {
  return std::vector<CInfo>(infos.begin(), infos.end());
}

}  // namespace

struct axon_options {
  axon::SessionOptions options;
};

struct axon_session {
  explicit axon_session(axon::Session s)
      : session(std::move(s)), inputs(CInfos(session.inputs())), outputs(CInfos(session.outputs())) {}
  axon::Session session;
  std::vector<CInfo> inputs, outputs;
  // Never reused, unlike the handle's address: tells a new session from a destroyed one.
  const uint64_t serial = next_serial.fetch_add(1) + 1;
  static inline std::atomic<uint64_t> next_serial{0};
};

struct axon_training_session {
  explicit axon_training_session(axon::TrainingSession s)
      : session(std::move(s)), output(session.output()), labels(session.labels()) {}
  axon::TrainingSession session;
  CInfo output, labels;
  // compute_gradients ran since the last apply_optimizer or step: their gradients are there to read.
  bool has_gradients = false;
};

namespace {

thread_local std::string last_error;

axon_status Fail(axon_status status, const char* message) {
  // Assigning may itself run out of memory; the status still says what happened.
  try {
    last_error = message;
  } catch (...) {
    last_error.clear();
  }
  return status;
}

axon::Error Invalid(const std::string& message) { return axon::Error(axon::ErrorCode::kInvalidArgument, message); }

template <class F>
axon_status Guard(F&& f) noexcept {
  try {
    f();
    return AXON_OK;
  } catch (const axon::Error& e) {
    return Fail(static_cast<axon_status>(1 + static_cast<int>(e.code())), e.what());
  } catch (const std::bad_alloc&) {
    return Fail(AXON_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return Fail(AXON_INTERNAL, e.what());
  } catch (...) {
    return Fail(AXON_INTERNAL, "unknown exception");
  }
}

template <class T>
T& Required(T* p, const char* what) {
  if (!p) throw Invalid(std::string(what) + " is NULL");
  return *p;
}

const char* RequiredString(const char* p, const char* what) {
  if (!p) throw Invalid(std::string(what) + " is NULL");
  return p;
}

// Handles alive now, so that destroying one twice (or destroying a pointer that is not a handle)
// is ignored instead of freeing memory twice. Only make and destroy touch it: runs stay lock-free.
class LiveHandles {
 public:
  void Add(const void* p) {
    std::lock_guard lock(mutex_);
    live_.insert(p);
  }
  bool Remove(const void* p) {
    std::lock_guard lock(mutex_);
    return live_.erase(p) > 0;
  }

 private:
  std::mutex mutex_;
  std::unordered_set<const void*> live_;
};

LiveHandles& Live() {
  static LiveHandles* live = new LiveHandles;  // never destroyed: handles may outlive static destruction
  return *live;
}

template <class T, class... Args>
T* Make(Args&&... args) {
  auto owned = std::make_unique<T>(std::forward<Args>(args)...);
  Live().Add(owned.get());
  return owned.release();
}

template <class T>
void Destroy(T* p, const char* what) noexcept {
  if (!p) return;
  bool live = false;
  try {
    live = Live().Remove(p);
  } catch (...) {
  }
  if (live) {
    delete p;
  } else {
    Fail(AXON_INVALID_ARGUMENT, (std::string(what) + ": not a live handle (destroyed twice?); ignored").c_str());
  }
}

axon::SessionOptions OptionsOf(const axon_options* options) { return options ? options->options : axon::SessionOptions{}; }

// `what` names the tensor in errors; a callable, so that a run that fails nothing builds no string.
template <class What>
std::vector<int64_t> ShapeOf(const int64_t* shape, size_t rank, const What& what) {
  if (!shape && rank > 0) throw Invalid(what() + ": shape is NULL with rank " + std::to_string(rank));
  return std::vector<int64_t>(shape, shape + rank);
}

std::string InputName(const std::vector<CInfo>& infos, size_t i) {
  return "input " + std::to_string(i) + (i < infos.size() ? " '" + infos[i].info->name + "'" : std::string());
}

template <class T>
axon::Tensor TypedView(void* data, std::vector<int64_t> shape, bool read_only) {
  if (read_only) return axon::Tensor::View(static_cast<const T*>(data), std::move(shape));
  return axon::Tensor::View(static_cast<T*>(data), std::move(shape));
}

// A view of caller memory as a tensor of dtype; the caller's nbytes must be the shape's exactly.
axon::Tensor ViewOf(axon_dtype dtype, const void* data, std::vector<int64_t> shape, bool read_only) {
  void* p = const_cast<void*>(data);  // only made writable when the caller's pointer was
  switch (dtype) {
    case AXON_F32: return TypedView<float>(p, std::move(shape), read_only);
    case AXON_I64: return TypedView<int64_t>(p, std::move(shape), read_only);
    case AXON_BOOL: return TypedView<bool>(p, std::move(shape), read_only);
    case AXON_I32: return TypedView<int32_t>(p, std::move(shape), read_only);
    case AXON_I8: return TypedView<int8_t>(p, std::move(shape), read_only);
    case AXON_U8: return TypedView<uint8_t>(p, std::move(shape), read_only);
    case AXON_UNDEFINED: break;
  }
  throw Invalid("dtype " + std::to_string(static_cast<int>(dtype)) + " is not an axon_dtype");
}

template <class What>
axon::Tensor InputTensor(const axon_input& in, const What& what) {
  std::vector<int64_t> shape = ShapeOf(in.shape, in.rank, what);
  const int64_t elements = axon::ElementCount(shape);
  const size_t itemsize = axon_dtype_size(in.dtype);
  if (itemsize == 0) throw Invalid(what() + ": dtype " + std::to_string(static_cast<int>(in.dtype)) + " is not an axon_dtype");
  const size_t expected = static_cast<size_t>(elements) * itemsize;
  if (in.nbytes != expected)
    throw Invalid(what() + ": " + std::to_string(in.nbytes) + " bytes given for " + axon_dtype_name(in.dtype) +
                  axon::ShapeToString(shape) + ", which has " + std::to_string(expected));
  return ViewOf(in.dtype, in.data, std::move(shape), true);
}

// The inputs as tensors, checked: the count, pointers, dtypes and byte counts.
std::vector<axon::Tensor> InputViews(const axon_input* inputs, size_t count, const std::vector<CInfo>& infos) {
  if (!inputs && count > 0) throw Invalid("inputs is NULL with input_count " + std::to_string(count));
  if (count != infos.size())
    throw Invalid(std::to_string(count) + " inputs given; the model has " + std::to_string(infos.size()));
  std::vector<axon::Tensor> views;
  views.reserve(count);
  for (size_t i = 0; i < count; ++i) views.push_back(InputTensor(inputs[i], [&] { return InputName(infos, i); }));
  return views;
}

// A run's tensors, kept per thread: a serving loop runs one session on the same buffers with the
// same shapes again and again, and then a run reuses the last one's views and output shapes
// instead of making new ones. On a model whose weights evict the caches between runs, each
// allocation and plan lookup is a cache miss: the MLP 784-512-512-10 ran 3.4% slower through
// the C API than through a bare RunInto before, ~1% with this. Only addresses are kept; they are
// read only inside a run whose inputs or outputs are those very buffers again.
class RunTensors {
 public:
  // Binds `inputs` (checking them): reuses the last binding when `reuse` and session, dtypes,
  // dims, byte counts and addresses are all the same (then returns true), else makes views and
  // asks the session for the shapes.
  bool BindInputs(axon_session& s, const axon_input* inputs, size_t count, bool reuse) {
    if (reuse && serial_ == s.serial && inputs && count == s.inputs.size() && SameInputs(inputs, count)) return true;
    serial_ = 0;  // empty until whole again: anything below may throw
    out_.clear();
    key_.clear();
    in_ = InputViews(inputs, count, s.inputs);
    for (size_t i = 0; i < count; ++i) {
      const axon_input& in = inputs[i];
      key_.insert(key_.end(), {static_cast<int64_t>(in.dtype), static_cast<int64_t>(in.nbytes),
                               reinterpret_cast<intptr_t>(in.data), static_cast<int64_t>(in.rank)});
      key_.insert(key_.end(), in.shape, in.shape + in.rank);
    }
    shapes_ = s.session.OutputShapes(in_);
    serial_ = s.serial;
    return false;
  }
  // Views of the outputs' buffers (DescribeOutputs checked them), reused when at the same addresses.
  void BindOutputs(const axon_output* outputs, size_t count) {
    bool same = out_.size() == count;
    for (size_t i = 0; same && i < count; ++i) same = out_[i].raw_data() == outputs[i].data;
    if (same) return;
    out_.clear();
    for (size_t i = 0; i < count; ++i) out_.push_back(ViewOf(outputs[i].dtype, outputs[i].data, shapes_[i], false));
  }
  const std::vector<std::vector<int64_t>>& shapes() const { return shapes_; }
  std::span<const axon::Tensor> inputs() const { return in_; }
  std::span<axon::Tensor> outputs() { return out_; }

 private:
  bool SameInputs(const axon_input* inputs, size_t count) const {
    size_t k = 0;
    for (size_t i = 0; i < count; ++i) {
      const axon_input& in = inputs[i];
      if (key_.size() < k + 4 + in.rank || key_[k] != static_cast<int64_t>(in.dtype) ||
          key_[k + 1] != static_cast<int64_t>(in.nbytes) || key_[k + 2] != reinterpret_cast<intptr_t>(in.data) ||
          key_[k + 3] != static_cast<int64_t>(in.rank))
        return false;
      k += 4;
      if (!in.shape && in.rank > 0) return false;
      for (size_t d = 0; d < in.rank; ++d)
        if (key_[k++] != in.shape[d]) return false;
    }
    return k == key_.size();
  }

  uint64_t serial_ = 0;  // the session bound; 0: none
  std::vector<int64_t> key_;  // per input: dtype, nbytes, address, rank, dims
  std::vector<axon::Tensor> in_, out_;
  std::vector<std::vector<int64_t>> shapes_;
};

// Fills each output's dtype, rank, nbytes and shape; throws when an output's dims do not fit its
// shape array or (when check_data) its bytes do not fit its buffer. The fields are filled first,
// so that a caller can size its buffers from a failed call.
void DescribeOutputs(std::span<const CInfo> infos, const std::vector<std::vector<int64_t>>& shapes, axon_output* outputs,
                     bool check_data) {
  for (size_t i = 0; i < shapes.size(); ++i) {
    axon_output& out = outputs[i];
    out.dtype = static_cast<axon_dtype>(infos[i].info->dtype);
    out.rank = shapes[i].size();
    out.nbytes = static_cast<size_t>(axon::ElementCount(shapes[i])) * axon_dtype_size(out.dtype);
    if (out.shape && out.shape_capacity >= out.rank)
      for (size_t d = 0; d < out.rank; ++d) out.shape[d] = shapes[i][d];
  }
  for (size_t i = 0; i < shapes.size(); ++i) {
    const axon_output& out = outputs[i];
    auto what = [&] {
      return "output " + std::to_string(i) + " '" + infos[i].info->name + "' " +
             std::string(axon_dtype_name(out.dtype)) + axon::ShapeToString(shapes[i]);
    };
    if (out.shape && out.shape_capacity < out.rank)
      throw Invalid(what() + ": shape_capacity " + std::to_string(out.shape_capacity) + " < rank " +
                    std::to_string(out.rank));
    if (check_data && out.capacity < out.nbytes)
      throw Invalid(what() + " needs " + std::to_string(out.nbytes) + " bytes; capacity is " +
                    std::to_string(out.capacity));
    if (check_data && !out.data && out.nbytes > 0) throw Invalid(what() + ": data is NULL");
  }
}

void CheckOutputs(const axon_session& s, const axon_output* outputs, size_t count) {
  if (!outputs && count > 0) throw Invalid("outputs is NULL with output_count " + std::to_string(count));
  if (count != s.outputs.size())
    throw Invalid(std::to_string(count) + " outputs given; the model has " + std::to_string(s.outputs.size()));
}

void FillInfo(const CInfo& c, axon_tensor_info* info) {
  Required(info, "info");
  info->name = c.info->name.c_str();
  info->dtype = static_cast<axon_dtype>(c.info->dtype);
  info->rank = c.info->shape.size();
  info->shape = c.info->shape.data();
  info->symbols = c.symbols.data();
  info->has_rank = c.info->has_rank ? 1 : 0;
}

const CInfo& At(const std::vector<CInfo>& infos, size_t index, const char* what) {
  if (index >= infos.size())
    throw Invalid(std::string(what) + " index " + std::to_string(index) + " out of range: the model has " +
                  std::to_string(infos.size()));
  return infos[index];
}

// A call on one batch: the session, its inputs and labels as views, and the loss f returns.
template <class F>
axon_status BatchCall(axon_training_session* session, const axon_input* inputs, size_t input_count,
                      const axon_input* labels, float* loss, F&& f) {
  return Guard([&] {
    axon_training_session& t = Required(session, "session");
    float& result = Required(loss, "loss");
    const std::vector<axon::Tensor> in = InputViews(inputs, input_count, CInfos(t.session.inputs()));
    const axon::Tensor y = InputTensor(Required(labels, "labels"), [] { return std::string("labels"); });
    result = f(t, in, y);
  });
}

}  // namespace

extern "C" {

const char* axon_version(void) { return axon::Version(); }

const char* axon_status_name(axon_status status) {
  if (status == AXON_OK) return "ok";
  if (status == AXON_OUT_OF_MEMORY) return "out of memory";
  if (status >= AXON_INVALID_ARGUMENT && status <= AXON_TRY_AGAIN)
    return axon::ErrorCodeName(static_cast<axon::ErrorCode>(status - 1));
  return "unknown";
}

const char* axon_last_error(void) { return last_error.c_str(); }

const char* axon_dtype_name(axon_dtype dtype) {
  const size_t size = axon_dtype_size(dtype);  // 0 for anything outside the enum
  return size ? axon::DTypeName(static_cast<axon::DType>(dtype)).data() : "undefined";
}

size_t axon_dtype_size(axon_dtype dtype) {
  if (dtype < AXON_F32 || dtype > AXON_U8) return 0;
  return axon::DTypeSize(static_cast<axon::DType>(dtype));
}

axon_status axon_options_create(axon_options** out) {
  return Guard([&] { Required(out, "out") = Make<axon_options>(); });
}

void axon_options_destroy(axon_options* options) { Destroy(options, "axon_options_destroy"); }

axon_status axon_options_set_threads(axon_options* options, int threads) {
  return Guard([&] {
    if (threads < 0) throw Invalid("threads must be >= 0, got " + std::to_string(threads));
    Required(options, "options").options.threads = threads;
  });
}

axon_status axon_options_set_opt_level(axon_options* options, int opt_level) {
  return Guard([&] {
    if (opt_level < 0 || opt_level > axon::kMaxOptLevel)
      throw Invalid("opt_level must be 0.." + std::to_string(axon::kMaxOptLevel) + ", got " + std::to_string(opt_level));
    Required(options, "options").options.opt_level = opt_level;
  });
}

axon_status axon_options_set_memory_limit(axon_options* options, int64_t bytes) {
  return Guard([&] {
    if (bytes < 0) throw Invalid("memory limit must be >= 0 bytes, got " + std::to_string(bytes));
    Required(options, "options").options.memory_limit_bytes = bytes;
  });
}

axon_status axon_session_load(const char* path, const axon_options* options, axon_session** out) {
  return Guard([&] {
    axon_session*& result = Required(out, "out");
    axon::Session s = axon::Session::Load(RequiredString(path, "path"), OptionsOf(options));
    result = Make<axon_session>(std::move(s));
  });
}

axon_status axon_session_load_from_memory(const void* data, size_t size, const axon_options* options,
                                          axon_session** out) {
  return Guard([&] {
    axon_session*& result = Required(out, "out");
    if (!data) throw Invalid("data is NULL");
    axon::Session s = axon::Session::LoadFromBytes(data, size, OptionsOf(options));
    result = Make<axon_session>(std::move(s));
  });
}

void axon_session_destroy(axon_session* session) { Destroy(session, "axon_session_destroy"); }

axon_status axon_session_input_count(const axon_session* session, size_t* count) {
  return Guard([&] { Required(count, "count") = Required(session, "session").inputs.size(); });
}

axon_status axon_session_output_count(const axon_session* session, size_t* count) {
  return Guard([&] { Required(count, "count") = Required(session, "session").outputs.size(); });
}

axon_status axon_session_input_info(const axon_session* session, size_t index, axon_tensor_info* info) {
  return Guard([&] { FillInfo(At(Required(session, "session").inputs, index, "input"), info); });
}

axon_status axon_session_output_info(const axon_session* session, size_t index, axon_tensor_info* info) {
  return Guard([&] { FillInfo(At(Required(session, "session").outputs, index, "output"), info); });
}

axon_status axon_session_input_index(const axon_session* session, const char* name, size_t* index) {
  return Guard([&] {
    const auto& inputs = Required(session, "session").inputs;
    const std::string wanted = RequiredString(name, "name");
    size_t* result = &Required(index, "index");
    std::string names;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].info->name == wanted) {
        *result = i;
        return;
      }
      names += (i ? ", " : "") + inputs[i].info->ToString();
    }
    throw Invalid("model has no input '" + wanted + "' (inputs: " + names + ")");
  });
}

axon_status axon_session_threads(const axon_session* session, int* threads) {
  return Guard([&] { Required(threads, "threads") = Required(session, "session").session.threads(); });
}

axon_status axon_session_run(axon_session* session, const axon_input* inputs, size_t input_count, axon_output* outputs,
                             size_t output_count) {
  return Guard([&] {
    axon_session& s = Required(session, "session");
    thread_local RunTensors last;
    thread_local bool in_use = false;
    // A host that calls from inside TBB tasks may re-enter on this thread while a run waits: that
    // run gets tensors of its own.
    std::optional<RunTensors> own;
    RunTensors& t = in_use ? own.emplace() : last;
    const bool outer = !in_use;
    in_use = true;
    struct Release {
      bool outer;
      ~Release() {
        if (outer) in_use = false;
      }
    } release{outer};
    auto run = [&] {
      CheckOutputs(s, outputs, output_count);
      DescribeOutputs(s.outputs, t.shapes(), outputs, true);
      t.BindOutputs(outputs, output_count);
      s.session.RunInto(t.inputs(), t.outputs());
    };
    const bool reused = t.BindInputs(s, inputs, input_count, true);
    try {
      run();
    } catch (const axon::Error& e) {
      // The last run's output shapes were reused, but a model may read an input's values for a
      // shape (a Reshape whose target is an input), and these buffers may hold other values now.
      // A run checks its buffers' shapes before it writes anything: bind afresh and try again.
      if (!reused || e.code() != axon::ErrorCode::kInvalidArgument) throw;
      t.BindInputs(s, inputs, input_count, false);
      run();
    }
  });
}

axon_status axon_session_output_shapes(axon_session* session, const axon_input* inputs, size_t input_count,
                                       axon_output* outputs, size_t output_count) {
  return Guard([&] {
    axon_session& s = Required(session, "session");
    const std::vector<axon::Tensor> in = InputViews(inputs, input_count, s.inputs);
    CheckOutputs(s, outputs, output_count);
    DescribeOutputs(s.outputs, s.session.OutputShapes(in), outputs, false);
  });
}

axon_status axon_training_session_load(const char* path, const axon_options* options, const char* loss,
                                       const char* optimizer, float learning_rate, axon_training_session** out) {
  return Guard([&] {
    axon_training_session*& result = Required(out, "out");
    axon::TrainingOptions training;
    training.session = OptionsOf(options);
    if (loss) training.loss = loss;
    if (optimizer) training.optimizer.name = optimizer;
    training.optimizer.lr = learning_rate;
    axon::TrainingSession t = axon::TrainingSession::Load(RequiredString(path, "path"), training);
    result = Make<axon_training_session>(std::move(t));
  });
}

void axon_training_session_destroy(axon_training_session* session) {
  Destroy(session, "axon_training_session_destroy");
}

axon_status axon_training_session_output_info(const axon_training_session* session, axon_tensor_info* info) {
  return Guard([&] { FillInfo(Required(session, "session").output, info); });
}

axon_status axon_training_session_labels_info(const axon_training_session* session, axon_tensor_info* info) {
  return Guard([&] { FillInfo(Required(session, "session").labels, info); });
}

axon_status axon_training_session_step(axon_training_session* session, const axon_input* inputs, size_t input_count,
                                       const axon_input* labels, float* loss) {
  return BatchCall(session, inputs, input_count, labels, loss, [](axon_training_session& t, const auto& x, const auto& y) {
    t.has_gradients = false;
    return t.session.Step(x, y);
  });
}

axon_status axon_training_session_compute_gradients(axon_training_session* session, const axon_input* inputs,
                                                    size_t input_count, const axon_input* labels, float* loss) {
  return BatchCall(session, inputs, input_count, labels, loss, [](axon_training_session& t, const auto& x, const auto& y) {
    t.has_gradients = false;
    const float l = t.session.ComputeGradients(x, y);
    t.has_gradients = true;
    return l;
  });
}

axon_status axon_training_session_parameter_count(const axon_training_session* session, size_t* count) {
  return Guard([&] { Required(count, "count") = Required(session, "session").session.parameters().size(); });
}

axon_status axon_training_session_gradient(axon_training_session* session, size_t index, float** data, size_t* count,
                                           const char** name) {
  return Guard([&] {
    axon_training_session& t = Required(session, "session");
    float*& values = Required(data, "data");
    size_t& elements = Required(count, "count");
    const std::vector<std::string>& names = t.session.parameters();
    if (index >= names.size())
      throw Invalid("gradient index " + std::to_string(index) + " is out of range: the session trains " +
                    std::to_string(names.size()) + " parameters");
    // Outside phase 2 the buffers hold zeros or spent gradients, which an all-reduce would
    // happily average in.
    if (!t.has_gradients)
      throw Invalid("no gradients to give: call axon_training_session_compute_gradients first (after it, "
                    "axon_training_session_apply_optimizer or _step leave none)");
    axon::Tensor& g = t.session.gradients()[index];
    values = g.data<float>();
    elements = static_cast<size_t>(g.size());
    if (name) *name = names[index].c_str();
  });
}

axon_status axon_training_session_apply_optimizer(axon_training_session* session) {
  return Guard([&] {
    axon_training_session& t = Required(session, "session");
    if (!t.has_gradients)
      throw Invalid("axon_training_session_apply_optimizer needs gradients: call axon_training_session_compute_gradients "
                    "first (once per step)");
    t.session.ApplyOptimizer();
    t.has_gradients = false;
  });
}

axon_status axon_training_session_evaluate(axon_training_session* session, const axon_input* inputs, size_t input_count,
                                           const axon_input* labels, float* loss) {
  return BatchCall(session, inputs, input_count, labels, loss, [](axon_training_session& t, const auto& x, const auto& y) {
    return t.session.Evaluate(x, y).loss;
  });
}

axon_status axon_training_session_evaluate_output(axon_training_session* session, const axon_input* inputs,
                                                  size_t input_count, const axon_input* labels, float* loss,
                                                  axon_output* output) {
  return BatchCall(session, inputs, input_count, labels, loss, [&](axon_training_session& t, const auto& x, const auto& y) {
    axon_output& out = Required(output, "output");
    const axon::TrainingSession::Evaluation e = t.session.Evaluate(x, y);
    DescribeOutputs({&t.output, 1}, {e.predictions.shape()}, &out, true);
    if (out.nbytes > 0) std::memcpy(out.data, e.predictions.raw_data(), out.nbytes);
    return e.loss;
  });
}

axon_status axon_training_session_step_count(const axon_training_session* session, int64_t* steps) {
  return Guard([&] { Required(steps, "steps") = Required(session, "session").session.step(); });
}

axon_status axon_training_session_save_model(const axon_training_session* session, const char* path) {
  return Guard([&] { Required(session, "session").session.SaveModel(RequiredString(path, "path")); });
}

}  // extern "C"
