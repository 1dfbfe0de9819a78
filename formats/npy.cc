#include "formats/npy.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "formats/file_util.h"

namespace axon::formats {
namespace {

using internal::kMaxRank;
using internal::Printable;

constexpr std::string_view kMagic("\x93NUMPY", 6);
constexpr std::size_t kAlign = 64;             // data offset alignment the writer produces (as numpy does)
constexpr std::size_t kMaxHeaderBytes = 1 << 20;  // far above any real header (numpy itself caps reads at 10000)

[[noreturn]] void Invalid(const std::string& origin, const std::string& message) {
  throw Error(ErrorCode::kInvalidFile, origin + ": " + message);
}
[[noreturn]] void Unsupported(const std::string& origin, const std::string& message) {
  throw Error(ErrorCode::kUnsupported, origin + ": " + message);
}

// The fixed part before the header text: magic, version, header length.
struct Preamble {
  std::size_t header_offset = 0;  // 10 (version 1.0) or 12 (2.0, 3.0)
  std::size_t header_len = 0;     // bytes of header text after header_offset
};

// `p` holds the first `have` bytes of a file of `file_size` bytes: all of the preamble that the
// file has (min(file_size, 10), or 12 for versions 2.0 and 3.0), or more.
Preamble ParsePreamble(const unsigned char* p, std::size_t have, std::size_t file_size, const std::string& origin) {
  const std::size_t magic_len = std::min(have, kMagic.size());
  if (std::memcmp(p, kMagic.data(), magic_len) != 0 || file_size == 0)
    Invalid(origin, "not a .npy file (bad magic: it does not start with \\x93NUMPY)");
  if (file_size < 10)
    Invalid(origin, "truncated: " + std::to_string(file_size) + " bytes is too short for a .npy file");
  const int major = p[6], minor = p[7];
  if (major < 1 || major > 3 || minor != 0)
    Unsupported(origin, "npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                            " is not supported (Axon reads 1.0, 2.0 and 3.0)");
  Preamble pre;
  if (major == 1) {
    pre.header_offset = 10;
    pre.header_len = p[8] | std::size_t{p[9]} << 8;
  } else {
    if (file_size < 12 || have < 12)
      Invalid(origin, "truncated: " + std::to_string(file_size) + " bytes is too short for a version " +
                          std::to_string(major) + ".0 .npy file");
    pre.header_offset = 12;
    pre.header_len = p[8] | std::size_t{p[9]} << 8 | std::size_t{p[10]} << 16 | std::size_t{p[11]} << 24;
  }
  if (pre.header_len > kMaxHeaderBytes)
    Invalid(origin, "header length " + std::to_string(pre.header_len) + " is over the limit of " +
                        std::to_string(kMaxHeaderBytes) + " bytes");
  if (pre.header_len > file_size - pre.header_offset)
    Invalid(origin, "header is truncated: it claims " + std::to_string(pre.header_len) + " bytes, the file has " +
                        std::to_string(file_size - pre.header_offset) + " after the preamble");
  return pre;
}

struct Header {
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
};

// The dtypes Axon reads and writes, as numpy spells them (one-byte types have no byte order).
struct Descr {
  std::string_view descr;
  DType dtype;
};
constexpr Descr kDescrs[] = {{"<f4", DType::kF32}, {"<i8", DType::kI64}, {"<i4", DType::kI32},
                             {"|b1", DType::kBool}, {"|i1", DType::kI8},  {"|u1", DType::kU8}};

std::string_view DescrOf(DType dtype) {
  for (const Descr& d : kDescrs)
    if (d.dtype == dtype) return d.descr;
  return {};
}

// Why a numpy dtype is refused, and what to convert to.
[[noreturn]] void RejectDescr(const std::string& origin, const std::string& descr) {
  struct Known {
    std::string_view code, name, advice;
  };
  static constexpr Known kKnown[] = {
      {"f2", "float16", "float32"},     {"f4", "float32", "float32"},       {"f8", "float64", "float32"},
      {"f12", "float96", "float32"},    {"f16", "float128", "float32"},     {"i1", "int8", "int8"},
      {"i2", "int16", "int32"},         {"i4", "int32", "int32"},           {"i8", "int64", "int64"},
      {"u1", "uint8", "uint8"},         {"u2", "uint16", "int32"},          {"u4", "uint32", "int64"},
      {"u8", "uint64", "int64"},        {"b1", "bool", "bool"},             {"c8", "complex64", "float32"},
      {"c16", "complex128", "float32"}, {"c32", "complex256", "float32"},
  };
  const std::string quoted = "'" + Printable(descr) + "'";
  const char order = descr.empty() ? '\0' : descr[0];
  const std::string_view body = (order == '<' || order == '>' || order == '|' || order == '=')
                                    ? std::string_view(descr).substr(1)
                                    : std::string_view(descr);
  for (const Known& k : kKnown) {
    if (body != k.code) continue;
    if (body == "f4" || body == "i8" || body == "i4")  // supported, in a byte order Axon does not read
      Unsupported(origin, "dtype " + quoted + " (" + std::string(k.name) + ", " +
                              (order == '>' ? "big-endian" : "unspecified byte order") +
                              ") is not supported; save it little-endian ('<" + std::string(k.code) +
                              "', e.g. a.astype('<" + std::string(k.code) + "'))");
    Unsupported(origin, "dtype " + quoted + " (" + std::string(k.name) + ") is not supported; convert to " +
                            std::string(k.advice));
  }
  const char kind = body.empty() ? '\0' : body[0];
  const char* what = kind == 'U'   ? " (unicode strings)"
                     : kind == 'S' ? " (byte strings)"
                     : kind == 'O' ? " (Python objects)"
                     : kind == 'M' ? " (datetime64)"
                     : kind == 'm' ? " (timedelta64)"
                     : kind == 'V' ? " (raw void records)"
                                   : "";
  Unsupported(origin, "dtype " + quoted + what +
                          " is not supported; Axon reads '<f4' (float32), '<i8' (int64), '<i4' (int32), '|b1' (bool), "
                          "'|i1' (int8) and '|u1' (uint8)");
}

// The header is a Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// numpy reads it with ast.literal_eval; this accepts the same spellings of the three keys numpy
// writes (either quote, any whitespace, trailing commas, Python 2 'L' suffixes) and nothing else.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

  Header Parse() {
    Header h;
    bool have_descr = false, have_order = false, have_shape = false, fortran = false;
    SkipSpace();
    Expect('{');
    for (;;) {
      SkipSpace();
      if (Peek() == '}') break;
      const std::string key = ParseString();
      SkipSpace();
      Expect(':');
      SkipSpace();
      bool* seen = nullptr;
      if (key == "descr") {
        seen = &have_descr;
        if (Peek() == '[')
          Unsupported(origin_, "structured dtype (a record of named fields) is not supported; save each field as "
                               "its own array");
        const std::string descr = ParseString();
        for (const Descr& d : kDescrs)
          if (descr == d.descr) h.dtype = d.dtype;
        if (h.dtype == DType::kUndefined) RejectDescr(origin_, descr);
      } else if (key == "fortran_order") {
        seen = &have_order;
        fortran = ParseBool();
      } else if (key == "shape") {
        seen = &have_shape;
        h.shape = ParseShape();
      } else {
        Fail("unexpected key '" + Printable(key) + "'");
      }
      if (*seen) Fail("key '" + key + "' appears twice");
      *seen = true;
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() != '}') Fail("expected ',' or '}'");
    }
    Expect('}');
    SkipSpace();
    if (pos_ != text_.size()) Fail("unexpected text after the closing '}'");
    if (!have_descr) Fail("no 'descr' key");
    if (!have_order) Fail("no 'fortran_order' key");
    if (!have_shape) Fail("no 'shape' key");
    // Column-major data is laid out exactly like row-major when at most one dim exceeds 1.
    if (fortran && std::count_if(h.shape.begin(), h.shape.end(), [](int64_t d) { return d > 1; }) > 1 &&
        std::find(h.shape.begin(), h.shape.end(), 0) == h.shape.end())
      Unsupported(origin_, "fortran_order True (column-major) array " + ShapeToString(h.shape) +
                               " is not supported; save np.ascontiguousarray(a) instead");
    return h;
  }

