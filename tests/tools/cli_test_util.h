// Running the built `axon` binary from tests, as a user would.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace axon::cli_test {

struct Result {
  int code;
  std::string out, err;
};

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Runs `PROGRAM ARGS` in dir with stdout and stderr captured apart (the files are removed again).
// A hang fails (code 124) instead of stalling the suite.
inline Result Run(const std::string& program, const std::string& args, const std::filesystem::path& dir) {
  const std::string cmd = "cd '" + dir.string() + "' && timeout 120 '" + program + "' " + args +
                          " >stdout.txt 2>stderr.txt";
  const int status = std::system(cmd.c_str());
  Result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(dir / "stdout.txt"), Slurp(dir / "stderr.txt")};
  std::filesystem::remove(dir / "stdout.txt");
  std::filesystem::remove(dir / "stderr.txt");
  return r;
}
inline Result Axon(const std::string& args, const std::filesystem::path& dir) { return Run(AXON_CLI_PATH, args, dir); }

// A fresh, empty directory for one test.
inline std::filesystem::path TempDir(const std::string& name) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("axon_cli_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The names of the files in dir, sorted.
inline std::vector<std::string> Files(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace axon::cli_test
