// Loading a model file holds its weights about once: the file's bytes are never read into memory
// whole, and protobuf's copy of each weight is given back as soon as the tensor has it.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "formats/axon_format.h"

namespace fs = std::filesystem;
using namespace axon;

namespace {

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM").
int64_t StatusBytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
  return -1;
}

}  // namespace

TEST_CASE("loading a model file peaks at about its weights once", "[formats][memory]") {
  constexpr int kWeights = 8;
  constexpr int64_t kFloats = int64_t{4} << 20;  // 16 MiB each, 128 MiB in all
  const fs::path path = fs::temp_directory_path() / ("axon_load_memory_" + std::to_string(::getpid()) + ".axon");
  {
    graph::Model m;
    for (int i = 0; i < kWeights; ++i) {
      Tensor w = Tensor::Uninitialized(DType::kF32, {kFloats});
      for (int64_t j = 0; j < kFloats; ++j) w.data<float>()[j] = static_cast<float>(j % 977);
      m.graph.initializers["w" + std::to_string(i)] = w;
      m.graph.outputs.push_back({"w" + std::to_string(i), DType::kF32, graph::Shape({kFloats})});
    }
    formats::WriteModelFile(m, path.string());
  }
  const int64_t weight_bytes = kWeights * kFloats * 4;

  // Measured in a child process: its peak resident size is reset (clear_refs 5) just before the
  // load, so what the test did before cannot hide in it or inflate it.
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int64_t growth = -1;
    {
      std::ofstream("/proc/self/clear_refs") << "5";
      const int64_t before = StatusBytes("VmRSS");
      const graph::Model loaded = formats::ReadModelFile(path.string());
      if (loaded.graph.initializers.size() == kWeights && loaded.graph.initializers.at("w7").data<float>()[977] == 0.0f)
        growth = StatusBytes("VmHWM") - before;
    }
    const ssize_t written = ::write(fds[1], &growth, sizeof growth);
    ::_exit(written == sizeof growth ? 0 : 1);
  }
  ::close(fds[1]);
  int64_t growth = -1;
  const bool got = ::read(fds[0], &growth, sizeof growth) == sizeof growth;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  fs::remove(path);
  REQUIRE(got);
  INFO("peak growth " << growth << " bytes for " << weight_bytes << " bytes of weights");
  CHECK(growth >= weight_bytes);  // the tensors are really there: the measurement can see them
  CHECK(growth <= weight_bytes * 3 / 2);
}
