#include "tools/pass_options.h"

#include "axon/axon.h"

namespace axon::cli {

PassChoice ReadPassOptions(const Args& args) {
  PassChoice c;
  c.opt_level = args.IntValue("--opt-level", kMaxOptLevel, 0);
  if (c.opt_level > kMaxOptLevel)
    args.Fail("option --opt-level needs an integer from 0 to " + std::to_string(kMaxOptLevel) + ", got " +
              std::to_string(c.opt_level));
  c.disabled = args.Values("--disable-pass");
  return c;
}

}  // namespace axon::cli
