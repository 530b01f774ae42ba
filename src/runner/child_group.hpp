// Internal to the runner: a started child's process group and its captured output, shared by
// run_process (the app, then steps) and the services, which keep their child running.
#pragma once

#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "runner/process_tree.hpp"

namespace maildog::runner {

// Bytes of one read from a pipe (the default pipe capacity).
constexpr std::size_t k_read_chunk = 64 * 1024;

// Reading after the group is dead stops here: no pipe holds more (fs.pipe-max-size default), so
// more can only come from a process that escaped the group and keeps writing.
constexpr std::size_t k_drain_max = 1024 * 1024;

inline std::string duration_text(std::chrono::milliseconds duration) {
  if (duration.count() != 0 && duration.count() % 1000 == 0) {
    return std::to_string(duration.count() / 1000) + "s";
  }
  return std::to_string(duration.count()) + "ms";
}

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(std::exchange(other.m_fd, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return m_fd; }
  int release() { return std::exchange(m_fd, -1); }
  explicit operator bool() const { return m_fd >= 0; }
  void reset(int fd = -1) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = fd;
  }

 private:
  int m_fd = -1;
};

// A descriptor that turns readable when `pid` exits, or -1. Through syscall(): glibc 2.36's
// <sys/pidfd.h> lacks extern "C", so its pidfd_open cannot be linked from C++.
inline int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }

// The spawned app, leader of its own process group. While the leader is unreaped its pid, and so
// the group id, cannot be reused; the group is therefore always signalled before the leader is
// reaped. The destructor kills and reaps whatever is left when a run ends early.
class ChildGroup {
 public:
  explicit ChildGroup(pid_t pid) : m_pid(pid), m_exit_fd(open_pidfd(pid)) {}
  ChildGroup(const ChildGroup&) = delete;
  ChildGroup& operator=(const ChildGroup&) = delete;
  ~ChildGroup() {
    if (!m_reaped) {
      kill_and_reap();
    }
  }

  pid_t pid() const { return m_pid; }
  // Readable once the app exits; -1 when pidfds are unavailable.
  int exit_fd() const { return m_exit_fd.get(); }

  // Looks without reaping (WNOWAIT), so the group id stays ours.
  bool has_exited() const {
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno != EINTR) {
        return true;  // not our child any more: nothing left to wait for
      }
    }
    return info.si_pid != 0;
  }

  void signal_group(int signal_number) const { ::kill(-m_pid, signal_number); }

  // SIGKILLs what is left of the group and reaps all of it; returns the app's wait status.
  int kill_and_reap() {
    signal_group(SIGKILL);
    ::kill(m_pid, SIGKILL);  // in case the app moved itself to another group
    int app_status = 0;
    bool app_reaped = false;
    // What the app left behind was reparented to us (the subreaper) and is still in its group;
    // waiting by group never touches another run's processes.
    for (;;) {
      int status = 0;
      const pid_t reaped = ::waitpid(-m_pid, &status, 0);
      if (reaped == m_pid) {
        app_status = status;
        app_reaped = true;
      } else if (reaped < 0 && errno != EINTR) {
        break;  // ECHILD: the whole group is gone
      }
    }
    while (!app_reaped && ::waitpid(m_pid, &app_status, 0) < 0 && errno == EINTR) {
    }
    unregister_waited_child(m_pid);
    m_reaped = true;
    return app_status;
  }

 private:
  pid_t m_pid;
  UniqueFd m_exit_fd;
  bool m_reaped = false;
};

// One captured stream: the read end of the app's pipe and what came out of it, up to a limit.
class OutputStream {
 public:
  OutputStream(UniqueFd fd, std::size_t limit) : m_fd(std::move(fd)), m_limit(limit), m_buffer(k_read_chunk) {}

  int fd() const { return m_fd.get(); }
  // What was kept so far (services look for their ready line in it).
  const std::string& text() const { return m_text; }

  // A single read, so a fast writer cannot starve the other stream or the deadline check.
  void read_some() {
    if (m_fd) {
      read_chunk();
    }
  }

  // Reads what is already in the pipe, then closes it: a writer that survived the group kill
  // (escaped with setsid) must not hold the run open.
  void drain() {
    const std::size_t stop_at = total() + k_drain_max;
    while (m_fd && total() < stop_at && read_chunk() == ReadResult::data) {
    }
    m_fd.reset();
  }

  void move_into(std::string& text, bool& truncated, std::size_t& dropped) {
    text = std::move(m_text);
    truncated = m_dropped > 0;
    dropped = m_dropped;
  }

 private:
  enum class ReadResult { data, nothing_yet, ended };

  ReadResult read_chunk() {
    const ssize_t count = ::read(m_fd.get(), m_buffer.data(), m_buffer.size());
    if (count > 0) {
      keep(static_cast<std::size_t>(count));
      return ReadResult::data;
    }
    if (count < 0 && (errno == EAGAIN || errno == EINTR)) {
      return ReadResult::nothing_yet;
    }
    m_fd.reset();  // end of stream, or an error that will not go away
    return ReadResult::ended;
  }

  void keep(std::size_t count) {
    const std::size_t kept = std::min(count, m_limit - m_text.size());
    m_text.append(m_buffer.data(), kept);
    m_dropped += count - kept;
  }

  std::size_t total() const { return m_text.size() + m_dropped; }

  UniqueFd m_fd;
  std::size_t m_limit;
  std::vector<char> m_buffer;
  std::string m_text;
  std::size_t m_dropped = 0;
};

}  // namespace maildog::runner
