// Reading and writing .axon model files (schema: proto/axon.proto; docs/format.md).
//
// Loading trusts nothing in the file: every count, dim, dtype and byte length is checked before
// anything is allocated, and a bad file is reported as axon::Error(kInvalidFile) whose message
// starts with the file name and names the node/initializer/value and shape involved, e.g.
//   "model.axon: initializer 'fc1.weight' f32[512,784] needs 1605632 bytes, file has 1000".
// A file from a newer Axon (format or opset version above this build's) is kUnsupported; an OS
// failure (open, read, write) is kIo. Semantic graph checks (dangling edges, cycles, shapes)
// are the verifier's (graph/verifier.h), not the loader's.
//
// Round trips are exact: ParseModel(SerializeModel(m)) equals m in every field, and
// serialization is deterministic (same model, same bytes). The writer refuses (kInvalidArgument)
// a model it could not read back: invalid UTF-8 in a name, an undefined initializer, an empty
// op_type, more than 64 dims. It always writes the current format version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "axon/tensor.h"
#include "formats/file_batch.h"
#include "graph/ir.h"

namespace axon::formats {

// Limits checked on load (and on write).
inline constexpr int64_t kMaxModelFileBytes = 2147483647;  // protobuf cannot parse 2 GiB or more

// Optimizer state of a training checkpoint (Model.training in the file). Not part of
// graph::Model: inference does not need it.
struct TrainingState {
  int64_t step = 0;                                 // optimizer steps taken, >= 0
  std::string optimizer;                            // "sgd", "momentum", "adam", "adamw", ...
  std::map<std::string, double> hyper_parameters;   // "lr", "beta1", "weight_decay", "batch_size", ...
  // parameter (an initializer's name) -> slot ("m", "v", "velocity") -> tensor with the
  // parameter's dtype and shape.
  std::map<std::string, std::map<std::string, Tensor>> slots;
  // The training loop's place, for a resume that continues exactly.
  int64_t epoch = 0;           // epochs completed, >= 0
  uint64_t shuffle_seed = 0;   // seed of the data order
  std::string loss;            // "mse", "ce", ...; "" when not recorded
  int64_t data_samples = 0;    // samples trained on (with validation), >= 0; 0 when not recorded
  uint64_t data_fingerprint = 0;  // FNV-1a 64 of the data's then the labels' bytes; 0 when not recorded
  // The random generator of Dropout's masks: its seed and the draws made (0, 0 in older files).
  uint64_t rng_seed = 0;
  uint64_t rng_counter = 0;
};

// A model plus, for a training checkpoint, its optimizer state.
struct Checkpoint {
  graph::Model model;
  std::optional<TrainingState> training;
};

// Inference view: a checkpoint's training state is checked, then dropped.
graph::Model ReadModelFile(const std::string& path);
// `origin` names the bytes in error messages (a path, or e.g. "<memory>").
graph::Model ParseModel(const void* data, std::size_t size, const std::string& origin);
void WriteModelFile(const graph::Model& model, const std::string& path);
// Writes the file into batch: it appears at path when the batch is committed.
void StageModelFile(FileBatch& batch, const graph::Model& model, const std::string& path);
std::string SerializeModel(const graph::Model& model);

Checkpoint ReadCheckpointFile(const std::string& path);
Checkpoint ParseCheckpoint(const void* data, std::size_t size, const std::string& origin);
void WriteCheckpointFile(const Checkpoint& checkpoint, const std::string& path);
std::string SerializeCheckpoint(const Checkpoint& checkpoint);

}  // namespace axon::formats
