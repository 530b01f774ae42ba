#include "runner/services.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>
#include <utility>

#include "runner/child_group.hpp"
#include "runner/process_tree.hpp"
#include "runner/spawn.hpp"

namespace maildog::runner {

namespace {

using Clock = std::chrono::steady_clock;
using scenario::ReadySpec;

// How often readiness is checked while a service starts.
constexpr std::chrono::milliseconds k_ready_interval{50};
// One readiness probe (a connect, an HTTP answer) may take this long.
constexpr std::chrono::milliseconds k_probe_timeout{1000};
// The reader thread looks at its stop flag this often.
constexpr int k_reader_poll_ms = 100;
constexpr std::string_view k_exited_early = "exited before it was ready";

std::optional<std::uint16_t> port_number(std::string_view text) {
  unsigned number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || number < 1 || number > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(number);
}

struct LoopbackUrl {
  bool ipv6 = false;
  std::string host;  // as written, for the Host header
  std::uint16_t port = 80;
  std::string path = "/";
};

// http://HOST[:PORT][/PATH] with HOST 127.0.0.1, localhost or [::1]: readiness never leaves the machine.
std::optional<LoopbackUrl> parse_loopback_url(std::string_view url) {
  constexpr std::string_view k_scheme = "http://";
  if (!url.starts_with(k_scheme)) {
    return std::nullopt;
  }
  url.remove_prefix(k_scheme.size());
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  LoopbackUrl out;
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return std::nullopt;
      }
      port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host == "[::1]") {
    out.ipv6 = true;
  } else if (host != "127.0.0.1" && host != "localhost") {
    return std::nullopt;
  }
  out.host = std::string(authority);
  if (!port.empty()) {
    auto number = port_number(port);
    if (!number) {
      return std::nullopt;
    }
    out.port = *number;
  }
  return out;
}

