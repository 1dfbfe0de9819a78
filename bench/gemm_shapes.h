// GEMM shapes benchmarked for Axon and its anchors: squares, and the M×K×N of real MLP and
// Transformer layers (batch × in × out).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace axon::bench {

struct GemmShape {
  int64_t m, k, n;
  std::string Name() const { return std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n); }
};

inline const std::vector<GemmShape>& GemmShapes() {
  static const std::vector<GemmShape> shapes = {
      {64, 64, 64},      {128, 128, 128},  {256, 256, 256},  {512, 512, 512},   {1024, 1024, 1024},
      {2048, 2048, 2048}, {1, 784, 512},   {16, 784, 512},   {64, 784, 512},    {256, 784, 512},
      {64, 512, 512},    {64, 512, 10},    {128, 768, 3072}, {1, 4096, 4096},
  };
  return shapes;
}

}  // namespace axon::bench
