#include "runner/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string_view>
#include <thread>

namespace maildog::runner {

namespace {

using Clock = std::chrono::steady_clock;

// How often the sweep looks again while it waits for processes to go.
constexpr std::chrono::milliseconds k_sweep_interval{20};
// After SIGKILL a process is gone at once unless the kernel is stuck (uninterruptible sleep):
// wait this long, then give up rather than hang the run.
constexpr std::chrono::milliseconds k_kill_wait{std::chrono::seconds(5)};
// An environment larger than this is read only this far (ARG_MAX is 2 MiB by default).
constexpr std::size_t k_environ_max = 4 * 1024 * 1024;

std::multiset<pid_t>& waited_children() {
  static std::multiset<pid_t> children;
  return children;
}

std::optional<pid_t> pid_of(std::string_view name) {
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc{} || end != name.data() + name.size() || pid <= 0) {
    return std::nullopt;
  }
  return pid;
}

// Reads a /proc file whole (they report size 0, so no stat); empty when it cannot be read.
std::string read_proc_file(const std::string& path, std::size_t limit) {
  std::string text;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return text;
  }
  std::array<char, 16 * 1024> buffer{};
  while (text.size() < limit) {
    const ssize_t count = ::read(fd, buffer.data(), buffer.size());
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count <= 0) {
      break;
    }
    text.append(buffer.data(), static_cast<std::size_t>(count));
  }
  ::close(fd);
  return text;
}

// Every numeric entry of /proc but ours.
std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) {
    return pids;
  }
  const pid_t self = ::getpid();
  while (const dirent* entry = ::readdir(proc)) {
    if (auto pid = pid_of(entry->d_name); pid && *pid != self) {
      pids.push_back(*pid);
    }
  }
  ::closedir(proc);
  return pids;
}

// The pids in /proc/PID/task/*/children (each thread has its own children; zombies included), or
// nothing when the kernel lacks CONFIG_PROC_CHILDREN.
std::vector<pid_t> children_of(pid_t pid, bool& available) {
  std::vector<pid_t> children;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (dir == nullptr) {
    return children;
  }
  while (const dirent* entry = ::readdir(dir)) {
    if (!pid_of(entry->d_name)) {
      continue;
    }
    const std::string path = tasks + "/" + entry->d_name + "/children";
    if (::access(path.c_str(), R_OK) != 0) {
      available = false;
      break;
    }
    const std::string text = read_proc_file(path, 1024 * 1024);
    std::string_view rest(text);
    while (!rest.empty()) {
      const auto end = rest.find(' ');
      if (auto child = pid_of(rest.substr(0, end))) {
        children.push_back(*child);
      }
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    }
  }
  ::closedir(dir);
  return children;
}

// Where a scenario's processes can be. maildog-ci is the child subreaper, so whatever a scenario
// started, double-forked and setsid'd daemons included, stays our descendant: walking our
// children is cheap where reading every process's environment is not (it runs after every
// scenario). Without the children files, or when we are not the subreaper, every process.
std::vector<pid_t> candidate_pids() {
  int subreaper = 0;
  if (::prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0UL, 0UL, 0UL) != 0 || subreaper == 0) {
    return all_pids();
  }
  bool available = true;
  std::vector<pid_t> found = children_of(::getpid(), available);
  for (std::size_t i = 0; i < found.size() && available; ++i) {
    auto more = children_of(found[i], available);
    found.insert(found.end(), more.begin(), more.end());
  }
  return available ? found : all_pids();
}

bool owned_by_us(pid_t pid) {
  struct stat info {};
  return ::stat(("/proc/" + std::to_string(pid)).c_str(), &info) == 0 && info.st_uid == ::geteuid();
}

// The state letter and the parent from /proc/PID/stat ("pid (comm) S ppid ..."); comm may hold
// spaces and parentheses, so the fields are read after the last ')'.
struct ProcState {
  char state = '?';
  pid_t parent = 0;
};

std::optional<ProcState> proc_state(pid_t pid) {
  const std::string stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) {
    return std::nullopt;
  }
  ProcState state;
  state.state = stat[close + 2];
  std::string_view rest = std::string_view(stat).substr(close + 4);
  rest = rest.substr(0, rest.find(' '));
  if (auto parent = pid_of(rest)) {
    state.parent = *parent;
  }
  return state;
}

void signal_all(const std::vector<pid_t>& pids, int signal_number) {
  for (const pid_t pid : pids) {
    ::kill(pid, signal_number);
  }
}

// The pids of `noted` that are still live descendants of ours (not zombies): a noted pid that
// has gone and been reused by a stranger is not ours any more, so it is left alone.
std::vector<pid_t> still_ours(const std::vector<pid_t>& noted) {
  if (noted.empty()) {
    return {};
  }
  const auto candidates = candidate_pids();
  const std::set<pid_t> ours(candidates.begin(), candidates.end());
  std::vector<pid_t> live;
  for (const pid_t pid : noted) {
    const auto state = proc_state(pid);
    if (ours.contains(pid) && state && state->state != 'Z') {
      live.push_back(pid);
    }
  }
  return live;
}

