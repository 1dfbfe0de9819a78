// The Python module axon._axon over the public C++ API (axon/axon.h, axon/convert.h). The Python
// package (bindings/python/axon/__init__.py) re-exports it.
//
// Arrays: an input that is already a C-contiguous, aligned, native-order array of the input's
// dtype is viewed in place (no copy); anything numpy can convert with "same_kind" casting
// (float64 to float32, a list, a strided or unaligned view, a Python or numpy scalar for a 0-d
// input) is converted once, an integer narrowed only when every value fits (else axon.Error);
// anything else (float to int) is refused with TypeError. Outputs are
// numpy arrays that the kernels write into directly.
// The GIL is released while a model is loaded, planned, run or trained, so other Python threads
// run meanwhile, and several threads may run one Session at once.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <axon/axon.h>
#include <axon/convert.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace {

const char* NumpyName(axon::DType dtype) {
  switch (dtype) {
    case axon::DType::kF32: return "float32";
    case axon::DType::kI64: return "int64";
    case axon::DType::kBool: return "bool";
    case axon::DType::kI32: return "int32";
    case axon::DType::kI8: return "int8";
    case axon::DType::kU8: return "uint8";
    case axon::DType::kUndefined: break;
  }
  throw axon::Error(axon::ErrorCode::kUnsupported, "dtype " + std::string(axon::DTypeName(dtype)) + " has no numpy type");
}

py::dtype NumpyDType(axon::DType dtype) { return py::dtype(NumpyName(dtype)); }

template <class T>
axon::Tensor TypedView(void* data, std::vector<int64_t> shape, bool read_only) {
  if (read_only) return axon::Tensor::View(static_cast<const T*>(data), std::move(shape));
  return axon::Tensor::View(static_cast<T*>(data), std::move(shape));
}

axon::Tensor ViewOf(axon::DType dtype, void* data, std::vector<int64_t> shape, bool read_only) {
  switch (dtype) {
    case axon::DType::kF32: return TypedView<float>(data, std::move(shape), read_only);
    case axon::DType::kI64: return TypedView<int64_t>(data, std::move(shape), read_only);
    case axon::DType::kBool: return TypedView<bool>(data, std::move(shape), read_only);
    case axon::DType::kI32: return TypedView<int32_t>(data, std::move(shape), read_only);
    case axon::DType::kI8: return TypedView<int8_t>(data, std::move(shape), read_only);
    case axon::DType::kU8: return TypedView<uint8_t>(data, std::move(shape), read_only);
    case axon::DType::kUndefined: break;
  }
  throw axon::Error(axon::ErrorCode::kUnsupported, "no tensor of dtype undefined");
}

// numpy's "same_kind" casting narrows integers by wrapping (int64 3000000000 becomes int32
// -1294967296), which would feed a model other indices than the caller's: an integer array that
// does not convert safely has its values checked against the target's range instead.
void CheckIntegerRange(const py::module_& np, const py::object& a, const axon::TensorInfo& info, const py::dtype& want,
                       const char* role) {
  const py::dtype have = a.attr("dtype").cast<py::dtype>();
  const auto integer = [](const py::dtype& d) { return d.kind() == 'i' || d.kind() == 'u'; };
  if (!integer(have) || !integer(want) || np.attr("can_cast")(have, want, "safe").cast<bool>()) return;
  if (a.attr("size").cast<std::size_t>() == 0) return;
  const py::object limits = np.attr("iinfo")(want);
  // As Python ints: numpy compares uint64 with int64 through float64, which rounds 2^63 - 1 up.
  const py::int_ lo(a.attr("min")()), hi(a.attr("max")());
  const py::int_ min(limits.attr("min")), max(limits.attr("max"));
  if (lo >= min && hi <= max) return;
  const py::object bad = lo < min ? lo : hi;
  const auto text = [](const py::object& o) { return o.attr("__str__")().cast<std::string>(); };
  throw axon::Error(axon::ErrorCode::kInvalidArgument,
                    std::string(role) + " '" + info.name + "' is " + std::string(axon::DTypeName(info.dtype)) + " (numpy " +
                        NumpyName(info.dtype) + "); the " + text(have) + " array holds " + text(bad) + ", outside its range [" +
                        text(min) + ", " + text(max) + "]: converting would wrap it");
}

