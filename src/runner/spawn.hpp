// Internal to the runner: starting a child the way run_process does (its own process group,
// stdout and stderr to pipes, stdin from /dev/null, signals at their defaults), for callers that
// keep it running and read it themselves (services).
#pragma once

#include <sys/types.h>

#include <string>

#include "runner/process.hpp"

namespace maildog::runner {

struct SpawnedChild {
  pid_t pid = -1;      // -1: nothing started, `error` says why
  int stdout_fd = -1;  // read ends, non-blocking and close-on-exec; the caller closes them
  int stderr_fd = -1;
  std::string error;
};

// Spawns `spec` (argv/shell_command, environment_overrides, working_directory) and registers the
// child as waited for (process_tree.hpp): the caller reaps it, then unregisters it.
SpawnedChild spawn_child(const ProcessSpec& spec);

}  // namespace maildog::runner
