// Helpers for the protobuf-based file formats in formats/ (.axon and the ONNX importer): a
// parse-cost pre-scan that prices a file before protobuf allocates anything, and a stream that
// gives a file's pages back as protobuf consumes them. Internal to formats/.
#pragma once

#include <cstddef>
#include <cstdint>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include "formats/file_util.h"

namespace axon::formats::internal {

// What a file's structure may cost beyond its size: room for graphs of about a million nodes (a
// node is typically 5 elements: name, op_type, an input, an output, an attribute).
inline constexpr uint64_t kMaxStructureCost = uint64_t{1} << 30;

// protobuf makes a heap object for every message and every element of a repeated field, so its
// memory is not bounded by the file's size: a file of empty messages, 2 bytes each, takes about
// 70 times its size once parsed. This walks the wire format, guided by the message's schema
// (descriptor), and returns false when parsing would cost more than kMaxStructureCost beyond the
// bytes themselves. Malformed bytes end the walk quietly (true): protobuf then refuses the file
// with its own error.
bool ParseCostWithinLimit(const void* data, std::size_t size, const google::protobuf::Descriptor* message);

// Hands protobuf a file's bytes a chunk at a time, giving back the pages it has moved past.
class ConsumingStream final : public google::protobuf::io::ZeroCopyInputStream {
 public:
  explicit ConsumingStream(FileBytes& bytes) : bytes_(bytes) {}
  bool Next(const void** data, int* size) override;
  void BackUp(int count) override { pos_ -= static_cast<std::size_t>(count); }
  bool Skip(int count) override;
  int64_t ByteCount() const override { return static_cast<int64_t>(pos_); }

 private:
  static constexpr std::size_t kChunk = std::size_t{1} << 20;
  FileBytes& bytes_;
  std::size_t pos_ = 0;
};

}  // namespace axon::formats::internal
