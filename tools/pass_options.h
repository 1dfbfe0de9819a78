// --opt-level and --disable-pass, which every command that loads a model (run, inspect, verify,
// profile, bench) takes alike.
#pragma once

#include <string>
#include <vector>

#include "tools/args.h"

namespace axon::cli {

// A macro, so that each command's usage text stays one string literal.
#define AXON_PASS_OPTIONS_USAGE                                                                        \
  "  --opt-level N           graph passes before running: 0 none, 1 clean-up (identity removal,\n"      \
  "                          constant folding, common subexpressions, dead nodes), 2 (default) also\n" \
  "                          the fusions (GEMM and Conv epilogues, transposes, Conv+BN, LayerNorm,\n"  \
  "                          GELU, attention, elementwise chains)\n"                                   \
  "  --disable-pass NAME     do not run the pass NAME (repeatable; axon inspect --passes lists them)\n"

inline const std::vector<std::string> kPassValueOptions{"--opt-level", "--disable-pass"};

struct PassChoice {
  int opt_level = 2;
  std::vector<std::string> disabled;
};

// --opt-level (fallback when absent); refuses anything but 0 to kMaxOptLevel, saying that range.
int ReadOptLevel(const Args& args, int fallback);
// --opt-level and --disable-pass; refuses a name that is no pass at any level.
PassChoice ReadPassOptions(const Args& args);
// ", without NAME, NAME" for a heading that states the opt level; "" when no pass is disabled.
std::string Without(const std::vector<std::string>& disabled);

}  // namespace axon::cli
