#include "tools/output_names.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "axon/error.h"
#include "formats/file_batch.h"

namespace axon::cli {

std::string FileNameFor(const std::string& value_name) {
  std::string s;
  for (char c : value_name) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  if (s.empty() || s[0] == '.') s = "_" + s;
  return s;
}

std::vector<std::string> FileNamesFor(const std::vector<std::string>& value_names) {
  // Safe names are placed first, so that a changed name's suffix can never take the file a
  // later output is known by ("a/b" must not take "a_b" from the output "a_b").
  std::set<std::string> taken;
  std::vector<std::string> stems(value_names.size());  // "" until placed (a file name never is)
  for (std::size_t i = 0; i < value_names.size(); ++i)
    if (FileNameFor(value_names[i]) == value_names[i] && taken.insert(value_names[i]).second) stems[i] = value_names[i];
  std::map<std::string, int> next_suffix;  // per base, so a file with many alike names stays linear
  for (std::size_t i = 0; i < value_names.size(); ++i) {
    if (!stems[i].empty()) continue;
    const std::string base = FileNameFor(value_names[i]);
    std::string stem = base;
    for (int& n = next_suffix.try_emplace(base, 2).first->second; !taken.insert(stem).second; ++n)
      stem = base + "_" + std::to_string(n);
    stems[i] = stem;
  }
  return stems;
}

std::string Escaped(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto hex = [](std::string& out, unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7F) {
      hex(out, c);
    } else if (c1) {
      hex(out, c);
      hex(out, static_cast<unsigned char>(text[++i]));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string ShellQuoted(std::string_view text) {
  const bool plain = !text.empty() && text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                              "0123456789_./-+=:,@%") == std::string_view::npos;
  if (plain) return std::string(text);
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string PreviewValues(const Tensor& t, int64_t max_elements) {
  if (t.size() > max_elements) return "";
  std::string s = "[";
  char buf[32];
  for (int64_t i = 0; i < t.size(); ++i) {
    switch (t.dtype()) {
      case DType::kF32: std::snprintf(buf, sizeof buf, "%.6g", t.data<float>()[i]); break;
      case DType::kI64: std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(t.data<int64_t>()[i])); break;
      case DType::kI32: std::snprintf(buf, sizeof buf, "%d", t.data<int32_t>()[i]); break;
      case DType::kI8: std::snprintf(buf, sizeof buf, "%d", t.data<int8_t>()[i]); break;
      case DType::kU8: std::snprintf(buf, sizeof buf, "%d", t.data<uint8_t>()[i]); break;
      case DType::kBool: std::snprintf(buf, sizeof buf, "%s", t.data<bool>()[i] ? "true" : "false"); break;
      case DType::kUndefined: buf[0] = '\0'; break;
    }
    s += (i ? ", " : "") + std::string(buf);
  }
  return s + "]";
}

std::string HumanCount(double n) {
  const char* units[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (n >= 1000 && u < 4) n /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.2f%s" : "%.0f%s", n, units[u]);
  return buf;
}

bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec))
    return std::filesystem::equivalent(a, b, ec);
  auto where = [](const std::string& p) {
    const std::filesystem::path file(p);
    std::error_code e;
    const std::filesystem::path parent = std::filesystem::weakly_canonical(file.has_parent_path() ? file.parent_path() : ".", e);
    return parent / file.filename();
  };
  return where(a) == where(b);
}

void CheckWritableTarget(const std::string& target) {
  const std::filesystem::path file(target);
  const std::filesystem::path parent = file.has_parent_path() ? file.parent_path() : ".";
  std::error_code ec;
  if (!std::filesystem::exists(parent, ec))
    throw Error(ErrorCode::kIo, target + ": cannot write there: no directory " + parent.string());
  if (!std::filesystem::is_directory(parent, ec))
    throw Error(ErrorCode::kIo, target + ": cannot write there: " + parent.string() + " is not a directory");
  formats::CheckReplaceable(target);
  if (::access(parent.c_str(), W_OK | X_OK) != 0)
    throw Error(ErrorCode::kIo, target + ": cannot write there: directory " + parent.string() + " is not writable");
}

}  // namespace axon::cli
