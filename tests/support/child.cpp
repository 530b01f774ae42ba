#include "support/child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>

extern char** environ;

namespace maildog::test {

namespace {

using Clock = std::chrono::steady_clock;

// Bytes kept per stream; a runaway client cannot exhaust the test's memory.
constexpr std::size_t k_output_max = 4 * 1024 * 1024;
// Between two checks whether the child has exited once its pipes are closed.
constexpr std::chrono::milliseconds k_reap_poll{10};

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// A pipe to a child that has exited must fail with EPIPE, not kill the test binary.
void ignore_sigpipe_once() {
  static const bool done = [] {
    struct sigaction action {};
    action.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &action, nullptr);
    return true;
  }();
  (void)done;
}

// Reads what is there; false once the pipe reached EOF or failed.
bool drain(int fd, std::string& into) {
  char chunk[16 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      std::size_t room = k_output_max - std::min(k_output_max, into.size());
      into.append(chunk, std::min(room, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

void record_status(int status, ChildResult& result) {
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
}

struct Pipes {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Pipes() {
    for (int* fds : {in, out, err}) {
      close_fd(fds[0]);
      close_fd(fds[1]);
    }
  }
  bool open() { return ::pipe2(in, O_CLOEXEC) == 0 && ::pipe2(out, O_CLOEXEC) == 0 && ::pipe2(err, O_CLOEXEC) == 0; }
};

std::vector<std::string> environment_with(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto name = std::string(text.substr(0, text.find('=')));
    if (overrides.find(name) == overrides.end()) {
      result.emplace_back(text);
    }
  }
  for (const auto& [name, value] : overrides) {
    result.push_back(name + "=" + value);
  }
  return result;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (auto& text : strings) {
    result.push_back(text.data());
  }
  result.push_back(nullptr);
  return result;
}

}  // namespace

std::string ChildResult::describe() const {
  std::string text = !started      ? "did not start"
                     : timed_out   ? "timed out"
                     : signal != 0 ? "killed by signal " + std::to_string(signal)
                                   : "exited with " + std::to_string(exit_code);
  return text + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
}

ChildResult run_child(const ChildSpec& spec) {
  ignore_sigpipe_once();
  ChildResult result;
  Pipes pipes;
  if (spec.argv.empty() || !pipes.open()) {
    result.err = "cannot create pipes or empty argv";
    return result;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipes.in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipes.out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipes.err[1], STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so a timeout kills helpers it started too (msmtp's passwordeval).
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> argv_strings = spec.argv;
  std::vector<std::string> env_strings = environment_with(spec.environment);
  auto argv = pointers(argv_strings);
  auto envp = pointers(env_strings);
  pid_t pid = -1;
  int spawned = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close_fd(pipes.in[0]);
  close_fd(pipes.out[1]);
  close_fd(pipes.err[1]);
  if (spawned != 0) {
    result.err = std::string("posix_spawnp: ") + std::strerror(spawned);
    return result;
  }
  result.started = true;

  const auto deadline = Clock::now() + spec.timeout;
  std::string_view input = spec.input;
  if (input.empty()) {
    close_fd(pipes.in[1]);
  } else {
    set_nonblocking(pipes.in[1]);
  }
  set_nonblocking(pipes.out[0]);
  set_nonblocking(pipes.err[0]);

  while ((pipes.out[0] >= 0 || pipes.err[0] >= 0) && Clock::now() < deadline) {
    pollfd fds[3] = {{pipes.out[0], POLLIN, 0}, {pipes.err[0], POLLIN, 0}, {pipes.in[1], POLLOUT, 0}};
    int ready = ::poll(fds, 3, remaining_ms(deadline));
    if (ready < 0 && errno != EINTR) {
      break;
    }
    if (ready <= 0) {
      continue;
    }
    if (fds[0].revents != 0 && !drain(pipes.out[0], result.out)) {
      close_fd(pipes.out[0]);
    }
    if (fds[1].revents != 0 && !drain(pipes.err[0], result.err)) {
      close_fd(pipes.err[0]);
    }
    if (fds[2].revents != 0) {
      ssize_t n = ::write(pipes.in[1], input.data(), input.size());
      if (n > 0) {
        input.remove_prefix(static_cast<std::size_t>(n));
      }
      if (input.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close_fd(pipes.in[1]);
      }
    }
  }

  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      record_status(status, result);
      return result;
    }
    if (done < 0 && errno != EINTR) {
      return result;
    }
    if (Clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(k_reap_poll);
  }
  result.timed_out = true;
  ::kill(-pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  record_status(status, result);
  return result;
}

bool program_available(const std::string& name) {
  ChildSpec spec;
  spec.argv = {"/bin/sh", "-c", "command -v \"$0\"", name};
  spec.timeout = std::chrono::seconds(10);
  ChildResult result = run_child(spec);
  return result.exit_code == 0 && !result.out.empty();
}

}  // namespace maildog::test
