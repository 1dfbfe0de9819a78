// A small command-line parser: options declared up front, values read by name, and unknown
// options or missing values reported as axon::Error naming the command.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

// --memory-limit, read with Args::BytesValue into SessionOptions::memory_limit_bytes by every
// command that runs a model (run, profile, bench): one wording for all of them.
#define AXON_MEMORY_LIMIT_USAGE                                                                          \
  "  --memory-limit SIZE     most memory the run may hold for intermediates, scratch and outputs,\n"    \
  "                          in bytes or with K, M, G (default: half of this machine's memory);\n"      \
  "                          a model or inputs that need more fail naming the node\n"

namespace axon::cli {

class Args {
 public:
  // value_options take a value ("-o DIR", or "--output-dir=DIR" for a long option); flags do not.
  // Aliases map to a canonical name. A value option followed by one of the command's own options
  // ("-o --no-save") has no value. After "--" every argument is positional.
  Args(std::string command, const std::vector<std::string>& args, std::set<std::string> value_options,
       std::set<std::string> flags = {}, std::map<std::string, std::string> aliases = {});

  const std::vector<std::string>& positional() const { return positional_; }
  // The single positional argument named `what`; fails when missing or repeated.
  const std::string& Positional(std::size_t index, const std::string& what) const;
  void MaxPositional(std::size_t n) const;
  std::optional<std::string> Value(const std::string& option) const;  // last given
  std::vector<std::string> Values(const std::string& option) const;   // all given, in order
  bool Flag(const std::string& flag) const { return flags_given_.count(flag) != 0; }
  int IntValue(const std::string& option, int fallback, int min_value) const;
  uint64_t Uint64Value(const std::string& option, uint64_t fallback) const;
  // A finite number >= min_value (and <= max_value).
  double DoubleValue(const std::string& option, double fallback, double min_value,
                     double max_value = std::numeric_limits<double>::max()) const;
  // A size in bytes: a positive integer with an optional K, M or G suffix (powers of 1024).
  int64_t BytesValue(const std::string& option, int64_t fallback) const;
  [[noreturn]] void Fail(const std::string& message) const;

 private:
  std::string command_;
  std::vector<std::string> positional_;
  std::vector<std::pair<std::string, std::string>> ordered_;
  std::set<std::string> flags_given_;
};

}  // namespace axon::cli
