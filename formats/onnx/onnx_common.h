// What every file of the ONNX importer shares: error reporting that names the file, and quoting of
// untrusted names. Internal to formats/onnx/.
#pragma once

#include <string>

#include "axon/error.h"
#include "formats/file_util.h"

namespace axon::formats::onnx_import {

// 'name' with control bytes escaped and cut short: names come from the file.
inline std::string Quote(const std::string& s) { return "'" + internal::Printable(s) + "'"; }

// Errors about one file: kInvalidFile (broken or hostile) or kUnsupported (valid, but uses what Axon
// does not import), each one line starting with the file name.
class Reporter {
 public:
  explicit Reporter(const std::string& origin) : prefix_(origin + ": ") {}

  [[noreturn]] void Invalid(const std::string& message) const { throw Error(ErrorCode::kInvalidFile, prefix_ + message); }
  [[noreturn]] void Unsupported(const std::string& message) const {
    throw Error(ErrorCode::kUnsupported, prefix_ + message);
  }
  // Names become .axon names, which must be UTF-8 (and protobuf's proto2 strings are not checked).
  void CheckText(const std::string& text, const std::string& what) const {
    if (!internal::IsValidUtf8(text)) Invalid(what + " is not valid UTF-8: " + Quote(text));
  }
  void CheckName(const std::string& name, const std::string& what) const {
    if (name.empty()) Invalid(what + " has an empty name");
    CheckText(name, what + " name");
  }
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
};

}  // namespace axon::formats::onnx_import
