#include "tools/args.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "axon/error.h"

namespace axon::cli {
namespace {

std::string Number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

// std::sto* skip leading white space and take a '+': " 5" and "+5" would pass as 5, which the
// other number options (sizes) refuse. A number starts with a digit, or a '-' (or '.') then one.
bool StartsLikeNumber(const std::string& v, bool fraction) {
  auto starts = [&](std::size_t i) {
    return i < v.size() && ((v[i] >= '0' && v[i] <= '9') || (fraction && v[i] == '.'));
  };
  return starts(0) || (!v.empty() && v[0] == '-' && starts(1));
}

}  // namespace

Args::Args(std::string command, const std::vector<std::string>& args, std::set<std::string> value_options,
           std::set<std::string> flags, std::map<std::string, std::string> aliases)
    : command_(std::move(command)) {
  // The option an argument names: "--input=x.npy" -> "-i" (only long options take "=VALUE").
  auto option_of = [&](const std::string& arg) {
    std::string name = arg.rfind("--", 0) == 0 ? arg.substr(0, arg.find('=')) : arg;
    auto it = aliases.find(name);
    return it == aliases.end() ? name : it->second;
  };
  // "-o --no-save" is a forgotten value, not a directory called "--no-save"; a value that only
  // starts with '-' ("-o -x", "--threads -5") is still taken, and refused or used on its merits.
  auto is_option = [&](const std::string& arg) {
    const std::string name = option_of(arg);
    return arg == "--" || flags.count(name) || value_options.count(name);
  };
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg.size() < 2 || arg[0] != '-') {
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {  // the usual end of options: "axon run -- -m.axon" runs the file -m.axon
      options_ended = true;
      continue;
    }
    const std::string name = option_of(arg);
    const std::size_t eq = arg.rfind("--", 0) == 0 ? arg.find('=') : std::string::npos;
    if (flags.count(name)) {
      if (eq != std::string::npos) Fail("option " + name + " takes no value");
      flags_given_.insert(name);
    } else if (value_options.count(name)) {
      if (eq == std::string::npos && (i + 1 >= args.size() || is_option(args[i + 1])))
        Fail("option " + name + " needs a value");
      std::string value = eq != std::string::npos ? arg.substr(eq + 1) : args[++i];
      // No option has a use for "" (-o '' would be reported as the nameless path ": cannot ...").
      if (value.empty()) Fail("option " + name + " needs a value, got ''");
      ordered_.emplace_back(name, std::move(value));
    } else {
      Fail("unknown option " + name);
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
    if (used == v->size() && StartsLikeNumber(*v, false) && n >= min_value) return n;
  } catch (const std::exception&) {
  }
  // The upper bound is int's, but the user cannot guess it: say it.
  Fail("option " + option + " needs an integer from " + std::to_string(min_value) + " to " +
       std::to_string(std::numeric_limits<int>::max()) + ", got '" + *v + "'");
}

uint64_t Args::Uint64Value(const std::string& option, uint64_t fallback) const {
  const auto v = Value(option);
  if (!v) return fallback;
  try {
    std::size_t used = 0;
    const unsigned long long n = std::stoull(*v, &used);
    if (used == v->size() && (*v)[0] >= '0' && (*v)[0] <= '9') return n;
  } catch (const std::exception&) {
  }
  Fail("option " + option + " needs an integer from 0 to " + std::to_string(std::numeric_limits<uint64_t>::max()) +
       ", got '" + *v + "'");
}

double Args::DoubleValue(const std::string& option, double fallback, double min_value, double max_value) const {
  const auto v = Value(option);
  if (!v) return fallback;
  try {
    std::size_t used = 0;
    const double x = std::stod(*v, &used);
    if (used == v->size() && StartsLikeNumber(*v, true) && std::isfinite(x) && x >= min_value && x <= max_value) return x;
  } catch (const std::exception&) {
  }
  std::string range = "a number >= " + Number(min_value);
  if (max_value < std::numeric_limits<double>::max()) range = "a number from " + Number(min_value) + " to " + Number(max_value);
  Fail("option " + option + " needs " + range + ", got '" + *v + "'");
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
    if (used == digits.size() && StartsLikeNumber(digits, false) && digits[0] != '-' && n > 0 &&
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
