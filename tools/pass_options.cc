#include "tools/pass_options.h"

#include <algorithm>

#include "axon/axon.h"
#include "graph/default_passes.h"

namespace axon::cli {

int ReadOptLevel(const Args& args, int fallback) {
  const std::optional<std::string> v = args.Value("--opt-level");
  if (!v) return fallback;
  // One digit: "-1", "3" and "2x" all get the same message, with the range that is allowed.
  if (v->size() != 1 || (*v)[0] < '0' || (*v)[0] > '0' + kMaxOptLevel)
    args.Fail("option --opt-level needs an integer from 0 to " + std::to_string(kMaxOptLevel) + ", got '" + *v + "'");
  return (*v)[0] - '0';
}

PassChoice ReadPassOptions(const Args& args) {
  PassChoice c;
  c.opt_level = ReadOptLevel(args, c.opt_level);
  c.disabled = args.Values("--disable-pass");
  // A misspelt name is refused by every command that takes the option, whether or not this run
  // gets to the passes (axon inspect without --passes), and at every level.
  const std::vector<std::string> known = graph::DefaultPipeline(kMaxOptLevel).Names();
  for (const std::string& name : c.disabled) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    args.Fail("unknown pass '" + name + "'; the passes are: " + list);
  }
  return c;
}

std::string Without(const std::vector<std::string>& disabled) {
  std::string text;
  for (const std::string& name : disabled) text += (text.empty() ? ", without " : ", ") + name;
  return text;
}

}  // namespace axon::cli
