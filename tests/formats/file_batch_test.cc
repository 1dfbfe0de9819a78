#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "formats/file_batch.h"
#include "formats/npy.h"
#include "tests/formats/format_test_util.h"

using namespace axon;
using namespace axon::formats;
using axon::formats::test::ErrorOf;
using axon::formats::test::ReadBytes;
using axon::formats::test::ScratchDir;
using axon::formats::test::WriteBytes;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

void Stage(FileBatch& batch, const std::string& path, const std::string& text) {
  const std::string_view chunks[] = {text};
  batch.Add(path, chunks);
}

}  // namespace

TEST_CASE("file batch: every file appears at commit, none before", "[formats][batch]") {
  ScratchDir dir;
  FileBatch batch;
  Stage(batch, dir.File("a"), "A");
  StageNpyFile(batch, dir.File("b.npy"), Tensor::FromVector(std::vector<float>{1, 2}, {2}));
  CHECK(!fs::exists(dir.File("a")));
  CHECK(!fs::exists(dir.File("b.npy")));
  batch.Commit();
  CHECK(ReadBytes(dir.File("a")) == "A");
  CHECK(ReadNpyFile(dir.File("b.npy")).ToFloatVector() == std::vector<float>{1, 2});
  CHECK(dir.Entries() == std::vector<std::string>{"a", "b.npy"});
}

TEST_CASE("file batch: an uncommitted batch leaves nothing", "[formats][batch]") {
  ScratchDir dir;
  {
    FileBatch batch;
    Stage(batch, dir.File("a"), "A");
  }
  CHECK(dir.Entries().empty());
}

TEST_CASE("file batch: a directory in a target's place fails it before anything changes", "[formats][batch]") {
  ScratchDir dir;
  WriteBytes(dir.File("a"), "old");
  fs::create_directory(dir.File("z"));
  FileBatch batch;
  Stage(batch, dir.File("a"), "new");
  Stage(batch, dir.File("z"), "Z");
  CHECK_THAT(ErrorOf([&] { batch.Commit(); }, ErrorCode::kIo), StartsWith(dir.File("z") + ": cannot write: Is a directory"));
  CHECK(ReadBytes(dir.File("a")) == "old");
  CHECK(dir.Entries() == std::vector<std::string>{"a", "z"});  // no temporary files left
}

TEST_CASE("file batch: a failed rename removes the targets renamed before it", "[formats][batch]") {
  ScratchDir dir;
  fs::create_directory(dir.File("sub"));
  FileBatch batch;
  Stage(batch, dir.File("a"), "A");
  Stage(batch, dir.File("sub/b"), "B");
  Stage(batch, dir.File("c"), "C");
  fs::remove_all(dir.File("sub"));  // b's temporary file and directory vanish: its rename fails
  CHECK_THAT(ErrorOf([&] { batch.Commit(); }, ErrorCode::kIo), StartsWith(dir.File("sub/b") + ": cannot write"));
  CHECK(dir.Entries().empty());  // a was renamed and removed again; c's temporary file is gone
}

TEST_CASE("file batch: a device, FIFO or symlink in a target's place is refused, never replaced", "[formats][file_batch]") {
  const fs::path dir = fs::temp_directory_path() / ("axon_batch_special_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path fifo = dir / "f.npy", link = dir / "l.npy", target = dir / "target.npy";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  { std::ofstream(target) << "kept"; }
  fs::create_symlink(target, link);
  for (const fs::path& p : {fifo, link}) {
    INFO(p);
    FileBatch batch;
    Stage(batch, p.string(), "new");
    CHECK_THROWS_WITH(batch.Commit(), Catch::Contains("is in the way (only a regular file is replaced)"));
  }
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));
  CHECK(fs::is_symlink(fs::symlink_status(link)));
  std::ifstream in(target);
  std::string kept;
  in >> kept;
  CHECK(kept == "kept");
  // No temporary file is left behind.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 3);
  fs::remove_all(dir);
}
