// One axon train run per checkpoint: two runs writing one checkpoint would each replace the
// other's after every epoch, and a resume would continue whichever wrote last.
#pragma once

#include <string>

namespace axon::cli {

// Holds an advisory lock (flock) on PATH.lock beside the checkpoint for as long as it lives, and
// removes that file when it ends. A second holder of the same path is refused at once with
// axon::Error (kInvalidArgument) naming the checkpoint. A run killed mid-way leaves PATH.lock
// behind, unlocked (the kernel drops the lock with the process): the next run takes it over.
class CheckpointLock {
 public:
  explicit CheckpointLock(const std::string& checkpoint);
  ~CheckpointLock();
  CheckpointLock(const CheckpointLock&) = delete;
  CheckpointLock& operator=(const CheckpointLock&) = delete;

 private:
  std::string path_;  // PATH.lock
  int fd_ = -1;
};

}  // namespace axon::cli
