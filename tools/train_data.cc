#include "tools/train_data.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "formats/npy.h"

namespace axon::cli {
namespace {

std::string Typed(const Tensor& t) { return std::string(DTypeName(t.dtype())) + ShapeToString(t.shape()); }

// "f32[N,2]" for a tensor info whose first dim is the samples.
std::string Expected(const TensorInfo& info) {
  std::string s = std::string(DTypeName(info.dtype)) + "[N";
  for (std::size_t i = 1; i < info.shape.size(); ++i)
    s += "," + (info.shape[i] >= 0 ? std::to_string(info.shape[i]) : info.symbols[i].empty() ? "?" : info.symbols[i]);
  return s + "]";
}

void CheckFits(const std::string& path, const Tensor& t, const TensorInfo& info, const std::string& role) {
  const std::string want = "must be " + Expected(info) + " (" + role + ")";
  if (t.dtype() != info.dtype) throw Error(ErrorCode::kInvalidArgument, path + " is " + Typed(t) + "; it " + want);
  if (!info.has_rank) return;
  if (info.shape.empty() || t.rank() != static_cast<int64_t>(info.shape.size()))
    throw Error(ErrorCode::kInvalidArgument, path + " is " + Typed(t) + "; it " + want);
  for (std::size_t i = 1; i < info.shape.size(); ++i)
    if (info.shape[i] >= 0 && info.shape[i] != t.shape()[i])
      throw Error(ErrorCode::kInvalidArgument, path + " is " + Typed(t) + "; it " + want);
}

// SplitMix64: decorrelates nearby seeds and epochs before they seed the shuffle.
uint64_t Mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A NaN or infinity in the data or the labels would surface as a diverged loss, wrongly blamed
// on --lr.
void CheckFinite(const std::string& path, const Tensor& t, const std::string& what) {
  if (t.dtype() != DType::kF32 || t.size() == 0) return;
  const float* v = t.data<float>();
  const int64_t per_row = t.size() / t.shape()[0];
  for (int64_t i = 0; i < t.size(); ++i)
    if (!std::isfinite(v[i]))
      throw Error(ErrorCode::kInvalidArgument, path + ": sample " + std::to_string(i / per_row) + " (element " +
                                                   std::to_string(i) + " of the " + what + ") holds " +
                                                   (std::isnan(v[i]) ? "NaN" : "an infinity"));
}

}  // namespace

std::pair<Tensor, Tensor> ReadTrainingData(const std::string& model_path, const std::string& x_path,
                                           const std::string& y_path, const TrainingSession& session) {
  if (session.inputs().size() != 1)
    throw Error(ErrorCode::kInvalidArgument, model_path + ": the model has " + std::to_string(session.inputs().size()) +
                                                 " inputs; axon train feeds one (--data)");
  // Samples are rows (dim 0): a scalar input or output has none to batch.
  for (const TensorInfo* info : {&session.inputs()[0], &session.output()})
    if (info->has_rank && info->shape.empty())
      throw Error(ErrorCode::kInvalidArgument, model_path + ": the model's " +
                                                   std::string(info == &session.output() ? "output " : "input ") +
                                                   info->ToString() +
                                                   " is a scalar: axon train needs samples along dim 0 (a batch dim)");
  Tensor x = formats::ReadNpyFile(x_path);
  Tensor y = formats::ReadNpyFile(y_path);
  const TensorInfo& input = session.inputs()[0];
  CheckFits(x_path, x, input, "the model's input " + input.ToString() + ", one sample per row");
  const std::string& loss = session.options().loss;
  CheckFits(y_path, y, session.labels(),
            loss == "ce" || loss == "nll" ? "class indices for --loss " + loss + ", one per sample"
                                          : "labels for --loss " + loss + " have the shape of the model's output " +
                                                session.output().ToString());
  if (x.rank() == 0 || y.rank() == 0 || x.shape()[0] != y.shape()[0])
    throw Error(ErrorCode::kInvalidArgument, x_path + " is " + Typed(x) + " and " + y_path + " is " + Typed(y) +
                                                 ": they must hold the same number of samples (dim 0)");
  if (x.shape()[0] == 0) throw Error(ErrorCode::kInvalidArgument, x_path + " holds no samples");
  CheckFinite(x_path, x, "data");
  CheckFinite(y_path, y, "labels");
  const TensorInfo& out = session.output();
  if (y.dtype() == DType::kI64 && out.has_rank && out.shape.size() >= 2 && out.shape[1] >= 0) {
    const int64_t classes = out.shape[1];
    const int64_t* labels = y.data<int64_t>();
    for (int64_t i = 0; i < y.size(); ++i)
      if ((labels[i] < 0 || labels[i] >= classes) && labels[i] != kIgnoredClass)
        throw Error(ErrorCode::kInvalidArgument, y_path + ": label " + std::to_string(labels[i]) + " (element " +
                                                     std::to_string(i) + ") is not a class index of the model's " +
                                                     std::to_string(classes) + " classes (0.." +
                                                     std::to_string(classes - 1) + ", or " + std::to_string(kIgnoredClass) + " to ignore the sample)");
    // Every sample ignored leaves a mean over nothing: NaN, which would be blamed on --lr.
    if (std::all_of(labels, labels + y.size(), [](int64_t l) { return l == kIgnoredClass; }))
      throw Error(ErrorCode::kInvalidArgument, y_path + ": every label is " + std::to_string(kIgnoredClass) +
                                                   " (an ignored sample): nothing to train on");
  }
  return {std::move(x), std::move(y)};
}

uint64_t DataFingerprint(const Tensor& x, const Tensor& y) {
  uint64_t h = 14695981039346656037ull;
  for (const Tensor* t : {&x, &y}) {
    const auto* p = static_cast<const unsigned char*>(t->raw_data());
    for (std::size_t i = 0; i < t->nbytes(); ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  return h;
}

std::vector<int64_t> EpochOrder(int64_t samples, bool shuffle, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<std::size_t>(samples));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (!shuffle) return order;
  // Fisher-Yates with unbiased bounded draws from SplitMix64: the same on every platform.
  uint64_t state = Mix(seed) ^ Mix(static_cast<uint64_t>(epoch) + 0x632be59bd9b4e019ull);
  auto next = [&state] { return Mix(state++); };
  for (int64_t i = samples - 1; i > 0; --i) {
    const uint64_t range = static_cast<uint64_t>(i) + 1;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t r;
    do r = next();
    while (r >= limit);
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(r % range)]);
  }
  return order;
}

