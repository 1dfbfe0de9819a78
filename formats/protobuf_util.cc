#include "formats/protobuf_util.h"

#include <algorithm>

namespace axon::formats::internal {
namespace {

// Bytes of memory a parsed element costs beyond its own bytes: the object, the pointer to it in
// its repeated field, allocator overhead (measured: ~130 bytes per empty Node).
constexpr uint64_t kElementCost = 128;
// protobuf's own nesting limit; deeper files fail to parse anyway.
constexpr int kMaxDepth = 100;

class ParseCost {
 public:
  // Walks one message's fields in [p, end). Malformed bytes end the walk quietly: protobuf then
  // refuses the file with its own error. Returns false once the cost passes the limit.
  bool Walk(const unsigned char* p, const unsigned char* end, const google::protobuf::Descriptor* d, int depth) {
    return WalkFields(p, end, d, depth, /*group_field=*/-1) != nullptr || cost_ <= kMaxStructureCost;
  }
  uint64_t cost() const { return cost_; }

 private:
  static bool ReadVarint(const unsigned char*& p, const unsigned char* end, uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
      const unsigned char b = *p++;
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }

  // Returns where the walk stopped (after the end-group tag of group_field, or at end), or
  // nullptr when it gave up: malformed bytes or the limit passed (cost_ says which).
  const unsigned char* WalkFields(const unsigned char* p, const unsigned char* end,
                                  const google::protobuf::Descriptor* d, int depth, int64_t group_field) {
    using google::protobuf::FieldDescriptor;
    while (p < end) {
      uint64_t tag;
      if (!ReadVarint(p, end, tag)) return nullptr;
      const auto number = static_cast<int64_t>(tag >> 3);
      const FieldDescriptor* f =
          d && number <= FieldDescriptor::kMaxNumber ? d->FindFieldByNumber(static_cast<int>(number)) : nullptr;
      cost_ += kElementCost;
      if (cost_ > kMaxStructureCost) return nullptr;
      uint64_t v;
      switch (tag & 7) {
        case 0:
          if (!ReadVarint(p, end, v)) return nullptr;
          break;
        case 1:
          if (end - p < 8) return nullptr;
          p += 8;
          break;
        case 5:
          if (end - p < 4) return nullptr;
          p += 4;
          break;
        case 2: {
          if (!ReadVarint(p, end, v) || v > static_cast<uint64_t>(end - p)) return nullptr;
          const unsigned char* next = p + v;
          if (f && f->type() == FieldDescriptor::TYPE_MESSAGE) {
            if (depth >= kMaxDepth || !WalkFields(p, next, f->message_type(), depth + 1, -1)) return nullptr;
          } else if (f && f->is_repeated() && f->cpp_type() != FieldDescriptor::CPPTYPE_STRING &&
                     f->type() != FieldDescriptor::TYPE_FLOAT && f->type() != FieldDescriptor::TYPE_DOUBLE) {
            cost_ += 8 * v;  // packed varints: a 1-byte varint becomes an 8-byte int64
          }
          // A string, bytes (weights) or packed floats cost about their size: what the file holds.
          p = next;
          break;
        }
        case 3:  // an (unknown) group: protobuf keeps its fields, so they are walked too
          if (depth >= kMaxDepth) return nullptr;
          p = WalkFields(p, end, nullptr, depth + 1, number);
          if (!p) return nullptr;
          break;
        case 4:
          return number == group_field ? p : nullptr;
        default:
          return nullptr;
      }
      if (cost_ > kMaxStructureCost) return nullptr;
    }
    return group_field < 0 ? p : nullptr;
  }

  uint64_t cost_ = 0;
};

}  // namespace

bool ParseCostWithinLimit(const void* data, std::size_t size, const google::protobuf::Descriptor* message) {
  ParseCost cost;
  const auto* p = static_cast<const unsigned char*>(data);
  return cost.Walk(p, p + size, message, 0);
}

bool ConsumingStream::Next(const void** data, int* size) {
  if (pos_ >= bytes_.size()) return false;
  // protobuf may BackUp into the chunk it was last given, never further.
  bytes_.Release(pos_ >= kChunk ? pos_ - kChunk : 0);
  const std::size_t n = std::min(kChunk, bytes_.size() - pos_);
  *data = bytes_.data() + pos_;
  *size = static_cast<int>(n);
  pos_ += n;
  return true;
}

bool ConsumingStream::Skip(int count) {
  const std::size_t left = bytes_.size() - pos_;
  pos_ += std::min<std::size_t>(static_cast<std::size_t>(count), left);
  return static_cast<std::size_t>(count) <= left;
}

}  // namespace axon::formats::internal
