#include "formats/file_batch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "axon/error.h"
#include "formats/file_util.h"
#include "formats/temp_files.h"

namespace axon::formats {

FileBatch::~FileBatch() {
  for (const Staged& s : staged_) internal::RemoveTemp(s.tmp);
}

void CheckReplaceable(const std::string& path) { internal::CheckReplaceable(path); }

void FileBatch::Add(const std::string& path, std::span<const std::string_view> chunks) {
  staged_.push_back({internal::WriteTempFile(path, chunks), path});
}

void FileBatch::Commit() {
  std::vector<Staged> staged = std::move(staged_);
  staged_.clear();
  auto discard_from = [&](std::size_t first) {
    for (std::size_t i = first; i < staged.size(); ++i) internal::RemoveTemp(staged[i].tmp);
  };
  // Anything but a regular file in a target's place (a directory, a device, a symlink) is refused
  // by RenameOver: find it before any earlier target is replaced, so the files that were there
  // stay as they were.
  for (const Staged& s : staged) {
    try {
      internal::CheckReplaceable(s.path);
    } catch (const Error&) {
      discard_from(0);
      throw;
    }
  }
  for (std::size_t i = 0; i < staged.size(); ++i) {
    try {
      internal::RenameOver(staged[i].tmp, staged[i].path);  // removes its tmp when it fails
    } catch (const Error&) {
      for (std::size_t j = 0; j < i; ++j) ::unlink(staged[j].path.c_str());
      discard_from(i + 1);
      throw;
    }
  }
}

}  // namespace axon::formats
