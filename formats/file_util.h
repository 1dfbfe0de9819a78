// Helpers shared by the file formats in formats/: whole-file and streamed reads, atomic writes,
// little-endian element copies, UTF-8 checks. Internal to formats/ (standard types only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "graph/shape.h"

namespace axon::formats::internal {

// Most dims a tensor or shape may have in any file Axon reads or writes: the graph's limit.
inline constexpr std::size_t kMaxRank = static_cast<std::size_t>(graph::kMaxRank);

// A regular file open for reading. Errors are axon::Error(kIo) whose message starts with the
// path, e.g. "w.npy: cannot open: No such file or directory". Anything else (a FIFO, a device,
// a directory) is refused at once, without blocking: "p: cannot read: not a regular file (a FIFO)".
class InputFile {
 public:
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  std::size_t size() const { return size_; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Reads exactly n bytes at the current position; kIo if the file ends first (it shrank while
  // being read: the size was checked against size() beforehand by the caller).
  void Read(void* dst, std::size_t n);

 private:
  std::string path_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

// A file's first `size` bytes (size > 0) read into memory of their own (an anonymous mapping,
// not the file's pages: a file truncated meanwhile is an axon::Error, never a SIGBUS), whose
// pages can be given back to the system as soon as they are consumed (Release).
class FileBytes {
 public:
  FileBytes(InputFile& file, std::size_t size);
  ~FileBytes();
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  // Gives back the whole pages in [0, end): their bytes must not be read again.
  void Release(std::size_t end);

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t released_ = 0;
};

// Writes the concatenation of chunks to path via a temporary file in the same directory, which
// is fsync'ed and then renamed over path: readers see the old file or the complete new one, and
// a failure never leaves a half-written file behind. Errors are axon::Error(kIo) naming path.
// A process killed outright mid-write (SIGKILL) cannot remove its temporary file: the next
// successful write of the same path removes those of processes that no longer exist.
void WriteFileAtomically(const std::string& path, std::span<const std::string_view> chunks);

// The two halves of WriteFileAtomically, for writing several files as one (formats/file_batch.h).
// WriteTempFile writes chunks to a new temporary file beside path (PATH.tmp.PID.N), fsync'ed and
// closed, and returns its name; on failure nothing is left behind. RenameOver renames tmp over
// path and fsyncs the directory (best effort), then removes path's stale temporary files (above);
// on failure it removes tmp. Errors name path.
std::string WriteTempFile(const std::string& path, std::span<const std::string_view> chunks);
void RenameOver(const std::string& tmp, const std::string& path);
// Refuses (kIo, naming path) a path that RenameOver would not replace: anything but a regular
// file or nothing (a directory, a device, a FIFO, a symlink). For checking before the work.
void CheckReplaceable(const std::string& path);

// Copies `bytes` bytes of elements of elem_size bytes from little-endian src to host order dst
// (or from host order to little-endian: the swap is its own inverse). A plain memcpy on
// little-endian hosts. dst may equal src (an in-place swap), but must not otherwise overlap it.
void CopyLittleEndian(void* dst, const void* src, std::size_t bytes, std::size_t elem_size);

// A bool tensor's bytes must each be 0 or 1 (kernels test them as C++ bool): the offset of the
// first byte that is not, or -1.
int64_t FirstInvalidBool(const void* data, std::size_t bytes);

// True if s is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

// s with control bytes escaped (\n, \x7f), and every byte >= 0x80 too unless s is valid
// UTF-8, cut to about max_len bytes: for quoting untrusted names in one-line error messages.
std::string Printable(std::string_view s, std::size_t max_len = 80);

}  // namespace axon::formats::internal