 private:
  [[noreturn]] void Fail(const std::string& why) const {
    Invalid(origin_, "malformed header: " + why + " at offset " + std::to_string(pos_) + " in \"" +
                         Printable(text_, 160) + "\"");
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || (text_[pos_] >= '\t' && text_[pos_] <= '\r'))) ++pos_;
  }
  void Expect(char c) {
    if (Peek() != c || pos_ >= text_.size()) Fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string ParseString() {
    const char quote = Peek();
    if (quote != '\'' && quote != '"') Fail("expected a quoted string");
    const std::size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\n') Fail("unterminated string");
      if (text_[pos_] == '\\') Fail("unsupported escape in a string");
      ++pos_;
    }
    if (pos_ >= text_.size()) Fail("unterminated string");
    return std::string(text_.substr(start, pos_++ - start));
  }
  bool ParseBool() {
    if (text_.substr(pos_, 4) == "True") return pos_ += 4, true;
    if (text_.substr(pos_, 5) == "False") return pos_ += 5, false;
    Fail("expected True or False");
  }
  std::vector<int64_t> ParseShape() {
    if (Peek() != '(') Fail("'shape' must be a tuple of ints");
    const std::size_t start = pos_++;
    std::vector<int64_t> shape;
    bool trailing_comma = false;
    for (;;) {
      SkipSpace();
      if (Peek() == ')') break;
      if (shape.size() == kMaxRank)
        Invalid(origin_, "shape has more than " + std::to_string(kMaxRank) + " dims");
      shape.push_back(ParseInt());
      SkipSpace();
      trailing_comma = Peek() == ',';
      if (trailing_comma) ++pos_;
      else if (Peek() != ')') Fail("expected ',' or ')' in 'shape'");
    }
    ++pos_;
    if (shape.size() == 1 && !trailing_comma) Fail("'shape' must be a tuple of ints: (n) is an int, (n,) a tuple");
    const std::string_view written = text_.substr(start, pos_ - start);
    for (int64_t d : shape)
      if (d < 0) Invalid(origin_, "shape " + std::string(written) + " has a negative dim");
    return shape;
  }
  int64_t ParseInt() {
    const bool negative = Peek() == '-';
    if (negative) ++pos_;
    if (!std::isdigit(static_cast<unsigned char>(Peek()))) Fail("expected an integer");
    uint64_t value = 0;
    while (std::isdigit(static_cast<unsigned char>(Peek()))) {
      const unsigned digit = static_cast<unsigned>(text_[pos_++] - '0');
      if (value > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - digit) / 10)
        Fail("dim too large");
      value = value * 10 + digit;
    }
    if (Peek() == 'L' || Peek() == 'l') ++pos_;  // Python 2 long, written by old numpy
    return negative ? -static_cast<int64_t>(value) : static_cast<int64_t>(value);
  }

  std::string_view text_;
  const std::string& origin_;
  std::size_t pos_ = 0;
};

