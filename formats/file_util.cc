#include "formats/file_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

#include "axon/error.h"
#include "formats/temp_files.h"

namespace axon::formats::internal {
namespace {

[[noreturn]] void ThrowIo(const std::string& path, const char* what, int err) {
  throw Error(ErrorCode::kIo, path + ": " + what + ": " + std::generic_category().message(err));
}

// Closes fd on scope exit unless released.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string DirectoryOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

const char* FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "unknown kind";
}

// Whether the process pid is gone. kill(pid, 0) sends nothing; EPERM means it exists (another
// user's), so only ESRCH counts as gone.
bool ProcessGone(long pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

// Removes what writes of path by processes killed mid-write (SIGKILL, a power cut: no handler
// runs) left behind: files named exactly PATH.tmp.PID.N whose PID no longer exists on this host.
// Another live writer's file, this process's own, and any other name are left alone. Best
// effort: a failure costs a stray file, never the write.
void RemoveStaleTemps(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  std::error_code ec;
  for (std::filesystem::directory_iterator it(DirectoryOf(path), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());  // PID.N
    const std::size_t dot = rest.find('.');
    const auto digits = [](std::string_view v) {
      return !v.empty() && v.size() <= 18 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (dot == std::string::npos || !digits(std::string_view(rest).substr(0, dot)) || !digits(std::string_view(rest).substr(dot + 1)))
      continue;
    const long pid = std::stol(rest.substr(0, dot));
    if (pid == static_cast<long>(::getpid()) || !ProcessGone(pid)) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::unlink(it->path().c_str());
  }
}

}  // namespace

InputFile::InputFile(const std::string& path) : path_(path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. The check
  // is on the descriptor itself (fstat), so the file cannot be swapped between check and read.
  do {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) ThrowIo(path, "cannot open", errno);
  FdCloser closer(fd_);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) ThrowIo(path, "cannot stat", errno);
  // Devices (/dev/zero), FIFOs and directories have no size to check and may never end.
  if (!S_ISREG(st.st_mode))
    throw Error(ErrorCode::kIo, path + ": cannot read: not a regular file (" + FileKind(st.st_mode) + ")");
  // Regular files ignore O_NONBLOCK; clear it anyway so reads are plain blocking reads.
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) != 0) ThrowIo(path, "cannot open", errno);
  size_ = static_cast<std::size_t>(st.st_size);
  closer.release();
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::Read(void* dst, std::size_t n) {
  char* p = static_cast<char*>(dst);
  while (n > 0) {
    // Linux reads at most ~2 GiB a call; larger tensors take several.
    const ssize_t got = ::read(fd_, p, n < (std::size_t{1} << 30) ? n : (std::size_t{1} << 30));
    if (got < 0) {
      if (errno == EINTR) continue;
      ThrowIo(path_, "cannot read", errno);
    }
    if (got == 0) throw Error(ErrorCode::kIo, path_ + ": cannot read: file ended early (changed while being read?)");
    p += got;
    n -= static_cast<std::size_t>(got);
  }
}

FileBytes::FileBytes(InputFile& file, std::size_t size) : size_(size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw Error(ErrorCode::kIo, file.path() + ": cannot read: out of memory for " +
                                                       std::to_string(size) + " bytes");
  data_ = static_cast<char*>(p);
  try {
    file.Read(data_, size);
  } catch (...) {
    ::munmap(data_, size_);
    throw;
  }
}

FileBytes::~FileBytes() { ::munmap(data_, size_); }

void FileBytes::Release(std::size_t end) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  end = std::min(end, size_) / page * page;
  if (end <= released_) return;
  ::madvise(data_ + released_, end - released_, MADV_DONTNEED);  // a hint: failure only costs memory
  released_ = end;
}

void WriteFileAtomically(const std::string& path, std::span<const std::string_view> chunks) {
  RenameOver(WriteTempFile(path, chunks), path);
}

std::string WriteTempFile(const std::string& path, std::span<const std::string_view> chunks) {
  // A unique name in the target directory, so the rename stays on one file system. O_EXCL
  // guards against a leftover or concurrent file; mode 0666 lets the umask apply as usual.
  static std::atomic<unsigned> counter{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && !(errno == EEXIST && attempt < 100) && errno != EINTR) ThrowIo(path, "cannot create", errno);
  }
  FdCloser closer(fd);
  RegisterTemp(tmp);

  auto fail = [&](const char* what, int err) {
    ::close(closer.release());
    RemoveTemp(tmp);
    ThrowIo(path, what, err);
  };
  for (std::string_view chunk : chunks) {
    const char* p = chunk.data();
    std::size_t n = chunk.size();
    while (n > 0) {
      const ssize_t put = ::write(fd, p, n < (std::size_t{1} << 30) ? n : (std::size_t{1} << 30));
      if (put < 0) {
        if (errno == EINTR) continue;
        fail("cannot write", errno);
      }
      p += put;
      n -= static_cast<std::size_t>(put);
    }
  }
  if (::fsync(fd) != 0) fail("cannot write (fsync)", errno);
  if (::close(closer.release()) != 0) {
    const int err = errno;
    RemoveTemp(tmp);
    ThrowIo(path, "cannot write (close)", err);
  }
  return tmp;
}

void CheckReplaceable(const std::string& path) {
  // Renaming over a device, a FIFO or a symlink would replace the node itself (as root, even
  // /dev/null): only a regular file, or nothing yet, may be replaced. A symlink is refused rather
  // than followed, so a file is never written somewhere its name does not say.
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;
  if (S_ISDIR(st.st_mode)) ThrowIo(path, "cannot write", EISDIR);
  throw Error(ErrorCode::kIo, path + ": cannot write: " +
                                  (S_ISLNK(st.st_mode) ? std::string("a symbolic link") : std::string(FileKind(st.st_mode))) +
                                  " is in the way (only a regular file is replaced)");
}

void RenameOver(const std::string& tmp, const std::string& path) {
  try {
    CheckReplaceable(path);
  } catch (...) {
    RemoveTemp(tmp);
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    RemoveTemp(tmp);
    ThrowIo(path, "cannot write (rename)", err);
  }
  ForgetTemp(tmp);
  RemoveStaleTemps(path);
  // Persist the rename itself. Best effort: some file systems refuse to fsync a directory, and
  // the new file is complete either way.
  const int dir = ::open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

void CopyLittleEndian(void* dst, const void* src, std::size_t bytes, std::size_t elem_size) {
  if (bytes == 0) return;
  if constexpr (std::endian::native == std::endian::little) {
    if (dst != src) std::memcpy(dst, src, bytes);
  } else {
    auto* d = static_cast<unsigned char*>(dst);
    if (dst != src) std::memcpy(dst, src, bytes);
    for (std::size_t i = 0; i < bytes; i += elem_size) std::reverse(d + i, d + i + elem_size);
  }
}

int64_t FirstInvalidBool(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i)
    if (p[i] > 1) return static_cast<int64_t>(i);
  return -1;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;  // a continuation byte in lead position, or 0xF8..0xFF
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

std::string Printable(std::string_view s, std::size_t max_len) {
  const bool utf8 = IsValidUtf8(s);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= max_len) {
      // Do not cut a multi-byte character in half.
      while (utf8 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) out += s[i++];
      if (i < s.size()) out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8)) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace axon::formats::internal
