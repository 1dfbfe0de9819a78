// What the axon train tests share: tiny data sets written as .npy, and reading the epoch lines.
#pragma once

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "axon/tensor.h"
#include "formats/npy.h"

namespace axon::cli_test {

// The start of most axon train commands: MODEL m.axon classifying the samples of WriteData.
inline const std::string kTrainCe = "train m.axon --data x.npy --labels c.npy --loss ce ";

inline int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The "loss X" values of the epoch lines, in order.
inline std::vector<double> EpochLosses(const std::string& out) {
  std::vector<double> losses;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("epoch ", 0) == 0) losses.push_back(std::stod(line.substr(line.find("loss ") + 5)));
  return losses;
}

// 16 samples of a smooth function of two inputs, and 3 classes by the sign pattern.
inline void WriteData(const std::filesystem::path& dir) {
  std::vector<float> x, y;
  std::vector<int64_t> classes;
  for (int i = 0; i < 16; ++i) {
    const float a = static_cast<float>(i % 4) / 3 - 0.5f, b = static_cast<float>(i / 4) / 3 - 0.5f;
    x.insert(x.end(), {a, b});
    y.push_back(0.5f * a - 0.25f * b);
    classes.push_back(a < 0 ? 0 : b < 0 ? 1 : 2);
  }
  formats::WriteNpyFile((dir / "x.npy").string(), Tensor::View(x.data(), {16, 2}));
  formats::WriteNpyFile((dir / "y.npy").string(), Tensor::View(y.data(), {16, 1}));
  formats::WriteNpyFile((dir / "c.npy").string(), Tensor::View(classes.data(), {16}));
}

}  // namespace axon::cli_test
