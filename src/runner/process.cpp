#include "runner/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <mutex>
#include <system_error>
#include <utility>

#include "core/name_table.hpp"
#include "runner/child_group.hpp"
#include "runner/process_tree.hpp"
#include "runner/spawn.hpp"

namespace maildog::runner {

namespace {

using Clock = std::chrono::steady_clock;
using Outcome = ProcessResult::Outcome;

// Without a pidfd (kernel before 5.3, or a seccomp filter) the app's exit is checked this often.
constexpr std::chrono::milliseconds k_exit_check_interval{20};
constexpr const char* k_shell = "/bin/sh";
constexpr const char* k_null_device = "/dev/null";
constexpr short k_readable = POLLIN;

constexpr NameTable<Outcome, 4> k_outcome_names{{
    {Outcome::exited, "exited"},
    {Outcome::signaled, "signaled"},
    {Outcome::timed_out, "timed_out"},
    {Outcome::failed_to_start, "failed_to_start"},
}};

std::string errno_text(int error) {
  std::array<char, 256> buffer{};
  // The GNU strerror_r: thread-safe, and returns the message, which may not be in the buffer.
  return strerror_r(error, buffer.data(), buffer.size());
}

std::string signal_text(int signal_number) {
  std::string text = std::to_string(signal_number);
  if (const char* abbreviation = sigabbrev_np(signal_number)) {
    text += std::string(" (SIG") + abbreviation + ")";
  }
  return text;
}

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

// Returns 0 or the errno value. Both ends close on exec, so a spawn on another runner thread never
// inherits them (and with them our EOF); only our read end is non-blocking, the app writes as usual.
int open_pipe(Pipe& pipe_ends) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return errno;
  }
  pipe_ends.read_end.reset(fds[0]);
  pipe_ends.write_end.reset(fds[1]);
  const int flags = ::fcntl(fds[0], F_GETFL);
  if (flags < 0 || ::fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) != 0) {
    return errno;
  }
  return 0;
}

std::vector<std::string> command_line(const ProcessSpec& spec) {
  if (spec.shell_command) {
    return {k_shell, "-c", *spec.shell_command};
  }
  return spec.argv;
}

std::optional<std::string> invalid_variable_name(const std::map<std::string, std::string>& overrides) {
  for (const auto& [name, value] : overrides) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return name;
    }
  }
  return std::nullopt;
}

// The runner's environment with the overrides replacing or adding variables.
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    if (!overrides.contains(std::string(variable.substr(0, variable.find('='))))) {
      variables.emplace_back(variable);
    }
  }
  for (const auto& [name, value] : overrides) {
    variables.push_back(name + "=" + value);
  }
  return variables;
}

std::vector<char*> null_terminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& text : strings) {
    pointers.push_back(text.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

// posix_spawn reports a failed chdir and a failed exec alike; say which one it was.
std::string start_error(const std::string& program, const std::filesystem::path& working_directory, int error) {
  std::error_code ignored;
  if (!working_directory.empty() && !std::filesystem::is_directory(working_directory, ignored)) {
    return "cannot enter working directory '" + working_directory.string() + "': " + errno_text(error);
  }
  return "cannot execute '" + program + "': " + errno_text(error);
}

// Orphans of an app (a shell's background job, a daemon) are reparented to us rather than to
// init, so each run can reap its whole group. If the kernel refuses, init reaps them instead.
void become_subreaper() {
  static std::once_flag once;
  std::call_once(once, [] { ::prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL); });
}

// posix_spawn's attribute and file-action objects for one run, released on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    if (const int error = ::posix_spawnattr_init(&m_attributes); error != 0) {
      throw std::system_error(error, std::generic_category(), "posix_spawnattr_init");
    }
    if (const int error = ::posix_spawn_file_actions_init(&m_actions); error != 0) {
      ::posix_spawnattr_destroy(&m_attributes);
      throw std::system_error(error, std::generic_category(), "posix_spawn_file_actions_init");
    }
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&m_actions);
    ::posix_spawnattr_destroy(&m_attributes);
  }

  // Returns 0 or the errno value of the first step that failed.
  int configure(int stdout_fd, int stderr_fd, const std::filesystem::path& working_directory) {
    // Runner threads may block signals and the runner ignores SIGPIPE; an ignored signal survives
    // exec, so the app starts with an empty mask and every signal at its default.
    sigset_t no_signals;
    sigemptyset(&no_signals);
    sigset_t all_signals;
    sigfillset(&all_signals);
    const auto flags = static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    for (const int error : {
             ::posix_spawnattr_setflags(&m_attributes, flags),
             ::posix_spawnattr_setpgroup(&m_attributes, 0),  // a group of its own, led by the app
             ::posix_spawnattr_setsigmask(&m_attributes, &no_signals),
             ::posix_spawnattr_setsigdefault(&m_attributes, &all_signals),
             ::posix_spawn_file_actions_adddup2(&m_actions, stdout_fd, STDOUT_FILENO),
             ::posix_spawn_file_actions_adddup2(&m_actions, stderr_fd, STDERR_FILENO),
             ::posix_spawn_file_actions_addopen(&m_actions, STDIN_FILENO, k_null_device, O_RDONLY, 0),
         }) {
      if (error != 0) {
        return error;
      }
    }
    if (!working_directory.empty()) {
      return ::posix_spawn_file_actions_addchdir_np(&m_actions, working_directory.c_str());
    }
    return 0;
  }

  // Returns 0 or the errno value: glibc reports a failed chdir or exec here, not in the child.
  int spawn(pid_t& pid, std::vector<std::string>& command, std::vector<std::string>& environment) {
    const auto arguments = null_terminated(command);
    const auto variables = null_terminated(environment);
    return ::posix_spawnp(&pid, arguments.front(), &m_actions, &m_attributes, arguments.data(), variables.data());
  }

 private:
  posix_spawnattr_t m_attributes{};
  posix_spawn_file_actions_t m_actions{};
};

