// Several files written as one, for commands whose outputs belong together (a model and its
// inputs, every output of a run): all of them appear, or none.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace axon::formats {

class FileBatch {
 public:
  FileBatch() = default;
  ~FileBatch();  // removes the temporary files of a batch never committed
  FileBatch(const FileBatch&) = delete;
  FileBatch& operator=(const FileBatch&) = delete;

  // Writes the concatenation of chunks, whole and fsync'ed, to a temporary file beside path.
  // Errors are axon::Error(kIo) naming path. (StageNpyFile and StageModelFile call this.)
  void Add(const std::string& path, std::span<const std::string_view> chunks);
  // Renames every temporary file over its target. A target that is not a regular file (a
  // directory, a device, a FIFO, a symlink) fails the batch before anything is renamed; if a rename fails anyway, the targets already renamed by this
  // call are removed too. Either way every temporary file is gone and the error names the path.
  void Commit();

 private:
  struct Staged {
    std::string tmp, path;
  };
  std::vector<Staged> staged_;
};

// Refuses (axon::Error kIo, naming path) a target that a write would refuse at the end: anything
// but a regular file or nothing yet (a directory, a device, a FIFO, a symlink). Commands call it
// before long work whose result goes there.
void CheckReplaceable(const std::string& path);

}  // namespace axon::formats
