// A command whose standard output cannot be written fails: a script that saves `axon bench --json`
// or `axon inspect` to a file on a full disk must not get exit code 0 and an empty file.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "formats/axon_format.h"
#include "graph/builder.h"
#include "tests/tools/cli_test_util.h"

namespace fs = std::filesystem;
namespace graph = axon::graph;

namespace {

// Runs `axon ARGS >/dev/full` in dir (a device whose every write fails with ENOSPC).
axon::cli_test::Result AxonToFullDevice(const std::string& args, const fs::path& dir) {
  const std::string cmd = "cd '" + dir.string() + "' && timeout 120 '" + AXON_CLI_PATH + "' " + args +
                          " >/dev/full 2>stderr.txt";
  const int status = std::system(cmd.c_str());
  axon::cli_test::Result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, "", axon::cli_test::Slurp(dir / "stderr.txt")};
  fs::remove(dir / "stderr.txt");
  return r;
}

}  // namespace

TEST_CASE("a full standard output fails the command, naming it", "[cli][stdout]") {
  if (!fs::exists("/dev/full")) {
    WARN("no /dev/full here: nothing to check");
    return;
  }
  const fs::path dir = axon::cli_test::TempDir("stdout");
  graph::GraphBuilder b("relu");
  b.Output(b.Op("Relu", {b.Input("x", axon::DType::kF32, graph::Shape({2, 3}))}), "y");
  graph::Model m;
  m.graph = b.Build();
  axon::formats::WriteModelFile(m, (dir / "m.axon").string());

  // The same commands succeed when their output has somewhere to go.
  REQUIRE(axon::cli_test::Axon("bench m.axon --runs 2 --json", dir).code == 0);
  for (const std::string& args : {std::string("bench m.axon --runs 2 --json"), std::string("inspect m.axon --passes"),
                                  std::string("profile m.axon --runs 1"), std::string("info"),
                                  std::string("bench --help")}) {
    INFO(args);
    const axon::cli_test::Result r = AxonToFullDevice(args, dir);
    CHECK(r.code == 1);
    const std::string command = args.substr(0, args.find(' '));
    CHECK(r.err == "axon " + command + ": cannot write to standard output: No space left on device\n");
  }
  // With no command, `axon --help` speaks for the tool as a whole.
  CHECK(AxonToFullDevice("--help", dir).err == "axon: cannot write to standard output: No space left on device\n");
  fs::remove_all(dir);
}
