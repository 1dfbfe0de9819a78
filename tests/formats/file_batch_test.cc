#include <catch2/catch.hpp>

#include <filesystem>
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
