// A signal that ends the process between writing a temporary file and renaming it removes the
// temporary file (it would otherwise stay, full size, as PATH.tmp.PID.N).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

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