std::pair<const Tensor*, const Tensor*> Batcher::Gather(const std::vector<int64_t>& order, int64_t first, int64_t count) {
  auto it = buffers_.find(count);
  if (it == buffers_.end()) {
    auto shaped = [count](const Tensor& t) {
      std::vector<int64_t> shape = t.shape();
      shape[0] = count;
      return Tensor::Uninitialized(t.dtype(), shape);
    };
    it = buffers_.emplace(count, std::make_pair(shaped(data_.x), shaped(data_.y))).first;
  }
  auto copy = [&](const Tensor& from, Tensor& to) {
    const std::size_t row = from.shape()[0] ? from.nbytes() / static_cast<std::size_t>(from.shape()[0]) : 0;
    const char* src = static_cast<const char*>(from.raw_data());
    char* dst = static_cast<char*>(to.raw_data());
    for (int64_t k = 0; k < count; ++k)
      std::memcpy(dst + static_cast<std::size_t>(k) * row,
                  src + static_cast<std::size_t>(data_.begin + order[static_cast<std::size_t>(first + k)]) * row, row);
  };
  copy(data_.x, it->second.first);
  copy(data_.y, it->second.second);
  return {&it->second.first, &it->second.second};
}

int64_t CountCorrect(const std::string& loss, const Tensor& predictions, const Tensor& labels, int64_t& count) {
  count = 0;
  if (loss == "ce" || loss == "nll") {
    // Scores [N, C, inner...] against labels [N, inner...].
    const int64_t n = predictions.shape()[0], classes = predictions.shape()[1];
    const int64_t inner = n * classes != 0 ? predictions.size() / (n * classes) : 0;
    const float* p = predictions.data<float>();
    const int64_t* y = labels.data<int64_t>();
    int64_t correct = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        int64_t best = 0;
        for (int64_t c = 1; c < classes; ++c)
          if (p[(i * classes + c) * inner + j] > p[(i * classes + best) * inner + j]) best = c;
        const int64_t label = y[i * inner + j];
        if (label == kIgnoredClass) continue;
        correct += best == label;
        ++count;
      }
    return correct;
  }
  if (loss == "bce" || loss == "bce-logits") {
    const float threshold = loss == "bce" ? 0.5f : 0.0f;
    const float* p = predictions.data<float>();
    const float* y = labels.data<float>();
    int64_t correct = 0;
    for (int64_t i = 0; i < predictions.size(); ++i) correct += (p[i] > threshold) == (y[i] > 0.5f);
    count = predictions.size();
    return correct;
  }
  return -1;
}

}  // namespace axon::cli