// The array as the input `info` takes it, in place when it already is (see the top comment).
py::array Prepare(py::handle value, const axon::TensorInfo& info, const py::dtype& want, const char* role) {
  if (py::isinstance<py::array>(value)) {
    auto a = py::reinterpret_borrow<py::array>(value);
    const py::dtype have = a.dtype();
    constexpr int kInPlace = py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
    if (have.num() == want.num() && (have.byteorder() == '=' || have.byteorder() == '|') &&
        (a.flags() & kInPlace) == kInPlace)
      return a;
  }
  py::module_ np = py::module_::import("numpy");
  py::object a = np.attr("asarray")(value);
  if (!np.attr("can_cast")(a.attr("dtype"), want, "same_kind").cast<bool>())
    throw py::type_error(std::string(role) + " '" + info.name + "' is " + std::string(axon::DTypeName(info.dtype)) +
                         " (numpy " + NumpyName(info.dtype) + "); an array of " +
                         py::str(a.attr("dtype")).cast<std::string>() + " does not convert to it safely");
  CheckIntegerRange(np, a, info, want, role);
  // require, not ascontiguousarray: that one makes a 0-d array 1-d, and keeps an unaligned array
  // of the right dtype as it is, which a tensor cannot view.
  return np.attr("require")(a, want, "CAE").cast<py::array>();
}

axon::Tensor InputView(const py::array& a, axon::DType dtype) {
  std::vector<int64_t> shape(a.shape(), a.shape() + a.ndim());
  return ViewOf(dtype, const_cast<void*>(a.data()), std::move(shape), true);
}

// Python's view of a TensorInfo: dims are ints, a symbolic dim its name, an anonymous unknown dim
// None; the shape is None when even the rank is unknown.
struct Info {
  explicit Info(const axon::TensorInfo& info)
      : name(info.name), key(info.name), dtype(NumpyDType(info.dtype)), text(info.ToString()) {
    if (!info.has_rank) return;
    py::list dims;
    for (std::size_t i = 0; i < info.shape.size(); ++i) {
      if (info.shape[i] >= 0)
        dims.append(info.shape[i]);
      else if (i < info.symbols.size() && !info.symbols[i].empty())
        dims.append(info.symbols[i]);
      else
        dims.append(py::none());
    }
    shape = py::tuple(dims);
  }
  std::string name;
  py::str key;  // the name as a Python string, made once: a run looks inputs up and names outputs by it
  py::dtype dtype;
  py::object shape = py::none();
  std::string text;
};

std::vector<Info> Infos(const std::vector<axon::TensorInfo>& infos) {
  return std::vector<Info>(infos.begin(), infos.end());
}

axon::SessionOptions Options(int threads, int opt_level, int64_t memory_limit) {
  axon::SessionOptions o;
  o.threads = threads;
  o.opt_level = opt_level;
  o.memory_limit_bytes = memory_limit;
  return o;
}

// A model given as a path (str or os.PathLike) or as bytes, loaded with the GIL released.
template <class Loaded, class FromFile, class FromBytes>
Loaded LoadModel(py::object model, FromFile from_file, FromBytes from_bytes) {
  if (py::isinstance<py::bytes>(model) || py::isinstance<py::bytearray>(model) ||
      py::isinstance<py::memoryview>(model)) {
    py::buffer_info buffer = py::buffer(model).request();  // keeps the bytes alive and unchanged
    const auto size = static_cast<std::size_t>(buffer.size * buffer.itemsize);
    py::gil_scoped_release unlocked;
    return from_bytes(buffer.ptr, size);
  }
  const std::string path = py::str(py::module_::import("os").attr("fspath")(model)).cast<std::string>();
  py::gil_scoped_release unlocked;
  return from_file(path);
}

