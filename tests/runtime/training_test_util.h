// What the TrainingSession tests share: loading a model built in memory as a file would be
// loaded, comparing tensors bit for bit, and scratch files for checkpoints.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "graph/ir.h"

namespace axon::training_test {

// m through its serialized bytes (the path a file takes), on `threads` threads; errors name origin.
inline TrainingSession Load(const graph::Model& m, TrainingOptions options, int threads = 1,
                            const std::string& origin = "net.axon") {
  options.session.threads = threads;
  const std::string bytes = formats::SerializeModel(m);
  return TrainingSession::LoadFromBytes(bytes.data(), bytes.size(), options, origin);
}

// A tensor's bytes, for bit-for-bit comparisons.
inline std::vector<char> Bytes(const Tensor& t) {
  const char* p = static_cast<const char*>(t.raw_data());
  return std::vector<char>(p, p + t.nbytes());
}

// A fresh .axon path in the temp directory, removed at scope exit.
struct ScratchFile {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("axon_training_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".axon"))
                         .string();
  ~ScratchFile() { std::filesystem::remove(path); }
  static inline int counter = 0;
};

}  // namespace axon::training_test