int poll_timeout(Clock::duration remaining, bool exit_is_watched) {
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(remaining);
  if (!exit_is_watched) {
    wait = std::min(wait, k_exit_check_interval);
  }
  return static_cast<int>(std::min<std::chrono::milliseconds::rep>(wait.count(), INT_MAX));
}

// Captures output until the app exits or `deadline` passes; true when it exited.
bool pump_until(const ChildGroup& child, OutputStream& out, OutputStream& err, Clock::time_point deadline) {
  for (;;) {
    if (child.has_exited()) {
      return true;
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      return false;
    }
    // Closed streams have fd -1, which poll skips.
    std::array<pollfd, 3> watched{{
        {out.fd(), k_readable, 0},
        {err.fd(), k_readable, 0},
        {child.exit_fd(), k_readable, 0},
    }};
    if (::poll(watched.data(), watched.size(), poll_timeout(deadline - now, child.exit_fd() >= 0)) < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if (watched[0].revents != 0) {
      out.read_some();
    }
    if (watched[1].revents != 0) {
      err.read_some();
    }
  }
}

ProcessResult not_started(std::string error, Clock::time_point started) {
  ProcessResult result;
  result.outcome = Outcome::failed_to_start;
  result.error = std::move(error);
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return result;
}

}  // namespace

std::string_view outcome_name(Outcome outcome) { return name_of(k_outcome_names, outcome); }

std::optional<Outcome> outcome_from_name(std::string_view name) { return lookup_name(k_outcome_names, name); }

std::string ProcessResult::describe() const {
  std::string line;
  switch (outcome) {
    case Outcome::exited:
      line = "exited with code " + std::to_string(exit_code) + " in " + duration_text(duration);
      break;
    case Outcome::signaled:
      line = "killed by signal " + signal_text(signal) + " in " + duration_text(duration);
      break;
    case Outcome::timed_out:
      line = error;
      break;
    case Outcome::failed_to_start:
      line = "failed to start: " + error;
      break;
  }
  if (stdout_truncated) {
    line += "; stdout truncated, " + std::to_string(stdout_dropped) + " bytes dropped";
  }
  if (stderr_truncated) {
    line += "; stderr truncated, " + std::to_string(stderr_dropped) + " bytes dropped";
  }
  return line;
}

SpawnedChild spawn_child(const ProcessSpec& spec) {
  become_subreaper();
  SpawnedChild child;
  auto command = command_line(spec);
  if (command.empty()) {
    child.error = "nothing to run: neither argv nor shell_command is set";
    return child;
  }
  if (const auto name = invalid_variable_name(spec.environment_overrides)) {
    child.error = "invalid environment variable name '" + *name + "'";
    return child;
  }
  auto environment = merged_environment(spec.environment_overrides);

  Pipe stdout_pipe;
  Pipe stderr_pipe;
  for (Pipe* pipe_ends : {&stdout_pipe, &stderr_pipe}) {
    if (const int error = open_pipe(*pipe_ends); error != 0) {
      child.error = "cannot create a pipe: " + errno_text(error);
      return child;
    }
  }
  SpawnSetup setup;
  if (const int error =
          setup.configure(stdout_pipe.write_end.get(), stderr_pipe.write_end.get(), spec.working_directory);
      error != 0) {
    child.error = "cannot prepare the spawn: " + errno_text(error);
    return child;
  }
  pid_t pid = 0;
  {
    // Registered before any sweep can see it exit: process_tree.hpp.
    std::lock_guard lock(spawn_lock());
    if (const int error = setup.spawn(pid, command, environment); error != 0) {
      child.error = start_error(command.front(), spec.working_directory, error);
      return child;
    }
    register_waited_child(pid);
  }
  // From here only the child's group holds the write ends, so EOF means they closed them.
  child.pid = pid;
  child.stdout_fd = stdout_pipe.read_end.release();
  child.stderr_fd = stderr_pipe.read_end.release();
  return child;
}

ProcessResult run_process(const ProcessSpec& spec) {
  const auto started = Clock::now();
  SpawnedChild spawned = spawn_child(spec);
  if (spawned.pid < 0) {
    return not_started(std::move(spawned.error), started);
  }
  const pid_t pid = spawned.pid;
  UniqueFd stdout_read(spawned.stdout_fd);
  UniqueFd stderr_read(spawned.stderr_fd);

  ChildGroup child(pid);
  OutputStream out(std::move(stdout_read), spec.output_limit);
  OutputStream err(std::move(stderr_read), spec.output_limit);
  const bool exited = pump_until(child, out, err, started + spec.timeout);
  if (!exited) {
    child.signal_group(SIGTERM);
    // A stopped process acts on SIGTERM only once continued.
    child.signal_group(SIGCONT);
    pump_until(child, out, err, Clock::now() + spec.kill_grace);
  }
  const int status = child.kill_and_reap();
  out.drain();
  err.drain();

  ProcessResult result;
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  out.move_into(result.stdout_text, result.stdout_truncated, result.stdout_dropped);
  err.move_into(result.stderr_text, result.stderr_truncated, result.stderr_dropped);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  if (!exited) {
    result.outcome = Outcome::timed_out;
    result.error =
        "timed out after " + duration_text(spec.timeout) + "; process group " + std::to_string(child.pid()) + " killed";
  } else if (WIFSIGNALED(status)) {
    result.outcome = Outcome::signaled;
  } else {
    result.outcome = Outcome::exited;
  }
  return result;
}

}  // namespace maildog::runner