class Session {
 public:
  Session(py::object model, int threads, int opt_level, int64_t memory_limit) {
    const axon::SessionOptions options = Options(threads, opt_level, memory_limit);
    session_ = LoadModel<axon::Session>(
        std::move(model), [&](const std::string& path) { return axon::Session::Load(path, options); },
        [&](const void* data, std::size_t size) { return axon::Session::LoadFromBytes(data, size, options); });
    inputs_ = Infos(session_->inputs());
    outputs_ = Infos(session_->outputs());
  }

  py::dict Run(const py::dict& feeds) {
    const auto& declared = session_->inputs();
    std::vector<py::array> arrays;  // alive until the run ends: the tensors view them
    arrays.reserve(declared.size());
    std::vector<axon::Tensor> inputs;
    inputs.reserve(declared.size());
    for (std::size_t i = 0; i < declared.size(); ++i) {
      PyObject* value = PyDict_GetItemWithError(feeds.ptr(), inputs_[i].key.ptr());  // borrowed
      if (!value && PyErr_Occurred()) throw py::error_already_set();
      if (!value) throw axon::Error(axon::ErrorCode::kInvalidArgument, "missing input " + declared[i].ToString());
      arrays.push_back(Prepare(value, declared[i], inputs_[i].dtype, "input"));
      inputs.push_back(InputView(arrays.back(), declared[i].dtype));
    }
    if (feeds.size() != declared.size()) {
      for (auto item : feeds) {
        const std::string name = py::str(item.first).cast<std::string>();
        bool known = false;
        for (const auto& info : declared) known = known || info.name == name;
        if (!known) {
          std::string names;
          for (const auto& info : declared) names += (names.empty() ? "" : ", ") + info.ToString();
          throw axon::Error(axon::ErrorCode::kInvalidArgument,
                            "model has no input '" + name + "' (inputs: " + names + ")");
        }
      }
    }
    bool reused = false;
    std::vector<std::vector<int64_t>> shapes = OutputShapes(inputs, true, reused);
    try {
      return RunInto(inputs, shapes);
    } catch (const axon::Error& e) {
      if (!reused || e.code() != axon::ErrorCode::kInvalidArgument) throw;
    }
    // The last run's output shapes were reused, but a model may read an input's values for a
    // shape (a Reshape whose target is an input); a run checks its buffers' shapes before it
    // writes anything, so it is tried again with this run's own shapes.
    return RunInto(inputs, OutputShapes(inputs, false, reused));
  }

  const std::vector<Info>& inputs() const { return inputs_; }
  const std::vector<Info>& outputs() const { return outputs_; }
  int threads() const { return session_->threads(); }

 private:
  // The output shapes for these inputs' shapes: those of the last run when its input shapes were
  // the same (a serving loop), which skips the session's plan lookup, whose memory a large
  // model's weights have evicted since the last run. Under the GIL, which guards the cache.
  std::vector<std::vector<int64_t>> OutputShapes(const std::vector<axon::Tensor>& inputs, bool reuse, bool& reused) {
    bool same = reuse && last_input_shapes_.size() == inputs.size();
    for (std::size_t i = 0; same && i < inputs.size(); ++i) same = last_input_shapes_[i] == inputs[i].shape();
    reused = same;
    if (same) return last_output_shapes_;
    std::vector<std::vector<int64_t>> shapes;
    {
      py::gil_scoped_release unlocked;  // the first run with new shapes plans, which takes a while
      shapes = session_->OutputShapes(inputs);
    }
    last_input_shapes_.clear();
    for (const auto& t : inputs) last_input_shapes_.push_back(t.shape());
    last_output_shapes_ = shapes;
    return shapes;
  }

