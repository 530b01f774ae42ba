#include "serve/serve_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <thread>

#include "support/paths.hpp"

namespace maildog::test {

namespace {
// The child's output is kept for failure messages; a runaway child cannot fill memory.
constexpr std::size_t k_output_max = 4 * 1024 * 1024;
}  // namespace

ServeProcess::ServeProcess(std::vector<std::string> args) {
  std::vector<std::string> argv{binary_path().string(), "serve"};
  if (std::find(args.begin(), args.end(), "--http-port") == args.end()) {
    argv.insert(argv.end(), {"--http-port", "0"});  // parallel tests must not share a port
  }
  argv.insert(argv.end(), args.begin(), args.end());
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return;
  }
  m_pid = ::fork();
  if (m_pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::setpgid(0, 0);
    std::vector<char*> raw;
    for (auto& arg : argv) {
      raw.push_back(arg.data());
    }
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  m_out = pipe_fds[0];
  if (m_pid < 0) {
    return;
  }
  static const std::regex k_port_lines(
      R"(SMTP on (?:[0-9.]+|\[[0-9a-f:.]+\]):([0-9]+)\nHTTP on (?:[0-9.]+|\[[0-9a-f:.]+\]):([0-9]+))");
  const auto deadline = std::chrono::steady_clock::now() + k_serve_start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    if (std::regex_search(m_output, match, k_port_lines)) {
      m_port = static_cast<std::uint16_t>(std::stoi(match[1].str()));
      m_http_port = static_cast<std::uint16_t>(std::stoi(match[2].str()));
      return;
    }
    if (!read_some(std::chrono::milliseconds(100))) {
      return;
    }
  }
}

ServeProcess::~ServeProcess() {
  if (m_pid > 0 && !m_exit) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
  if (m_out >= 0) {
    ::close(m_out);
  }
}

bool ServeProcess::read_some(std::chrono::milliseconds wait) {
  if (m_out < 0) {
    return false;
  }
  pollfd fd{m_out, POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(wait.count())) <= 0) {
    return true;
  }
  char buffer[4096];
  const ssize_t n = ::read(m_out, buffer, sizeof buffer);
  if (n <= 0) {
    ::close(m_out);
    m_out = -1;
    return false;
  }
  if (m_output.size() < k_output_max) {
    m_output.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

bool ServeProcess::wait_for_output(std::string_view fragment, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (m_output.find(fragment) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline || !read_some(std::chrono::milliseconds(50))) {
      return m_output.find(fragment) != std::string::npos;
    }
  }
  return true;
}

void ServeProcess::send_signal(int signal) {
  if (m_pid > 0 && !m_exit) {
    ::kill(m_pid, signal);
  }
}

std::optional<ServeProcess::Exit> ServeProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (m_pid > 0 && !m_exit) {
    int status = 0;
    const pid_t done = ::waitpid(m_pid, &status, WNOHANG);
    if (done == m_pid) {
      m_exit = Exit{WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0};
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    if (!read_some(std::chrono::milliseconds(20))) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  while (read_some(std::chrono::milliseconds(0)) && m_out >= 0) {
    pollfd fd{m_out, POLLIN, 0};
    if (::poll(&fd, 1, 0) <= 0) {
      break;
    }
  }
  return m_exit;
}

}  // namespace maildog::test
