// Temporary files of atomic writes (PATH.tmp.PID.N) removed when SIGINT, SIGTERM or SIGHUP ends
// the process mid-write: a Ctrl-C during a large checkpoint must not leave a full-size stray file.
// Internal to formats/: every writer goes through WriteTempFile / RenameOver / FileBatch.
#pragma once

#include <string>

namespace axon::formats::internal {

// Records tmp (an absolute or relative path, as created) for removal on those signals, and
// installs the handler for each of them whose disposition is the default one (a program's own
// handler or SIG_IGN is left alone). The handler unlinks every recorded file with
// async-signal-safe calls, restores the default disposition and raises the signal again, so the
// process ends as it would have. Best effort: paths beyond the table's room are not recorded.
void RegisterTemp(const std::string& tmp);
// tmp no longer needs removing (renamed into place): forgets it.
void ForgetTemp(const std::string& tmp);
// Unlinks tmp and forgets it.
void RemoveTemp(const std::string& tmp);

}  // namespace axon::formats::internal