  // Runs into new arrays of these shapes, with the GIL released.
  py::dict RunInto(const std::vector<axon::Tensor>& inputs, const std::vector<std::vector<int64_t>>& shapes) {
    const auto& out_infos = session_->outputs();
    py::dict result;
    std::vector<axon::Tensor> outputs;
    outputs.reserve(shapes.size());
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      py::array a(outputs_[i].dtype, shapes[i]);
      outputs.push_back(ViewOf(out_infos[i].dtype, a.mutable_data(), shapes[i], false));
      result[outputs_[i].key] = std::move(a);
    }
    py::gil_scoped_release unlocked;
    session_->RunInto(inputs, outputs);
    return result;
  }

  std::vector<std::vector<int64_t>> last_input_shapes_, last_output_shapes_;
  std::optional<axon::Session> session_;  // set by the constructor; optional only because Session has no default
  std::vector<Info> inputs_, outputs_;
};

std::string PathOf(const py::object& path) {
  return py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>();
}

class TrainingSession {
 public:
  TrainingSession(py::object model, const std::string& loss, const axon::OptimizerOptions& optimizer,
                  std::vector<std::string> frozen, uint64_t seed, int threads, int opt_level) {
    axon::TrainingOptions options;
    options.session = Options(threads, opt_level, 0);
    options.loss = loss;
    options.optimizer = optimizer;
    options.frozen = std::move(frozen);
    options.seed = seed;
    session_ = LoadModel<axon::TrainingSession>(
        std::move(model), [&](const std::string& path) { return axon::TrainingSession::Load(path, options); },
        [&](const void* data, std::size_t size) { return axon::TrainingSession::LoadFromBytes(data, size, options); });
  }
  explicit TrainingSession(axon::TrainingSession resumed) : session_(std::move(resumed)) {}

  // Continues from a checkpoint that save_checkpoint (or axon train --checkpoint) wrote.
  static std::unique_ptr<TrainingSession> Resume(py::object checkpoint, int threads, int opt_level) {
    const std::string path = PathOf(checkpoint);
    const axon::SessionOptions options = Options(threads, opt_level, 0);
    py::gil_scoped_release unlocked;
    return std::make_unique<TrainingSession>(axon::TrainingSession::Resume(path, options));
  }

  void SaveCheckpoint(py::object path) {
    const std::string p = PathOf(path);
    Exclusive([&] { session_->SaveCheckpoint(p); });
  }

  // The optimizer's settings in force, defaults resolved: what a checkpoint resumes with.
  py::dict Optimizer() const {
    const axon::TrainingOptions o = Exclusive([&] { return session_->options(); });
    const axon::OptimizerOptions& opt = o.optimizer;
    py::dict d;
    d["name"] = opt.name;
    d["lr"] = *opt.lr;
    d["weight_decay"] = *opt.weight_decay;
    if (opt.name == "sgd" || opt.name == "momentum") {
      d["momentum"] = *opt.momentum;
      d["dampening"] = opt.dampening;
      d["nesterov"] = opt.nesterov;
    } else {
      d["betas"] = py::make_tuple(opt.beta1, opt.beta2);
      d["eps"] = opt.epsilon;
    }
    return d;
  }
  std::string loss() const { return Exclusive([&] { return session_->options().loss; }); }

  // A model of one input takes an array; one of several, a sequence of arrays in inputs() order.
  float Step(py::handle x, py::handle y) {
    Batch batch(*session_, x, y);
    return Exclusive([&] { return session_->Step(batch.inputs, batch.labels); });
  }

  py::array Predict(py::handle x) {
    Batch batch(*session_, x, py::none());
    std::vector<axon::Tensor> out = Exclusive([&] { return session_->Predict(batch.inputs); });
    return ToArray(out.at(0));
  }

  void Export(py::object path) {
    const std::string p = PathOf(path);
    Exclusive([&] { session_->SaveModel(p); });
  }

  py::array Parameter(const std::string& name) const {
    return ToArray(Exclusive([&] { return session_->Parameter(name); }));
  }
  int64_t steps() const { return Exclusive([&] { return session_->step(); }); }
  void set_learning_rate(float lr) { Exclusive([&] { session_->set_learning_rate(lr); }); }
  // What does not change after loading: inputs, labels, parameter names.
  const axon::TrainingSession& session() const { return *session_; }

