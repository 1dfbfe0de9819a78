// Axon's embedding API. Only standard-library types and Axon's own vocabulary types appear
// here: no Highway, TBB or protobuf.
//
//   axon::Session s = axon::Session::Load("model.axon", {.threads = 2});
//   std::vector<axon::Tensor> out = s.Run({{"x", axon::Tensor::View(data, {32, 784})}});
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "axon/dtype.h"
#include "axon/error.h"
#include "axon/export.h"
#include "axon/tensor.h"
#include "axon/version.h"

namespace axon {

namespace detail { struct SessionFactory; }

inline constexpr int kMaxOptLevel = 2;

struct SessionOptions {
  // Worker threads for this session; 0 = as many as TBB runs at once in this process: one per
  // core, unless the host application changed that with tbb::global_control. A larger number is
  // capped at that (TBB would not start more threads anyway); Session::threads() says what was
  // used. A negative number throws axon::Error.
  int threads = 0;
  // Graph passes run before planning (docs/passes.md). 0: the graph runs as loaded; 1: clean-up
  // (identity removal, constant folding, common subexpressions, dead nodes); 2: clean-up and the
  // fusions (GEMM epilogues, transposes into GEMM flags, Conv+BatchNorm, elementwise chains).
  int opt_level = 2;
  // Most bytes this session's runs may hold at once, all concurrent runs together: intermediate
  // tensors, kernel scratch and the outputs being made (inputs and weights not counted). A run
  // that would need more throws axon::Error naming the node. 0 = half of the machine's physical
  // memory, so that a model whose shapes explode fails cleanly instead of exhausting the host.
  int64_t memory_limit_bytes = 0;
  // Passes not to run, by name ("elementwise-fusion"); an unknown name throws axon::Error listing
  // the passes.
  std::vector<std::string> disabled_passes = {};
};

// An input or output of a model. A dim of -1 is unknown; its name (e.g. "batch") is in symbols.
// When has_rank is false even the number of dims is unknown (shape and symbols are empty), which
// is not a scalar: a scalar has a rank, 0.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
  std::vector<std::string> symbols;  // per dim: symbolic name, or "" for a known or anonymous dim
  bool has_rank = true;
  AXON_API std::string ToString() const;      // "x: f32[batch,784]", scalar "s: f32[]", unknown rank "u: f32[?...]"
};

using NamedTensor = std::pair<std::string, Tensor>;

class AXON_API Session {
 public:
  // Reads, verifies, infers shapes and plans the model. Throws axon::Error naming the file.
  // The format is recognized by content: an .axon file, or an ONNX model when the application
  // links libaxon_onnx (else one clear error says that it was built without the importer).
  static Session Load(const std::string& path, const SessionOptions& options = {});
  static Session LoadFromBytes(const void* data, std::size_t size, const SessionOptions& options = {},
                               const std::string& origin = "<memory>");

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  int threads() const;  // worker threads used: SessionOptions::threads after the cap, or the default

  // Runs the model. Every graph input must be given once, by name, with its dtype and a shape
  // matching the declared one (symbolic dims bind to one size per run). Returns the outputs in
  // the order of outputs().
  std::vector<Tensor> Run(const std::vector<NamedTensor>& inputs);

  // Runs with inputs in inputs() order and writes the outputs (outputs() order) into `outputs`:
  // each a writable tensor of the output's dtype and of the shape this run makes (OutputShapes),
  // e.g. a Tensor::View of caller memory that overlaps no input. After the first run with these
  // input shapes this allocates nothing: the plan, its arena and the kernels are all reused.
  void RunInto(std::span<const Tensor> inputs, std::span<Tensor> outputs);
  // The shapes of the outputs a run with these inputs makes (planning that run if needed).
  std::vector<std::vector<int64_t>> OutputShapes(std::span<const Tensor> inputs);

  struct Impl;  // opaque: defined in runtime/session.cc, nothing of it reaches an application

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  Impl& impl() const;  // throws axon::Error on a moved-from session
  std::unique_ptr<Impl> impl_;
  friend struct detail::SessionFactory;
};

}  // namespace axon

#include "axon/training.h"  // TrainingSession: after Session, whose options it uses