// A connected socket to loopback with send and receive timeouts, or -1.
int connect_loopback(bool ipv6, std::uint16_t port) {
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  timeval limit{};
  limit.tv_sec = k_probe_timeout.count() / 1000;
  limit.tv_usec = static_cast<suseconds_t>((k_probe_timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  int connected = -1;
  if (ipv6) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(port);
    address.sin6_addr = in6addr_loopback;
    connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  } else {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  }
  if (connected != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string describe_ready(const ReadySpec& ready, const std::string& target) {
  switch (ready.kind) {
    case ReadySpec::Kind::port:
      return "127.0.0.1:" + target + " never accepted a connection";
    case ReadySpec::Kind::http:
      return "GET " + target + " never answered 2xx";
    case ReadySpec::Kind::log:
      return "its output never matched /" + target + "/";
    case ReadySpec::Kind::started:
      break;
  }
  return "it never started";
}

}  // namespace

bool loopback_port_open(std::uint16_t port) {
  const int fd = connect_loopback(false, port);
  if (fd < 0) {
    return false;
  }
  ::close(fd);
  return true;
}

bool http_answers_2xx(const std::string& url, std::chrono::milliseconds timeout) {
  const auto parsed = parse_loopback_url(url);
  if (!parsed) {
    return false;
  }
  const int fd = connect_loopback(parsed->ipv6, parsed->port);
  if (fd < 0) {
    return false;
  }
  const std::string request =
      "GET " + parsed->path + " HTTP/1.0\r\nHost: " + parsed->host + "\r\nConnection: close\r\n\r\n";
  bool ok = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  std::string answer;
  const auto deadline = Clock::now() + timeout;
  while (ok && answer.find("\r\n") == std::string::npos && answer.size() < 1024 && Clock::now() < deadline) {
    std::array<char, 512> buffer{};
    const ssize_t count = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count <= 0) {
      break;
    }
    answer.append(buffer.data(), static_cast<std::size_t>(count));
  }
  ::close(fd);
  // "HTTP/1.1 204 No Content"
  return ok && answer.starts_with("HTTP/") && answer.size() > 9 && answer.find(' ') != std::string::npos &&
         answer[answer.find(' ') + 1] == '2';
}

// One started service: its process group, and a thread reading its output while it runs.
class RunningService {
 public:
  RunningService(const scenario::ServiceSpec& spec, SpawnedChild child, std::size_t output_limit)
      : m_name(spec.name),
        m_stop_timeout(spec.stop_timeout),
        m_group(child.pid),
        m_streams{OutputStream(UniqueFd(child.stdout_fd), output_limit),
                  OutputStream(UniqueFd(child.stderr_fd), output_limit)},
        m_started(Clock::now()) {
    m_reader = std::thread([this] { read_while_running(); });
  }
  RunningService(const RunningService&) = delete;
  RunningService& operator=(const RunningService&) = delete;
  ~RunningService() {
    if (!m_stopped) {
      stop();
    }
  }

  const std::string& name() const { return m_name; }

  bool has_exited() const { return m_group.has_exited(); }

  // Line by line, so ^ and $ anchor at a line's ends; each complete line is looked at once.
  bool output_matches(const std::regex& pattern) {
    std::lock_guard lock(m_output_lock);
    for (std::size_t stream = 0; stream < 2; ++stream) {
      const std::string& text = m_streams[stream].text();
      std::size_t& from = m_scanned[stream];
      for (;;) {
        const auto end = text.find('\n', from);
        const auto line_end = end == std::string::npos ? text.size() : end;
        auto first = text.begin() + static_cast<std::ptrdiff_t>(from);
        auto last = text.begin() + static_cast<std::ptrdiff_t>(line_end);
        if (last != first && *(last - 1) == '\r') {
          --last;
        }
        if (std::regex_search(first, last, pattern)) {
          return true;
        }
        if (end == std::string::npos) {
          break;  // a partial line: looked at again once more of it has come
        }
        from = end + 1;
      }
    }
    return false;
  }

  // SIGTERM to the group, up to stop_timeout for the service to exit, SIGKILL to the group, reap.
  ProcessResult stop() {
    m_stopped = true;
    if (!has_exited()) {
      m_group.signal_group(SIGTERM);
      m_group.signal_group(SIGCONT);
      const auto deadline = Clock::now() + m_stop_timeout;
      while (!has_exited() && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    const int status = m_group.kill_and_reap();
    m_stop_reading = true;
    m_reader.join();

    ProcessResult result;
    result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_started);
    if (WIFSIGNALED(status)) {
      result.outcome = ProcessResult::Outcome::signaled;
      result.signal = WTERMSIG(status);
    } else {
      result.outcome = ProcessResult::Outcome::exited;
      result.exit_code = WEXITSTATUS(status);
    }
    std::lock_guard lock(m_output_lock);
    for (auto& stream : m_streams) {
      stream.drain();
    }
    m_streams[0].move_into(result.stdout_text, result.stdout_truncated, result.stdout_dropped);
    m_streams[1].move_into(result.stderr_text, result.stderr_truncated, result.stderr_dropped);
    return result;
  }

 private:
  void read_while_running() {
    for (;;) {
      std::array<pollfd, 2> watched{};
      {
        std::lock_guard lock(m_output_lock);
        for (std::size_t stream = 0; stream < 2; ++stream) {
          watched[stream] = {m_streams[stream].fd(), POLLIN, 0};
        }
      }
      if (m_stop_reading || (watched[0].fd < 0 && watched[1].fd < 0)) {
        return;
      }
      if (::poll(watched.data(), watched.size(), k_reader_poll_ms) < 0 && errno != EINTR) {
        return;
      }
      std::lock_guard lock(m_output_lock);
      for (std::size_t stream = 0; stream < 2; ++stream) {
        if (watched[stream].fd >= 0 && watched[stream].revents != 0) {
          m_streams[stream].read_some();
        }
      }
    }
  }

  std::string m_name;
  std::chrono::milliseconds m_stop_timeout;
  ChildGroup m_group;
  std::mutex m_output_lock;  // the streams: read by the reader thread, looked at by readiness
  std::array<OutputStream, 2> m_streams;
  std::array<std::size_t, 2> m_scanned{0, 0};  // output_matches: where the first unread line starts
  Clock::time_point m_started;
  std::atomic<bool> m_stop_reading{false};
  bool m_stopped = false;
  std::thread m_reader;
};

ServiceSet::ServiceSet() = default;

ServiceSet::~ServiceSet() { stop(); }

std::string ServiceSet::start(const std::vector<scenario::ServiceSpec>& services, const SpecFor& spec_for,
                              const Expand& expand) {
  for (const auto& spec : services) {
    const ProcessSpec process = spec_for(spec);
    SpawnedChild child = spawn_child(process);
    if (child.pid < 0) {
      ServiceResult failed;
      failed.name = spec.name;
      failed.process.outcome = ProcessResult::Outcome::failed_to_start;
      failed.process.error = child.error;
      failed.problem = "service '" + spec.name + "' failed to start: " + child.error;
      m_results.push_back(failed);
      return failed.problem;
    }
    m_running.push_back(std::make_unique<RunningService>(spec, std::move(child), process.output_limit));
    m_results.push_back(ServiceResult{spec.name, {}, false, {}});
    RunningService& running = *m_running.back();
    ServiceResult& result = m_results.back();

    const std::string target = expand(spec.ready.target);
    std::optional<std::uint16_t> port;
    std::optional<std::regex> pattern;
    std::string bad_target;
    if (spec.ready.kind == ReadySpec::Kind::port && !(port = port_number(target))) {
      bad_target = "ready.port \"" + target + "\" is not a port from 1 to 65535";
    } else if (spec.ready.kind == ReadySpec::Kind::http && !parse_loopback_url(target)) {
      bad_target = "ready.http \"" + target + "\" is not an http:// URL on 127.0.0.1, localhost or [::1]";
    } else if (spec.ready.kind == ReadySpec::Kind::log) {
      try {
        pattern.emplace(target);
      } catch (const std::regex_error&) {
        bad_target = "ready.log \"" + target + "\" is not a valid regular expression";
      }
    }
    if (!bad_target.empty()) {
      result.problem = "service '" + spec.name + "': " + bad_target;
      return result.problem;
    }
    const auto deadline = Clock::now() + spec.ready.timeout;
    for (;;) {
      if (spec.ready.kind == ReadySpec::Kind::started) {
        result.ready = true;
        break;
      }
      if (running.has_exited()) {
        result.problem = "service '" + spec.name + "' " + std::string(k_exited_early);
        break;
      }
      const bool ready = (port && loopback_port_open(*port)) ||
                         (spec.ready.kind == ReadySpec::Kind::http && http_answers_2xx(target, k_probe_timeout)) ||
                         (pattern && running.output_matches(*pattern));
      if (ready) {
        result.ready = true;
        break;
      }
      if (Clock::now() >= deadline) {
        result.problem = "service '" + spec.name + "' was not ready within " + duration_text(spec.ready.timeout) +
                         ": " + describe_ready(spec.ready, target);
        break;
      }
      std::this_thread::sleep_for(k_ready_interval);
    }
    if (!result.ready) {
      return result.problem;
    }
  }
  return {};
}

std::vector<ServiceResult> ServiceSet::stop() {
  // Reverse order: a service may depend on the ones started before it.
  for (std::size_t i = m_running.size(); i-- > 0;) {
    auto& running = m_running[i];
    for (auto& result : m_results) {
      if (result.name != running->name()) {
        continue;
      }
      result.process = running->stop();
      if (!result.ready && result.problem.ends_with(k_exited_early)) {
        result.problem += " (" + result.process.describe() + ")";
      }
    }
  }
  m_running.clear();
  return m_results;
}

}  // namespace maildog::runner