 private:
  // A TrainingSession is used by one thread at a time: Python threads take turns here, waiting
  // with the GIL released (the thread inside a step holds the lock, not the GIL).
  template <class F>
  auto Exclusive(F&& f) const -> decltype(f()) {
    py::gil_scoped_release unlocked;
    std::lock_guard lock(mutex_);
    return f();
  }
  mutable std::mutex mutex_;

  struct Batch {
    Batch(axon::TrainingSession& s, py::handle x, py::handle y) {
      const auto& declared = s.inputs();
      std::vector<py::handle> xs;
      if (declared.size() == 1) {
        xs.push_back(x);
      } else {
        if (!py::isinstance<py::sequence>(x) || py::len(x) != declared.size())
          throw axon::Error(axon::ErrorCode::kInvalidArgument, "the model has " + std::to_string(declared.size()) +
                                                                   " inputs: give a sequence of as many arrays");
        for (auto item : py::reinterpret_borrow<py::sequence>(x)) xs.push_back(item);
      }
      for (std::size_t i = 0; i < declared.size(); ++i) {
        arrays.push_back(Prepare(xs[i], declared[i], NumpyDType(declared[i].dtype), "input"));
        inputs.push_back(InputView(arrays.back(), declared[i].dtype));
      }
      if (!y.is_none()) {
        arrays.push_back(Prepare(y, s.labels(), NumpyDType(s.labels().dtype), "labels"));
        labels = InputView(arrays.back(), s.labels().dtype);
      }
    }
    std::vector<py::array> arrays;
    std::vector<axon::Tensor> inputs;
    axon::Tensor labels;
  };

  static py::array ToArray(const axon::Tensor& t) {
    py::array a(NumpyDType(t.dtype()), t.shape());
    if (t.nbytes() > 0) std::memcpy(a.mutable_data(), t.raw_data(), t.nbytes());
    return a;
  }

  std::optional<axon::TrainingSession> session_;
};

}  // namespace