struct Layout {
  Header header;
  std::size_t data_offset = 0;
  std::size_t data_bytes = 0;
};

// Checks everything but the data itself. `prefix` holds the preamble and header text.
Layout ParseLayout(const unsigned char* prefix, const Preamble& pre, std::size_t file_size,
                   const std::string& origin) {
  Layout l;
  const std::string_view text(reinterpret_cast<const char*>(prefix) + pre.header_offset, pre.header_len);
  l.header = HeaderParser(text, origin).Parse();
  const std::string typed = std::string(DTypeName(l.header.dtype)) + ShapeToString(l.header.shape);
  int64_t count;
  try {
    count = ElementCount(l.header.shape);
  } catch (const Error&) {
    Invalid(origin, "shape " + ShapeToString(l.header.shape) + " has too many elements");
  }
  l.data_offset = pre.header_offset + pre.header_len;
  l.data_bytes = static_cast<std::size_t>(count) * DTypeSize(l.header.dtype);  // < 2^63: ElementCount's bound
  const std::size_t have = file_size - l.data_offset;
  if (have < l.data_bytes)
    Invalid(origin, "data is truncated: " + typed + " needs " + std::to_string(l.data_bytes) + " bytes, file has " +
                        std::to_string(have));
  if (have > l.data_bytes)
    Invalid(origin, "has " + std::to_string(have - l.data_bytes) + " unexpected bytes after the " + typed +
                        " data (" + std::to_string(l.data_bytes) + " bytes)");
  return l;
}

std::string MakeHeader(const Tensor& t, const std::string& what) {
  if (!t.defined()) throw Error(ErrorCode::kInvalidArgument, what + ": cannot write an undefined tensor as .npy");
  if (t.shape().size() > kMaxRank)
    throw Error(ErrorCode::kInvalidArgument, what + ": tensor has " + std::to_string(t.shape().size()) +
                                                 " dims; .npy files hold at most " + std::to_string(kMaxRank));
  std::string dict = "{'descr': '";
  const std::string_view descr = DescrOf(t.dtype());
  if (descr.empty())
    throw Error(ErrorCode::kInvalidArgument, what + ": cannot write a " + std::string(DTypeName(t.dtype())) + " tensor as .npy");
  dict += descr;
  dict += "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < t.shape().size(); ++i) {
    if (i) dict += ", ";
    dict += std::to_string(t.shape()[i]);
  }
  dict += t.shape().size() == 1 ? ",), }" : "), }";

  // Always version 1.0: its 16-bit header length is plenty, since at most 64 dims of at most
  // 19 digits each make a header of under 2 KB. Spaces, then '\n', so that the data starts on a
  // 64-byte boundary.
  static_assert(64 + kMaxRank * 21 + kAlign < 0xFFFF, "a .npy header could need version 2.0");
  constexpr std::size_t kPrefix = 10;  // magic, version, 16-bit header length
  const std::size_t len = dict.size() + (kAlign - (kPrefix + dict.size() + 1) % kAlign) % kAlign + 1;
  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(len & 0xFF);
  out += static_cast<char>(len >> 8);
  out += dict;
  out.append(len - dict.size() - 1, ' ');
  out += '\n';
  return out;
}

