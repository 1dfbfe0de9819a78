#include "formats/model_file.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string_view>

#include "formats/axon_format.h"
#include "formats/file_util.h"

namespace axon::formats {
namespace {

// read(offset, buf, n) copies up to n bytes at offset of a file of `size` bytes and returns how
// many it copied.
template <class Read>
ModelFormat Sniff(Read read, uint64_t size) {
  // A tag and its varint value or length fit in 20 bytes.
  constexpr int kMaxFields = 64;
  uint64_t pos = 0;
  for (int field = 0; field < kMaxFields && pos < size; ++field) {
    unsigned char buf[20];
    const std::size_t got = read(pos, buf, sizeof buf);
    std::size_t i = 0;
    auto varint = [&](uint64_t& v) {
      v = 0;
      for (int shift = 0; shift < 64 && i < got; shift += 7) {
        const unsigned char b = buf[i++];
        v |= static_cast<uint64_t>(b & 0x7F) << shift;
        if (!(b & 0x80)) return true;
      }
      return false;
    };
    uint64_t tag, value;
    if (!varint(tag)) return ModelFormat::kUnknown;
    const uint64_t number = tag >> 3, wire = tag & 7;
    if (number == 0) return ModelFormat::kUnknown;
    if ((number == 4 && wire == 0) || (number == 5 && wire == 2)) return ModelFormat::kAxon;
    if ((number == 4 && wire == 2) || (number == 5 && wire == 0) || ((number == 7 || number == 8) && wire == 2) ||
        (number > 8 && (wire == 0 || wire == 2)))
      return ModelFormat::kOnnx;
    // Fields 1, 2, 3 and 6 (or a shape that neither format has): skip the value and go on.
    switch (wire) {
      case 0:
        if (!varint(value)) return ModelFormat::kUnknown;
        pos += i;
        break;
      case 1: pos += i + 8; break;
      case 5: pos += i + 4; break;
      case 2:
        if (!varint(value) || value > size) return ModelFormat::kUnknown;
        pos += i + value;
        break;
      default: return ModelFormat::kUnknown;
    }
  }
  return ModelFormat::kUnknown;
}

struct Registry {
  std::mutex mutex;
  std::map<ModelFormat, ModelImporter> importers;  // map nodes stay put: pointers to them are handed out
};

Registry& TheRegistry() {
  static Registry registry;
  return registry;
}

// Bytes that decide nothing are read as the extension says (".onnx" as ONNX, else .axon), so that
// a broken file gets its own format's error.
ModelFormat Decide(ModelFormat sniffed, std::string_view name) {
  if (sniffed != ModelFormat::kUnknown) return sniffed;
  return name.size() >= 5 && name.substr(name.size() - 5) == ".onnx" ? ModelFormat::kOnnx : ModelFormat::kAxon;
}

const ModelImporter& ImporterFor(ModelFormat format, const std::string& origin) {
  const ModelImporter* importer = FindModelImporter(format);
  if (!importer)
    throw Error(ErrorCode::kUnsupported, origin + ": reads as an " + ModelFormatName(format) +
                                             " model (by its content, or by its name when the content decides nothing), "
                                             "and this program has no " + ModelFormatName(format) +
                                             " importer: link libaxon_onnx (with -Wl,--no-as-needed, since no symbol of it "
                                             "is called directly)");
  return *importer;
}

}  // namespace

const char* ModelFormatName(ModelFormat format) {
  switch (format) {
    case ModelFormat::kAxon: return ".axon";
    case ModelFormat::kOnnx: return "ONNX";
    case ModelFormat::kUnknown: break;
  }
  return "unknown";
}

ModelFormat SniffModelFormat(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  return Sniff(
      [&](uint64_t offset, unsigned char* buf, std::size_t n) -> std::size_t {
        if (!bytes || offset >= size) return 0;
        const std::size_t got = std::min<uint64_t>(n, size - offset);
        std::memcpy(buf, bytes + offset, got);
        return got;
      },
      size);
}

ModelFormat SniffModelFile(const std::string& path) {
  internal::InputFile file(path);
  return Sniff(
      [&](uint64_t offset, unsigned char* buf, std::size_t n) -> std::size_t {
        for (;;) {
          const ssize_t got = ::pread(file.fd(), buf, n, static_cast<off_t>(offset));
          if (got >= 0) return static_cast<std::size_t>(got);
          if (errno != EINTR) return 0;  // the reader proper reports the error
        }
      },
      file.size());
}

bool RegisterModelImporter(ModelFormat format, ModelImporter importer) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mutex);
  r.importers.insert_or_assign(format, importer);
  return true;
}

const ModelImporter* FindModelImporter(ModelFormat format) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mutex);
  auto it = r.importers.find(format);
  return it == r.importers.end() ? nullptr : &it->second;
}

graph::Model ReadAnyModelFile(const std::string& path) {
  const ModelFormat format = Decide(SniffModelFile(path), path);
  if (format == ModelFormat::kAxon) return ReadModelFile(path);
  return ImporterFor(format, path).read_file(path);
}

graph::Model ParseAnyModel(const void* data, std::size_t size, const std::string& origin) {
  const ModelFormat format = Decide(SniffModelFormat(data, size), origin);
  if (format == ModelFormat::kAxon) return ParseModel(data, size, origin);
  return ImporterFor(format, origin).parse(data, size, origin);
}

}  // namespace axon::formats