PYBIND11_MODULE(_axon, m) {
  m.doc() = "Axon: run and train neural-network models (.axon and ONNX files)";
  m.attr("__version__") = axon::Version();

  py::register_exception<axon::Error>(m, "Error", PyExc_RuntimeError);

  py::class_<Info>(m, "TensorInfo", "An input or output: name, numpy dtype, shape (a dim is an int, a name, or None)")
      .def_readonly("name", &Info::name)
      .def_readonly("dtype", &Info::dtype)
      .def_readonly("shape", &Info::shape)
      .def("__repr__", [](const Info& i) { return "<TensorInfo " + i.text + ">"; });

  py::class_<Session>(m, "Session", "A compiled model, ready to run; safe to run from several threads at once")
      .def(py::init<py::object, int, int, int64_t>(), py::arg("model"), py::kw_only(), py::arg("threads") = 0,
           py::arg("opt_level") = 2, py::arg("memory_limit") = 0,
           "Loads a model from a path or from bytes (.axon, or ONNX). threads: 0 = one per core; opt_level 0..2; "
           "memory_limit: bytes a run may hold, 0 = half the machine's memory")
      .def("run", &Session::Run, py::arg("inputs"),
           "Runs the model on {input name: array}; returns {output name: array}")
      .def_property_readonly("inputs", &Session::inputs)
      .def_property_readonly("outputs", &Session::outputs)
      .def_property_readonly("threads", &Session::threads);

  py::class_<TrainingSession>(m, "TrainingSession", "A model with a loss and an optimizer, stepped on batches")
      .def(py::init([](py::object model, const std::string& loss, const std::string& optimizer, std::optional<float> lr,
                       std::optional<float> momentum, float dampening, bool nesterov, std::optional<float> weight_decay,
                       std::pair<float, float> betas, float eps, std::vector<std::string> frozen, uint64_t seed, int threads,
                       int opt_level) {
             axon::OptimizerOptions o;
             o.name = optimizer;
             o.lr = lr;
             o.momentum = momentum;
             o.dampening = dampening;
             o.nesterov = nesterov;
             o.weight_decay = weight_decay;
             o.beta1 = betas.first;
             o.beta2 = betas.second;
             o.epsilon = eps;
             return std::make_unique<TrainingSession>(std::move(model), loss, o, std::move(frozen), seed, threads, opt_level);
           }),
           py::arg("model"), py::kw_only(), py::arg("loss") = "mse", py::arg("optimizer") = "sgd", py::arg("lr") = py::none(),
           py::arg("momentum") = py::none(), py::arg("dampening") = 0.0f, py::arg("nesterov") = false,
           py::arg("weight_decay") = py::none(), py::arg("betas") = std::pair<float, float>(0.9f, 0.999f),
           py::arg("eps") = 1e-8f, py::arg("frozen") = std::vector<std::string>{}, py::arg("seed") = 0,
           py::arg("threads") = 0, py::arg("opt_level") = 2,
           "loss: mse, bce, bce-logits, ce or nll (as torch.nn's, mean); optimizer: sgd, momentum, adam or adamw, with "
           "torch.optim's settings: lr (default 0.01 for sgd/momentum, 0.001 for adam/adamw), momentum (sgd 0, momentum "
           "0.9), dampening, nesterov (sgd and momentum), weight_decay (0; adamw 0.01), betas and eps (adam and adamw). "
           "frozen: parameters kept as they are; seed: Dropout's masks")
      .def_static("resume", &TrainingSession::Resume, py::arg("checkpoint"), py::kw_only(), py::arg("threads") = 0,
                  py::arg("opt_level") = 2,
                  "Continues from a checkpoint (save_checkpoint, axon train --checkpoint): its parameters, optimizer "
                  "state, step count, loss and settings, so later steps equal an uninterrupted run's")
      .def("save_checkpoint", &TrainingSession::SaveCheckpoint, py::arg("path"),
           "Writes a checkpoint (an .axon model with the optimizer state) that TrainingSession.resume continues from")
      .def_property_readonly("optimizer", &TrainingSession::Optimizer, "The optimizer's settings in force, defaults resolved")
      .def_property_readonly("loss", &TrainingSession::loss)
      .def("step", &TrainingSession::Step, py::arg("x"), py::arg("y"), "One optimizer step; returns the batch's loss")
      .def("predict", &TrainingSession::Predict, py::arg("x"), "The model's output with the current parameters")
      .def("export", &TrainingSession::Export, py::arg("path"), "Writes the trained model as an .axon file")
      .def("parameter", &TrainingSession::Parameter, py::arg("name"), "A copy of a parameter's current value")
      .def_property_readonly("parameters", [](const TrainingSession& t) { return t.session().parameters(); })
      .def_property_readonly("steps", &TrainingSession::steps)
      .def_property_readonly("inputs", [](const TrainingSession& t) { return Infos(t.session().inputs()); })
      .def_property_readonly("labels", [](const TrainingSession& t) { return Info(t.session().labels()); })
      .def("set_learning_rate", &TrainingSession::set_learning_rate, py::arg("lr"), "For a schedule: later steps use it");

  m.def(
      "convert",
      [](py::object src, py::object dst) {
        py::module_ os = py::module_::import("os");
        const std::string in = py::str(os.attr("fspath")(src)).cast<std::string>();
        const std::string out = py::str(os.attr("fspath")(dst)).cast<std::string>();
        axon::Conversion c;
        {
          py::gil_scoped_release unlocked;
          c = axon::ConvertOnnx(in, out);
        }
        py::dict d;
        d["opset"] = c.opset;
        d["nodes"] = c.nodes;
        d["initializers"] = c.initializers;
        d["inputs"] = c.inputs;
        d["outputs"] = c.outputs;
        return d;
      },
      py::arg("src"), py::arg("dst"), "Converts an ONNX model into an .axon file, as `axon convert` does; returns the counts of what it wrote");
}
