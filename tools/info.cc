// axon info: what this build of Axon will use on this machine.
#include <cstdio>

#include <tbb/info.h>

#include "axon/axon.h"
#include "graph/op_schema.h"
#include "runtime/adapter.h"
#include "runtime/kernels/target.h"
#include "tools/args.h"
#include "tools/command.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon info

Prints Axon's version, the SIMD target its kernels dispatch to on this CPU (and every target
compiled in that this CPU can run: the candidates it was chosen from), the default thread count,
and the ops this runtime can run.
)";

int InfoMain(const std::vector<std::string>& argv) {
  Args args("info", argv, {});
  args.MaxPositional(0);
  std::printf("axon %s\n", Version());
  std::printf("simd target: %s\n", kernels::DispatchedTargetName());
  std::string targets;
  for (const std::string& t : kernels::CompiledTargetNames()) targets += (targets.empty() ? "" : " ") + t;
  std::printf("targets usable on this cpu: %s\n", targets.c_str());
  std::printf("threads: %d (default; --threads N on run)\n", tbb::info::default_concurrency());
  std::string ops;
  for (const std::string& op : graph::RegisteredOps())
    if (runtime::FindAdapter(op)) ops += (ops.empty() ? "" : " ") + op;
  std::printf("ops: %s\n", ops.c_str());
  return 0;
}

}  // namespace

AXON_COMMAND("info", "version, SIMD target and thread count on this machine", kUsage, InfoMain);

}  // namespace axon::cli
