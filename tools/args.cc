#include "tools/args.h"

#include <limits>

#include "axon/error.h"

namespace axon::cli {

Args::Args(std::string command, const std::vector<std::string>& args, std::set<std::string> value_options,
           std::set<std::string> flags, std::map<std::string, std::string> aliases)
    : command_(std::move(command)) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      positional_.push_back(arg);
      continue;
    }
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (auto it = aliases.find(arg); it != aliases.end()) arg = it->second;
    if (flags.count(arg)) {
      if (inline_value) Fail("option " + arg + " takes no value");
      flags_given_.insert(arg);
    } else if (value_options.count(arg)) {
      if (!inline_value && i + 1 >= args.size()) Fail("option " + arg + " needs a value");
      std::string value = inline_value ? *inline_value : args[++i];
      ordered_.emplace_back(arg, value);
    } else {
      Fail("unknown option " + arg);
    }
  }
}

const std::string& Args::Positional(std::size_t index, const std::string& what) const {
  if (index >= positional_.size()) Fail("missing " + what);
  return positional_[index];
}

void Args::MaxPositional(std::size_t n) const {
  if (positional_.size() > n) Fail("unexpected argument '" + positional_[n] + "'");
}

std::optional<std::string> Args::Value(const std::string& option) const {
  std::optional<std::string> v;
  for (const auto& [name, value] : ordered_)
    if (name == option) v = value;
  return v;
}

std::vector<std::string> Args::Values(const std::string& option) const {
  std::vector<std::string> v;
  for (const auto& [name, value] : ordered_)
    if (name == option) v.push_back(value);
  return v;
}

int Args::IntValue(const std::string& option, int fallback, int min_value) const {
  const auto v = Value(option);
  if (!v) return fallback;
  try {
    std::size_t used = 0;
    const int n = std::stoi(*v, &used);
    if (used == v->size() && n >= min_value) return n;
  } catch (const std::exception&) {
  }
  Fail("option " + option + " needs an integer >= " + std::to_string(min_value) + ", got '" + *v + "'");
}

int64_t Args::BytesValue(const std::string& option, int64_t fallback) const {
  const auto v = Value(option);
  if (!v) return fallback;
  std::string digits = *v;
  int shift = 0;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K': case 'k': shift = 10; break;
      case 'M': case 'm': shift = 20; break;
      case 'G': case 'g': shift = 30; break;
      default: break;
    }
    if (shift) digits.pop_back();
  }
  try {
    std::size_t used = 0;
    const long long n = std::stoll(digits, &used);
    if (used == digits.size() && !digits.empty() && digits[0] != '-' && digits[0] != '+' && n > 0 &&
        n <= (std::numeric_limits<int64_t>::max() >> shift))
      return static_cast<int64_t>(n) << shift;
  } catch (const std::exception&) {
  }
  Fail("option " + option + " needs a size in bytes > 0, optionally with K, M or G (e.g. 512M), got '" + *v + "'");
}

void Args::Fail(const std::string& message) const {
  throw Error(ErrorCode::kInvalidArgument, message + " (see axon " + command_ + " --help)");
}

}  // namespace axon::cli
