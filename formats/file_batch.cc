#include "formats/file_batch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "axon/error.h"
#include "formats/file_util.h"

namespace axon::formats {

FileBatch::~FileBatch() {
  for (const Staged& s : staged_) ::unlink(s.tmp.c_str());
}

void FileBatch::Add(const std::string& path, std::span<const std::string_view> chunks) {
  staged_.push_back({internal::WriteTempFile(path, chunks), path});
}

void FileBatch::Commit() {
  std::vector<Staged> staged = std::move(staged_);
  staged_.clear();
  auto discard_from = [&](std::size_t first) {
    for (std::size_t i = first; i < staged.size(); ++i) ::unlink(staged[i].tmp.c_str());
  };
  // Anything but a regular file in a target's place (a directory, a device, a symlink) is refused
  // by RenameOver: find it before any earlier target is replaced, so the files that were there
  // stay as they were.
  for (const Staged& s : staged) {
    struct stat st {};
    if (::lstat(s.path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      discard_from(0);
      if (S_ISDIR(st.st_mode))
        throw Error(ErrorCode::kIo, s.path + ": cannot write: " + std::generic_category().message(EISDIR));
      throw Error(ErrorCode::kIo, s.path + ": cannot write: " +
                                      std::string(S_ISLNK(st.st_mode) ? "a symbolic link" : "something other than a regular file") +
                                      " is in the way (only a regular file is replaced)");
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
