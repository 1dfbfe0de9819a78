// The axon CLI's subcommands, one file each, registered with AXON_COMMAND.
#pragma once

#include <string>
#include <vector>

namespace axon::cli {

struct Command {
  const char* name;
  const char* summary;  // one line for `axon --help`
  const char* usage;    // full text for `axon NAME --help`
  int (*main)(const std::vector<std::string>& args);  // args after the command name
};

bool RegisterCommand(const Command& command);
const std::vector<Command>& Commands();

#define AXON_COMMAND_CONCAT_(a, b) a##b
#define AXON_COMMAND_CONCAT(a, b) AXON_COMMAND_CONCAT_(a, b)
#define AXON_COMMAND(...) \
  [[maybe_unused]] static const bool AXON_COMMAND_CONCAT(axon_command_, __COUNTER__) = ::axon::cli::RegisterCommand({__VA_ARGS__})

}  // namespace axon::cli
