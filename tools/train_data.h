// The data side of axon train: samples from .npy files checked against the model, the order of
// each epoch, batches gathered into reused buffers, and accuracy.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "axon/axon.h"

namespace axon::cli {

// Samples along dim 0 of two tensors: the model's input and the loss's labels.
struct Dataset {
  Tensor x, y;
  int64_t begin = 0, end = 0;  // the samples [begin, end) of x and y
  int64_t size() const { return end - begin; }
};

// Reads X and Y and checks them against the model's input and the labels its loss wants: dtype,
// the dims after the first, and one sample count. Errors name the file and say what was expected.
// For class-index labels, checks each against the class count when the model's output states it.
// Errors about the model itself name model_path.
std::pair<Tensor, Tensor> ReadTrainingData(const std::string& model_path, const std::string& x_path,
                                           const std::string& y_path, const TrainingSession& session);

// A cheap fingerprint of the training data, recorded in checkpoints so that a resume with other
// data is refused: FNV-1a 64 over x's element bytes then y's (docs/format.md, data_fingerprint).
uint64_t DataFingerprint(const Tensor& x, const Tensor& y);

// The order of the samples in epoch `epoch` (0-based): file order, or a permutation that depends
// only on (seed, epoch), so a resumed run sees exactly the orders an uninterrupted one would.
std::vector<int64_t> EpochOrder(int64_t samples, bool shuffle, uint64_t seed, int64_t epoch);

// Copies samples into batch tensors kept per batch size (a full batch and the last, partial one),
// so that steps after the first of each size allocate nothing.
class Batcher {
 public:
  explicit Batcher(const Dataset& data) : data_(data) {}
  // Samples order[first .. first + count) (indices relative to data.begin).
  std::pair<const Tensor*, const Tensor*> Gather(const std::vector<int64_t>& order, int64_t first, int64_t count);

 private:
  const Dataset& data_;
  std::map<int64_t, std::pair<Tensor, Tensor>> buffers_;
};

// Correct predictions in a batch, or -1 when the loss is not a classification one. "ce"/"nll":
// the arg-max over dim 1 of [N,C,...] against class indices; "bce": probability > 0.5, and
// "bce-logits": logit > 0, against labels > 0.5. `count` gets the number of predictions made.
int64_t CountCorrect(const std::string& loss, const Tensor& predictions, const Tensor& labels, int64_t& count);

}  // namespace axon::cli
