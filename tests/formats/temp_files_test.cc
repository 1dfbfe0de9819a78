// A signal that ends the process between writing a temporary file and renaming it removes the
// temporary file (it would otherwise stay, full size, as PATH.tmp.PID.N).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "formats/file_util.h"
#include "tests/formats/format_test_util.h"

namespace fs = std::filesystem;
using axon::formats::test::ScratchDir;

namespace {

// Runs WriteTempFile in a child that then gets sig before any rename; returns the child's tmp
// name and how it ended.
std::string WriteThenSignal(const std::string& path, int sig, int& status) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::signal(sig, SIG_DFL);  // the test runner's own handler would be left alone, by design
    const std::string text(1 << 20, 'x');
    const std::string_view chunks[] = {text};
    const std::string tmp = axon::formats::internal::WriteTempFile(path, chunks);
    (void)!::write(fds[1], tmp.c_str(), tmp.size());
    ::close(fds[1]);
    ::raise(sig);
    ::_exit(0);
  }
  ::close(fds[1]);
  char name[4096] = {};
  std::size_t got = 0;
  for (ssize_t n; (n = ::read(fds[0], name + got, sizeof name - 1 - got)) > 0;) got += static_cast<std::size_t>(n);
  ::close(fds[0]);
  REQUIRE(::waitpid(child, &status, 0) == child);
  return std::string(name, got);
}

}  // namespace

TEST_CASE("temp files: SIGINT or SIGTERM mid-write removes the temporary file and still ends the process", "[formats][temp_files]") {
  ScratchDir dir;
  for (int sig : {SIGINT, SIGTERM}) {
    INFO(sig);
    int status = 0;
    const std::string tmp = WriteThenSignal(dir.File("ckpt.axon"), sig, status);
    REQUIRE(tmp.rfind(dir.File("ckpt.axon") + ".tmp.", 0) == 0);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == sig);
    CHECK_FALSE(fs::exists(tmp));
    CHECK_FALSE(fs::exists(dir.File("ckpt.axon")));
  }
}

TEST_CASE("temp files: what a SIGKILL mid-write leaves is removed by the next write of that file, nothing else",
          "[formats][temp_files]") {
  ScratchDir dir;
  const std::string path = dir.File("ckpt.axon");
  int status = 0;
  const std::string killed = WriteThenSignal(path, SIGKILL, status);  // no handler runs: the file stays
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(fs::exists(killed));
  // Kept: a live process's write in progress (pid 1 always exists), names of another pattern or
  // another file, and a directory.
  const std::vector<std::string> kept = {path + ".tmp.1.0", path + ".tmp.x.0", path + ".tmp.123", path + ".tmp.123.4.5",
                                         dir.File("other.axon.tmp.999999999.0"), path + ".tmpx.999999999.0"};
  for (const std::string& name : kept) std::ofstream(name) << "keep";
  fs::create_directory(path + ".tmp.999999998.0");
  const std::string text = "new";
  const std::string_view chunks[] = {text};
  axon::formats::internal::WriteFileAtomically(path, chunks);
  CHECK_FALSE(fs::exists(killed));
  for (const std::string& name : kept) {
    INFO(name);
    CHECK(fs::exists(name));
  }
  CHECK(fs::is_directory(path + ".tmp.999999998.0"));
  std::ifstream in(path);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "new");
}
