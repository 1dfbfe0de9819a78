// axon: the command-line tool. Dispatches to one subcommand; turns every error into one line on
// stderr and exit code 1.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "axon/axon.h"
#include "tools/command.h"
#include "tools/output_names.h"

namespace axon::cli {

bool RegisterCommand(const Command& command) {
  const_cast<std::vector<Command>&>(Commands()).push_back(command);
  return true;
}

const std::vector<Command>& Commands() {
  static std::vector<Command> commands;
  return commands;
}

namespace {

// Errors print as one line, whatever a message picked up on the way (protobuf's, the OS's, or
// names from a hostile file, which may hold newlines or terminal escape sequences).
void PrintError(const std::string& message) {
  std::string line = Escaped(message);
  std::fprintf(stderr, "%s\n", line.c_str());
}

const Command* FindCommand(const std::string& name) {
  for (const Command& c : Commands())
    if (name == c.name) return &c;
  return nullptr;
}

int UnknownCommand(const std::string& name) {
  PrintError("axon: unknown command '" + name + "' (see axon --help)");
  return 1;
}

void PrintHelp() {
  std::printf("axon %s: run and inspect neural-network models\n\n", Version());
  std::printf("usage: axon COMMAND [ARGS...]    (axon help COMMAND or axon COMMAND --help for details)\n\ncommands:\n");
  for (const Command& c : Commands()) std::printf("  %-10s %s\n", c.name, c.summary);
}

// stdout is buffered, so a full disk or a closed descriptor shows only when it is flushed: without
// this check `axon bench M --json > r.json` on a full disk exits 0 and leaves an empty r.json.
int CheckStdout(int code, const std::string& who) {
  const bool flushed = std::fflush(stdout) == 0;
  const int error = errno;
  if (flushed && !std::ferror(stdout)) return code;
  PrintError(who + ": cannot write to standard output" + (flushed ? std::string() : ": " + std::string(std::strerror(error))));
  return 1;
}

int Main(const std::vector<std::string>& args) {
  if (args.size() >= 2 && args[0] == "help") {
    const Command* c = FindCommand(args[1]);
    if (!c) return UnknownCommand(args[1]);
    if (args.size() > 2) {
      PrintError("axon help: unexpected argument '" + args[2] + "' (usage: axon help COMMAND)");
      return 1;
    }
    std::printf("%s", c->usage);
    return 0;
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintHelp();
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "--version") {
    std::printf("axon %s\n", axon::Version());
    return 0;
  }
  if (const Command* found = FindCommand(args[0])) {
    const Command& c = *found;
    std::vector<std::string> rest(args.begin() + 1, args.end());
    // --help anywhere before "--" (after it, "--help" is a file name); -h only first, where it
    // cannot be another option's value (-o -h).
    const auto options_end = std::find(rest.begin(), rest.end(), "--");
    const bool help = std::find(rest.begin(), options_end, "--help") != options_end || (!rest.empty() && rest[0] == "-h");
    if (help) {
      std::printf("%s", c.usage);
      return 0;
    }
    try {
      return c.main(rest);
    } catch (const axon::Error& e) {
      PrintError("axon " + std::string(c.name) + ": " + e.what());
    } catch (const std::filesystem::filesystem_error& e) {
      PrintError("axon " + std::string(c.name) + ": " + e.what());
    } catch (const std::bad_alloc&) {
      PrintError("axon " + std::string(c.name) + ": out of memory");
    } catch (const std::exception& e) {
      PrintError("axon " + std::string(c.name) + ": internal error: " + e.what());
    }
    return 1;
  }
  return UnknownCommand(args[0]);
}

}  // namespace
}  // namespace axon::cli

int main(int argc, char** argv) {
  using namespace axon::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string who = args.empty() || !FindCommand(args[0]) ? "axon" : "axon " + args[0];
  return CheckStdout(Main(args), who);
}
