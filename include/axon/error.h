// axon::Error: the one exception type Axon throws. Its message names the file, node, op and
// shapes involved, so a CLI can print it as one line.
#pragma once

#include <stdexcept>
#include <string>

#include "axon/export.h"

namespace axon {

enum class ErrorCode {
  kInvalidArgument,   // caller passed something wrong (names, shapes, dtypes)
  kInvalidModel,      // the graph breaks a rule (verifier, shape inference)
  kInvalidFile,       // a file is truncated, garbage or hostile
  kUnsupported,       // valid but not implemented (an op, a dtype, a file variant)
  kIo,                // the OS refused (open, read, write)
  kInternal,
  kMemoryLimit,       // a run would need more memory than the session's limit, even on its own
  kTryAgain,          // refused for now: the session's other runs in progress hold the memory it needs
};

AXON_API const char* ErrorCodeName(ErrorCode code);

// Exported whole, so that its type_info is one: an application catches what the library throws.
class AXON_API Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace axon