void CheckBools(const Tensor& t, const std::string& origin) {
  if (t.dtype() != DType::kBool) return;
  const int64_t bad = internal::FirstInvalidBool(t.raw_data(), t.nbytes());
  if (bad >= 0)
    throw Error(ErrorCode::kInvalidFile, origin + ": bool element " + std::to_string(bad) + " is " +
                                             std::to_string(static_cast<const unsigned char*>(t.raw_data())[bad]) +
                                             ", not 0 or 1");
}

}  // namespace

Tensor ParseNpy(const void* data, std::size_t size, const std::string& origin) {
  const auto* p = static_cast<const unsigned char*>(data);
  const Preamble pre = ParsePreamble(p, size, size, origin);
  const Layout l = ParseLayout(p, pre, size, origin);
  Tensor t = Tensor::Uninitialized(l.header.dtype, l.header.shape);  // filled whole below
  internal::CopyLittleEndian(t.raw_data(), p + l.data_offset, l.data_bytes, DTypeSize(t.dtype()));
  CheckBools(t, origin);
  return t;
}

Tensor ReadNpyFile(const std::string& path) {
  // Read the header first and check the sizes, then read the data straight into the tensor:
  // no second copy of a large array, and nothing allocated for what the file merely claims.
  internal::InputFile file(path);
  // 10 bytes hold a 1.0 preamble; 2.0 and 3.0 have a 32-bit header length, 2 bytes more.
  std::string prefix(std::min<std::size_t>(file.size(), 10), '\0');
  file.Read(prefix.data(), prefix.size());
  if (prefix.size() == 10 && (prefix[6] == 2 || prefix[6] == 3) && file.size() >= 12) {
    prefix.resize(12);
    file.Read(prefix.data() + 10, 2);
  }
  const Preamble pre = ParsePreamble(reinterpret_cast<const unsigned char*>(prefix.data()), prefix.size(),
                                     file.size(), path);
  const std::size_t have = prefix.size();  // == pre.header_offset
  prefix.resize(pre.header_offset + pre.header_len);
  file.Read(prefix.data() + have, prefix.size() - have);
  const Layout l = ParseLayout(reinterpret_cast<const unsigned char*>(prefix.data()), pre, file.size(), path);
  Tensor t = Tensor::Uninitialized(l.header.dtype, l.header.shape);  // filled whole below
  file.Read(t.raw_data(), l.data_bytes);
  internal::CopyLittleEndian(t.raw_data(), t.raw_data(), l.data_bytes, DTypeSize(t.dtype()));
  CheckBools(t, path);
  return t;
}

std::string SerializeNpy(const Tensor& tensor) {
  std::string out = MakeHeader(tensor, "cannot serialize tensor");
  const std::size_t header = out.size();
  out.resize(header + tensor.nbytes());
  internal::CopyLittleEndian(out.data() + header, tensor.raw_data(), tensor.nbytes(), DTypeSize(tensor.dtype()));
  return out;
}

void WriteNpyFile(const std::string& path, const Tensor& tensor) {
  FileBatch batch;
  StageNpyFile(batch, path, tensor);
  batch.Commit();
}

void StageNpyFile(FileBatch& batch, const std::string& path, const Tensor& tensor) {
  const std::string header = MakeHeader(tensor, path);
  std::string swapped;  // only on big-endian hosts
  std::string_view data(static_cast<const char*>(tensor.raw_data()), tensor.nbytes());
  if constexpr (std::endian::native != std::endian::little) {
    swapped.resize(tensor.nbytes());
    internal::CopyLittleEndian(swapped.data(), tensor.raw_data(), tensor.nbytes(), DTypeSize(tensor.dtype()));
    data = swapped;
  }
  const std::string_view chunks[] = {header, data};
  batch.Add(path, chunks);
}

}  // namespace axon::formats
