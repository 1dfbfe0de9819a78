#include "formats/temp_files.h"

#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace axon::formats::internal {
namespace {

// A fixed table, since a signal handler may neither allocate nor lock. A slot is claimed (kFree
// -> kFilling), its path written, then published (kReady); only kReady slots are unlinked.
enum : int { kFree = 0, kFilling = 1, kReady = 2 };
struct Slot {
  std::atomic<int> state{kFree};
  char path[PATH_MAX];
};
constexpr int kSlots = 32;
Slot slots[kSlots];
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void RemoveTempsAndReraise(int sig) {
  for (Slot& slot : slots)
    if (slot.state.load(std::memory_order_acquire) == kReady) ::unlink(slot.path);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(sig, &dfl, nullptr);
  ::raise(sig);  // delivered when the handler returns, the signal being blocked meanwhile
}

void InstallHandlers() {
  for (int sig : kSignals) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) continue;
    struct sigaction ours {};
    ours.sa_handler = RemoveTempsAndReraise;
    sigemptyset(&ours.sa_mask);
    ::sigaction(sig, &ours, nullptr);
  }
}

}  // namespace

void RegisterTemp(const std::string& tmp) {
  InstallHandlers();
  if (tmp.size() >= PATH_MAX) return;
  for (Slot& slot : slots) {
    int expected = kFree;
    if (!slot.state.compare_exchange_strong(expected, kFilling, std::memory_order_acq_rel)) continue;
    std::memcpy(slot.path, tmp.c_str(), tmp.size() + 1);
    slot.state.store(kReady, std::memory_order_release);
    return;
  }
}

void ForgetTemp(const std::string& tmp) {
  for (Slot& slot : slots) {
    int expected = kReady;
    if (slot.state.load(std::memory_order_acquire) == kReady && tmp == slot.path &&
        slot.state.compare_exchange_strong(expected, kFree, std::memory_order_acq_rel))
      return;
  }
}

void RemoveTemp(const std::string& tmp) {
  ::unlink(tmp.c_str());
  ForgetTemp(tmp);
}

}  // namespace axon::formats::internal
