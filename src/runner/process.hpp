// Runs the app under test for a scenario: one child in its own process group, stdout and stderr
// captured up to a limit, a deadline that kills the whole group, and nothing left behind.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::runner {

// Bytes kept per stream; the rest is counted and dropped so a chatty app cannot exhaust memory.
inline constexpr std::size_t k_output_limit_default = 1024 * 1024;
// The scenario deadline for the app when the scenario names none.
inline constexpr std::chrono::milliseconds k_timeout_default{std::chrono::seconds(30)};
// Time between SIGTERM and SIGKILL to the group, for the app to flush and exit cleanly.
inline constexpr std::chrono::milliseconds k_kill_grace_default{500};

struct ProcessSpec {
  // Run directly, with the program looked up in PATH as execvp does; ignored when
  // shell_command is set.
  std::vector<std::string> argv;
  // Run as /bin/sh -c "<command>".
  std::optional<std::string> shell_command;
  // Applied on top of the runner's own environment; an override wins over an inherited variable.
  std::map<std::string, std::string> environment_overrides;
  // Empty: the runner's current directory.
  std::filesystem::path working_directory;
  std::chrono::milliseconds timeout = k_timeout_default;
  // Per stream.
  std::size_t output_limit = k_output_limit_default;
  std::chrono::milliseconds kill_grace = k_kill_grace_default;
};

struct ProcessResult {
  enum class Outcome { exited, signaled, timed_out, failed_to_start };

  Outcome outcome = Outcome::failed_to_start;
  int exit_code = -1;  // exited (and timed_out when the app exited on SIGTERM)
  int signal = 0;      // signaled (and timed_out when the app died of SIGTERM or SIGKILL)
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::size_t stdout_dropped = 0;  // bytes beyond output_limit
  std::size_t stderr_dropped = 0;
  std::chrono::milliseconds duration{0};
  // failed_to_start and timed_out: why, in words.
  std::string error;

  // One line for reports, e.g. "exited with code 3 in 12ms".
  std::string describe() const;
};

// The outcome as reports and scenario files spell it, and back (a JSON report read again).
std::string_view outcome_name(ProcessResult::Outcome outcome);
std::optional<ProcessResult::Outcome> outcome_from_name(std::string_view name);

// Blocks until the app and every process left in its group are gone. Safe to call from several
// threads at once: each run waits only for its own process group.
ProcessResult run_process(const ProcessSpec& spec);

}  // namespace maildog::runner