// What the sweep signals: the cookie's processes and the noted ones still ours.
std::vector<pid_t> sweep_targets(const std::string& cookie, const std::vector<pid_t>& also) {
  auto targets = processes_with_cookie(cookie);
  for (const pid_t pid : still_ours(also)) {
    if (std::find(targets.begin(), targets.end(), pid) == targets.end()) {
      targets.push_back(pid);
    }
  }
  return targets;
}

// Waits until no live process carries the cookie (zombies have no environment to read) and no
// noted one lives, reaping orphans meanwhile so that a daemon's children do not linger.
bool wait_until_gone(const std::string& cookie, const std::vector<pid_t>& also, Clock::time_point deadline,
                     std::size_t& reaped) {
  for (;;) {
    reaped += reap_orphaned_zombies();
    if (sweep_targets(cookie, also).empty()) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(k_sweep_interval);
  }
}

}  // namespace

std::string new_scenario_cookie() {
  std::random_device device;
  std::string cookie;
  constexpr std::string_view k_hex = "0123456789abcdef";
  for (int i = 0; i < 4; ++i) {
    const std::uint32_t bits = device();
    for (int shift = 0; shift < 32; shift += 4) {
      cookie += k_hex[(bits >> shift) & 0xFU];
    }
  }
  return cookie;
}

std::mutex& spawn_lock() {
  static std::mutex lock;
  return lock;
}

void register_waited_child(pid_t pid) { waited_children().insert(pid); }

void unregister_waited_child(pid_t pid) {
  std::lock_guard lock(spawn_lock());
  auto& children = waited_children();
  if (auto found = children.find(pid); found != children.end()) {
    children.erase(found);
  }
}

std::vector<pid_t> processes_with_cookie(const std::string& cookie) {
  const std::string entry = std::string(k_scenario_cookie_variable) + "=" + cookie;
  std::vector<pid_t> found;
  for (const pid_t pid : candidate_pids()) {
    if (!owned_by_us(pid)) {
      continue;
    }
    const std::string environment = read_proc_file("/proc/" + std::to_string(pid) + "/environ", k_environ_max);
    // Variables are NUL-separated: match a whole entry, not a prefix of a longer cookie.
    std::string_view rest(environment);
    while (!rest.empty()) {
      const auto end = rest.find('\0');
      if (rest.substr(0, end) == entry) {
        found.push_back(pid);
        break;
      }
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    }
  }
  return found;
}

std::size_t reap_orphaned_zombies() {
  std::lock_guard lock(spawn_lock());
  const pid_t self = ::getpid();
  std::size_t reaped = 0;
  bool available = true;
  std::vector<pid_t> children = children_of(self, available);
  if (!available) {
    children = all_pids();
  }
  for (const pid_t pid : children) {
    const auto state = proc_state(pid);
    if (!state || state->state != 'Z' || state->parent != self || waited_children().contains(pid)) {
      continue;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      ++reaped;
    }
  }
  return reaped;
}

std::vector<pid_t> processes_of_scenario(const std::string& cookie) {
  std::vector<pid_t> found = processes_with_cookie(cookie);
  bool available = true;
  for (std::size_t i = 0; i < found.size() && available; ++i) {
    for (const pid_t child : children_of(found[i], available)) {
      if (std::find(found.begin(), found.end(), child) == found.end()) {
        found.push_back(child);
      }
    }
  }
  return found;
}

SweepResult end_scenario_processes(const std::string& cookie, std::chrono::milliseconds grace,
                                   const std::vector<pid_t>& also) {
  SweepResult result;
  auto left = sweep_targets(cookie, also);
  result.terminated = left.size();
  if (!left.empty()) {
    signal_all(left, SIGTERM);
    signal_all(left, SIGCONT);  // a stopped process acts on SIGTERM only once continued
    if (!wait_until_gone(cookie, also, Clock::now() + grace, result.reaped)) {
      // Look again each round: a process may fork while it is being killed.
      std::set<pid_t> killed;
      const auto deadline = Clock::now() + k_kill_wait;
      for (;;) {
        left = sweep_targets(cookie, also);
        if (left.empty() || Clock::now() >= deadline) {
          break;
        }
        killed.insert(left.begin(), left.end());
        signal_all(left, SIGKILL);
        wait_until_gone(cookie, also, std::min(deadline, Clock::now() + k_sweep_interval * 5), result.reaped);
      }
      result.killed = killed.size();
    }
  }
  result.reaped += reap_orphaned_zombies();
  return result;
}

}  // namespace maildog::runner
