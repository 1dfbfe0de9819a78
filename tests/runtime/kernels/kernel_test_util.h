// Helpers for kernel tests: seeded random inputs, and running one op through a session.
#pragma once

#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "axon/tensor.h"
#include "axon/axon.h"
#include "graph/ir.h"
#include "runtime/session_factory.h"

namespace axon::test {

// n floats drawn uniformly from [lo, hi), the same for the same seed on every run.
inline std::vector<float> RandomFloats(int64_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// `count` floats, 64-byte aligned as a session's buffers are, with `guard` more either side, all
// of them first set to a signalling NaN's bits, which no kernel computes (computed NaNs are
// quiet): a kernel given data() must leave every guard as it was, so a store outside
// [data(), data() + count) shows in TouchedGuards().
class GuardedFloats {
 public:
  explicit GuardedFloats(std::size_t count, std::size_t guard = 40) : count_(count), guard_(guard) {
    const uint32_t bits = 0x7fa5a5a5u;
    std::memcpy(&fill_, &bits, sizeof fill_);
    buf_.assign(count + 2 * guard + 16, fill_);
    const auto at = reinterpret_cast<uintptr_t>(buf_.data() + guard);
    first_ = guard + (64 - at % 64) % 64 / sizeof(float);
  }
  float* data() { return buf_.data() + first_; }
  std::vector<float> values() const {
    return std::vector<float>(buf_.begin() + static_cast<std::ptrdiff_t>(first_),
                              buf_.begin() + static_cast<std::ptrdiff_t>(first_ + count_));
  }
  int64_t TouchedGuards() const {
    int64_t touched = 0;
    for (std::size_t i = first_ - guard_; i < first_; ++i) touched += std::memcmp(&buf_[i], &fill_, sizeof fill_) != 0;
    for (std::size_t i = first_ + count_; i < first_ + count_ + guard_; ++i)
      touched += std::memcmp(&buf_[i], &fill_, sizeof fill_) != 0;
    return touched;
  }

 private:
  std::size_t count_, guard_, first_ = 0;
  float fill_;
  std::vector<float> buf_;
};

// `count` floats that end exactly where an inaccessible page begins: a kernel that reads (or
// writes) even one float past data() + count faults, with or without a memory checker. data()
// is 4-byte aligned only when count is not a multiple of 16, as an operand at an offset may be.
class FloatsAtPageEnd {
 public:
  explicit FloatsAtPageEnd(std::size_t count) : count_(count) {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    size_ = ((count * sizeof(float) + page - 1) / page + 1) * page;
    void* at = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(at != MAP_FAILED);
    base_ = static_cast<char*>(at);
    REQUIRE(mprotect(base_ + size_ - page, page, PROT_NONE) == 0);
    data_ = reinterpret_cast<float*>(base_ + size_ - page) - count;
  }
  FloatsAtPageEnd(const FloatsAtPageEnd&) = delete;
  FloatsAtPageEnd& operator=(const FloatsAtPageEnd&) = delete;
  ~FloatsAtPageEnd() { munmap(base_, size_); }
  float* data() { return data_; }
  void assign(const std::vector<float>& v) { std::memcpy(data_, v.data(), std::min(v.size(), count_) * sizeof(float)); }

 private:
  std::size_t count_, size_ = 0;
  char* base_ = nullptr;
  float* data_ = nullptr;
};

// Whether the op's inputs are constants (initializers: the adapter may prepare them, e.g. pack a
// GEMM weight ahead of time) or fed at run time.
enum class Constants { kNone, kAll };

// Runs one op the way a session does: a one-node graph, verified and planned (attributes and
// defaults read through the op's schema, the kernel bound by the op's adapter), run into the
// given output tensors, which must have the shapes and dtypes the op makes. A null input is an
// omitted optional one.
inline void RunKernel(const std::string& op, std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs,
                      const std::map<std::string, graph::Attribute>& attrs = {},
                      Constants constants = Constants::kNone) {
  graph::Model model;
  graph::Graph& g = model.graph;
  g.name = "kernel_test";
  graph::Node node{"test", op, {}, {}, attrs};
  std::vector<Tensor> feeds;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) {  // an omitted optional input
      node.inputs.emplace_back();
      continue;
    }
    const std::string name = "in" + std::to_string(i);
    node.inputs.push_back(name);
    if (constants == Constants::kAll) {
      g.initializers[name] = *inputs[i];
    } else {
      g.inputs.push_back({name, inputs[i]->dtype(), graph::Shape::FromValues(inputs[i]->shape())});
      feeds.push_back(*inputs[i]);
    }
  }
  std::vector<Tensor> results;
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    node.outputs.push_back("out" + std::to_string(o));
    g.outputs.push_back({node.outputs.back(), DType::kUndefined, graph::Shape()});
    results.push_back(*outputs[o]);  // shares the caller's storage: the run writes into it
  }
  g.nodes.push_back(std::move(node));
  Session session = detail::SessionFactory::FromModel(std::move(model), {}, "kernel_test");
  session.RunInto(feeds, results);
}

}  // namespace axon::test
