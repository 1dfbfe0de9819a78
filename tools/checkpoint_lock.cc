#include "tools/checkpoint_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "axon/error.h"

namespace axon::cli {

CheckpointLock::CheckpointLock(const std::string& checkpoint) : path_(checkpoint + ".lock") {
  // The lock file is removed by its holder at the end: a run that opened it just before then
  // holds a lock on a file no longer at the path, so each lock taken is checked to be the path's
  // file, and taken again on the new one otherwise.
  for (;;) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw Error(ErrorCode::kIo, path_ + ": cannot create the checkpoint's lock file: " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK)
        throw Error(ErrorCode::kInvalidArgument,
                    "--checkpoint " + checkpoint + ": another axon train run holds it (the lock on " + path_ +
                        " is taken); two runs would overwrite each other's checkpoints: wait for that run to end, or "
                        "name another --checkpoint");
      throw Error(ErrorCode::kIo, path_ + ": cannot lock the checkpoint's lock file: " + std::strerror(error));
    }
    struct stat held {}, named {};
    if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
}

CheckpointLock::~CheckpointLock() {
  // Removed while still locked, so that no other run can take this file's lock after it is gone.
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace axon::cli
